package ui

import (
	"errors"

	tea "charm.land/bubbletea/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tokentop/flows"
)

// reloading is a harness whose config file is watched: load returns what
// the test last set.
type reloading struct {
	*harness
	cfg  *flows.Config
	err  error
	path string
}

func newReloading(t *testing.T) *reloading {
	t.Helper()
	clock := &fakeClock{t: t0}
	b := newFakeBackend(clock, testConns()...)
	seed(b)
	rl := &reloading{path: filepath.Join(t.TempDir(), "config.toml")}
	if err := os.WriteFile(rl.path, []byte("# first\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	m := New(b, Options{Now: clock.Now, Clipboard: rec.clip, OpenURL: rec.open, ConfigPath: rl.path,
		LoadConfig: func() (*flows.Config, error) { return rl.cfg, rl.err }})
	m.loc = time.UTC
	rl.harness = &harness{t: t, m: m, b: b, clock: clock, rec: rec}
	rl.send(tea.WindowSizeMsg{Width: 120, Height: 35})
	rl.poll()
	// The first stamp is the file the dashboard opened with.
	rl.watch(false)
	return rl
}

// watch runs one stat of the config file and, when it changed, the load it
// starts; wantLoad says whether one must start.
func (rl *reloading) watch(wantLoad bool) {
	rl.t.Helper()
	cmd := rl.m.watchConfig()
	if cmd == nil {
		rl.t.Fatal("the config file is not watched")
	}
	next := rl.send(cmd())
	loaded := next != nil
	if loaded {
		msg := await[configLoadedMsg](rl.t.(*testing.T), run(next))
		rl.send(msg)
		if p := rl.m.polling; p {
			rl.poll()
		}
	}
	if loaded != wantLoad {
		rl.t.Fatalf("loaded %v, want %v", loaded, wantLoad)
	}
}

// edit rewrites the config file, so its stamp changes, and sets what the
// load returns.
func (rl *reloading) edit(cfg *flows.Config, err error) {
	rl.t.Helper()
	rl.cfg, rl.err = cfg, err
	f, ferr := os.OpenFile(rl.path, os.O_APPEND|os.O_WRONLY, 0)
	if ferr != nil {
		rl.t.Fatal(ferr)
	}
	f.WriteString("# edited\n")
	f.Close()
}

// TestConfigReload: an edit of the config file is applied without a
// restart: a connection added, one removed, one changed, one broken beside
// the working ones; a file that does not parse keeps the last good rows
// under a banner, and fixing it brings the rows back.
func TestConfigReload(t *testing.T) {
	rl := newReloading(t)
	rl.watch(false) // nothing changed: no load

	conns := testConns()
	// aha is removed, amino's check_url changes, "extra" is added, and
	// "typo" has a problem of its own.
	var next []*flows.Connection
	for _, c := range conns {
		switch c.Name {
		case "aha":
			continue
		case "amino":
			c.CheckURL = "https://amino.example/api/me"
		}
		c.RefreshBefore = productionMargin()
		next = append(next, c)
	}
	for i, c := range next {
		c.Line = 10 * (i + 1)
	}
	extra := &flows.Connection{Name: "extra", Provider: flows.Aikido, Flow: flows.ClientCredentials, ClientID: "x",
		TokenURL: "https://app.aikido.dev/api/oauth/token", RefreshBefore: productionMargin(), Line: 100}
	next = append(next, extra)
	rl.edit(&flows.Config{Path: rl.path, Connections: next, Broken: []flows.BrokenConnection{
		{Name: "typo", Line: 15, Problems: []string{`config.toml:16: connections.typo.flow: unknown flow "magic" (one of: client_credentials, authorization_code)`}},
	}}, nil)
	rl.watch(true)

	var names []string
	for _, r := range rl.m.rows {
		names = append(names, r.conn.Name)
	}
	if got, want := strings.Join(names, " "), "aikido typo aerion amino okta extra"; got != want {
		t.Fatalf("rows %q, want %q", got, want)
	}
	if rl.m.byName["aikido"].st.Token == nil {
		t.Error("aikido lost its state in the reload")
	}
	if rl.m.byName["amino"].conn.CheckURL != "https://amino.example/api/me" {
		t.Error("amino runs its old configuration")
	}
	typo := rl.m.byName["typo"]
	if typo.cond.Condition != flows.Misconfigured || !typo.cond.Condition.NeedsAttention() {
		t.Errorf("typo: %v, want %v needing attention", typo.cond.Condition, flows.Misconfigured)
	}
	// The error row's details hold its problem whole; the rows beside it
	// still work.
	rl.selectRow("typo")
	rl.press("enter")
	frame := rl.frame()
	for _, want := range []string{"config error", `unknown flow "magic"`, "line 15"} {
		if !strings.Contains(frame, want) {
			t.Errorf("the error row's frame lacks %q:\n%s", want, frame)
		}
	}
	if cmd := rl.press("r"); cmd != nil || rl.m.busy["typo"] != nil {
		t.Error("r started work on a broken connection")
	}
	if !strings.Contains(rl.m.status, "unknown flow") {
		t.Errorf("status %q after r on the error row, want its problem", rl.m.status)
	}
	rl.selectRow("aikido")
	rl.press("r")
	if j := rl.m.busy["aikido"]; j == nil || j.kind != jobRenew {
		t.Error("r on aikido, beside the error row, did not renew")
	}

	// A file that does not parse: the rows stay, under a banner.
	rl.edit(nil, errors.New("config.toml:3: syntax error: expected a value"))
	rl.watch(true)
	if len(rl.m.rows) != 6 {
		t.Fatalf("%d rows after a broken file, want the last good 6", len(rl.m.rows))
	}
	frame = rl.frame()
	if !strings.Contains(frame, "config not reloaded: config.toml:3: syntax error") || !strings.Contains(frame, "last good connections") {
		t.Errorf("no banner for the broken file:\n%s", frame)
	}
	// Fixed again: the banner goes.
	rl.edit(&flows.Config{Path: rl.path, Connections: next}, nil)
	rl.watch(true)
	if frame := rl.frame(); strings.Contains(frame, "config not reloaded") {
		t.Errorf("the banner stays after the file was fixed:\n%s", frame)
	}
	if rl.m.byName["typo"] != nil {
		t.Error("typo stays after it left the file")
	}
}
