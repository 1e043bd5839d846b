package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/flows/oauth"
	"tokentop/flows/providertest"
	"tokentop/store"
)

// TestProgramOnTheService runs the dashboard as a real program on the real
// Service, a bbolt state file and the loopback Aikido fake, with the
// config file read by the real loader. On an injected clock it shows: the
// connection that needs nobody renewed and checked at open, an error row
// beside it, a periodic check firing when check_every has passed, a config
// edit applied without a restart, the log holding a problem's text whole,
// and the clipboard cleared after clipboard_clear.
func TestProgramOnTheService(t *testing.T) {
	srv, err := providertest.Listen(providertest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	aikido := func(name string) string {
		return fmt.Sprintf("\n[connections.%s]\nprovider = \"aikido\"\nflow = \"client_credentials\"\nclient_id = %q\nclient_secret = %q\nauth_url = %q\ntoken_url = %q\ncheck_url = %q\n",
			name, providertest.AikidoClientID, providertest.AikidoClientSecret, srv.AikidoAuthURL(), srv.AikidoTokenURL(), srv.AikidoCheckURL())
	}
	problem := `connections.typo: unknown flow "magic" (one of: client_credentials, authorization_code)`
	conf := "check_every = \"1m\"\nclipboard_clear = \"1s\"\n" + aikido("svc") + "\n[connections.typo]\nprovider = \"aikido\"\nflow = \"magic\"\n"
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadLenient(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(dir, "state", "tokentop.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Now()}
	svc := flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: db, Now: clock.Now})
	fc := &fakeClipboard{}
	m := New(svc, Options{Now: clock.Now, ConfigPath: path, Clipboard: fc.write, ClipboardRead: fc.read,
		LoadConfig: func() (*flows.Config, error) { return config.LoadLenient(path) }})

	p := startProgram(t, m, 120, 35, func(msg tea.Msg) bool {
		switch msg.(type) {
		case renewedMsg, checkedMsg, configLoadedMsg, copiedMsg, clipClearedMsg:
			return true
		}
		return false
	})
	tm, frame := p.tm, p.frame
	wait := func(what string, match func(tea.Msg) bool) {
		t.Helper()
		p.wait(what, match)
	}
	checkedOf := func(name string) func(tea.Msg) bool {
		return func(msg tea.Msg) bool { c, ok := msg.(checkedMsg); return ok && c.name == name }
	}
	checks := func() int {
		n := 0
		for _, r := range srv.Requests("aikido") {
			if strings.HasSuffix(r.Path, "/workspace") {
				n++
			}
		}
		return n
	}
	row := func(f, name string) string {
		for _, l := range strings.Split(f, "\n") {
			if strings.Contains(l, " "+name+" ") {
				return l
			}
		}
		return ""
	}

	// At open: svc fetches its token by itself and is checked; typo is an
	// error row beside it.
	wait("svc's first token", func(msg tea.Msg) bool { r, ok := msg.(renewedMsg); return ok && r.name == "svc" })
	wait("svc's first check", checkedOf("svc"))
	f := frame()
	if r := row(f, "svc"); !strings.Contains(r, "200 · ") {
		t.Fatalf("svc after its first check: %q\n%s", r, f)
	}
	if r := row(f, "typo"); !strings.Contains(r, "config error") {
		t.Fatalf("typo: %q, want an error row\n%s", r, f)
	}
	before := checks()

	// check_every later, the check runs again by itself.
	clock.Advance(2 * time.Minute)
	tm.Send(tickMsg{})
	wait("the periodic check", checkedOf("svc"))
	if n := checks(); n != before+1 {
		t.Errorf("%d checks reached the provider after check_every, want %d", n, before+1)
	}

	// A connection added to the file shows up and works.
	f2, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f2.WriteString(aikido("added"))
	f2.Close()
	tm.Send(tickMsg{})
	wait("the reload", is[configLoadedMsg])
	wait("the added connection's first check", checkedOf("added"))
	if r := row(frame(), "added"); !strings.Contains(r, "200 · ") {
		t.Errorf("the added connection: %q", r)
	}

	// A key on the error row says its problem; the log keeps it whole.
	tm.Send(keyMsg("j"))
	tm.Send(keyMsg("r"))
	tm.Send(keyMsg("L"))
	if f := frame(); !strings.Contains(strings.Join(strings.Fields(strings.ReplaceAll(f, "│", "")), " "), problem) {
		t.Errorf("the log lacks the error row's problem %q:\n%s", problem, f)
	}
	tm.Send(keyMsg("esc"))

	// y 1 copies svc's token; after clipboard_clear it is cleared.
	tm.Send(keyMsg("k"))
	tm.Send(keyMsg("y"))
	tm.Send(keyMsg("1"))
	wait("the copy", is[copiedMsg])
	st, err := svc.State("svc")
	if err != nil || st.Token == nil || fc.value() != st.Token.AccessToken {
		t.Fatalf("the clipboard does not hold svc's token (%v)", err)
	}
	wait("the clear", is[clipClearedMsg])
	if v := fc.value(); v != "" {
		t.Errorf("the clipboard still holds %d bytes after clipboard_clear", len(v))
	}
	noSecrets(t, frame())

	p.quit()
}
