package ui

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/flows/oauth"
	"tokentop/flows/providertest"
	"tokentop/flows/redact"
	"tokentop/store"
)

// svcHarness is a dashboard on a real flows.Service, its store and the
// loopback fakes.
type svcHarness struct {
	t    *testing.T
	m    *Model
	svc  *flows.Service
	db   *store.DB
	fake *providertest.Server
	ctx  context.Context
}

// flakyStore fails every write while failing is set, as a full disk does.
type flakyStore struct {
	*store.DB
	failing atomic.Bool
}

func (f *flakyStore) Update(name string, fn func(*flows.State) error) error {
	if f.failing.Load() {
		return errors.New("write state.db: no space left on device")
	}
	return f.DB.Update(name, fn)
}

// newSvcHarness starts the fakes with opts and a dashboard on a Service over
// conf, a TOML text in which {URL} is the fakes' base URL. wrap, if not nil,
// wraps the store the service uses.
func newSvcHarness(t *testing.T, opts providertest.Options, conf string, wrap func(*store.DB) flows.Store, red *redact.Redactor) *svcHarness {
	t.Helper()
	fake := providertest.New(opts)
	t.Cleanup(fake.Close)
	cfg, err := config.Parse("config.toml", []byte(strings.ReplaceAll(conf, "{URL}", fake.URL)))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var st flows.Store = db
	if wrap != nil {
		st = wrap(db)
	}
	svc := flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: st, Redactor: red, RenewalDeadline: 2 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	rec := &recorder{}
	m := New(svc, Options{Clipboard: rec.clip, OpenURL: rec.open, ConfigPath: cfg.Path})
	m.loc = time.UTC
	t.Cleanup(func() { m.quit() })
	h := &svcHarness{t: t, m: m, svc: svc, db: db, fake: fake, ctx: ctx}
	h.send(tea.WindowSizeMsg{Width: 200, Height: 40})
	h.poll()
	return h
}

func (h *svcHarness) send(msg tea.Msg) tea.Cmd {
	h.t.Helper()
	_, cmd := h.m.Update(msg)
	return cmd
}

func (h *svcHarness) press(k string) tea.Cmd { return h.send(keyMsg(k)) }

func (h *svcHarness) poll() {
	h.t.Helper()
	h.m.polling = false
	states, next, err := h.svc.Changed(h.m.mark)
	if err != nil {
		h.t.Fatal(err)
	}
	h.send(changedMsg{states: states, next: next})
}

func (h *svcHarness) frame() string { return ansi.Strip(h.m.View().Content) }

func (h *svcHarness) selectRow(name string) {
	h.t.Helper()
	for i, idx := range h.m.visible {
		if h.m.rows[idx].conn.Name == name {
			h.m.cursor = i
			h.m.revealed = ""
			h.m.fixScroll()
			h.m.syncKeys()
			return
		}
	}
	h.t.Fatalf("no visible row %q", name)
}

// TestHangingRenewalStaysResponsive: while a token request hangs
// on a server that does not answer yet, every key is handled at once, esc
// cancels the job and its late result is dropped from the screen; but the
// request already sent goes on, and the answer that finally comes is saved.
func TestHangingRenewalStaysResponsive(t *testing.T) {
	arrived := make(chan struct{}, 4)
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"access_token":"late-access-token","token_type":"bearer","expires_in":3600}`)
		}
	}))
	defer hang.Close()
	var releaseOnce sync.Once
	answer := func() { releaseOnce.Do(func() { close(release) }) }
	defer answer()
	var ls *lockWatch
	h := newSvcHarness(t, providertest.Options{}, `
[connections.hang]
provider = "oauth2"
flow = "client_credentials"
client_id = "hang-client"
client_secret = "hang-secret-value-1"
token_url = "`+hang.URL+`/token"
auto = false

[connections.aikido]
provider = "aikido"
client_id = "`+providertest.AikidoClientID+`"
client_secret = "`+providertest.AikidoClientSecret+`"
token_url = "{URL}/aikido/api/oauth/token"
check_url = "{URL}/aikido/api/public/v1/workspace"
auto = false
`, func(db *store.DB) flows.Store { ls = &lockWatch{DB: db, released: make(chan struct{}, 4)}; return ls }, nil)
	h.selectRow("hang")
	timed := func(k string) tea.Cmd {
		t.Helper()
		start := time.Now()
		cmd := h.press(k)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("key %q took %v: Update blocked", k, d)
		}
		return cmd
	}
	res := run(timed("r"))
	if h.m.busy["hang"] == nil {
		t.Fatal("renewal did not start")
	}
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the request never reached the server")
	}
	// The request hangs; the dashboard does not.
	for _, k := range []string{"down", "enter", "enter", "up"} {
		timed(k)
		_ = h.frame()
	}
	if h.selectedName() != "hang" || !strings.Contains(h.frame(), "renewing…") {
		t.Fatalf("selection %q, frame:\n%s", h.selectedName(), h.frame())
	}
	timed("esc")
	if h.m.busy["hang"] != nil {
		t.Fatal("esc did not cancel the hanging renewal")
	}
	if h.m.status != "hang: renewal cancelled" {
		t.Errorf("status %q", h.m.status)
	}
	// The cancelled request ends promptly; its result is dropped.
	late := await[renewFailedMsg](t, res)
	if !errors.Is(late.err, context.Canceled) {
		t.Errorf("late result %v", late.err)
	}
	h.send(late)
	if h.m.status != "hang: renewal cancelled" || h.m.byName["hang"].st.LastError != "" {
		t.Errorf("the late result was applied: status %q, last error %q", h.m.status, h.m.byName["hang"].st.LastError)
	}
	// The request was on the wire: the service's renewal goes on after the
	// caller was let go, and saves the answer when it comes.
	answer()
	select {
	case <-ls.released:
	case <-time.After(10 * time.Second):
		t.Fatal("the cancelled renewal never ended")
	}
	h.poll()
	if st := h.m.byName["hang"].st; st.LastError != "" || st.Token == nil || st.Token.AccessToken != "late-access-token" {
		t.Errorf("the answer to the request already sent was not saved: last error %q, token %v", st.LastError, st.Token)
	}
	if f := h.frame(); strings.Contains(f, "need attention") || strings.Contains(f, "failed") {
		t.Errorf("the cancelled renewal shows as failed:\n%s", f)
	}
}

// lockWatch signals each release of a renewal lock: the end of a renewal,
// its failure record included.
type lockWatch struct {
	*store.DB
	released chan struct{}
}

func (l *lockWatch) Lock(ctx context.Context, name string) (func(), error) {
	unlock, err := l.DB.Lock(ctx, name)
	if err != nil {
		return nil, err
	}
	return func() { unlock(); l.released <- struct{}{} }, nil
}

func (h *svcHarness) selectedName() string { return h.m.selectedName() }

// TestRenewedButNotSavedOnScreen: with a real Service on a store
// that cannot write, a renewal shows "renewed but not saved" as a warning,
// the row keeps the new token, and the next poll saves it once the store
// works again.
func TestRenewedButNotSavedOnScreen(t *testing.T) {
	var fs *flakyStore
	h := newSvcHarness(t, providertest.Options{}, `
[connections.aikido]
provider = "aikido"
client_id = "`+providertest.AikidoClientID+`"
client_secret = "`+providertest.AikidoClientSecret+`"
token_url = "{URL}/aikido/api/oauth/token"
check_url = "{URL}/aikido/api/public/v1/workspace"
auto = false
`, func(db *store.DB) flows.Store { fs = &flakyStore{DB: db}; return fs }, nil)
	fs.failing.Store(true)
	msg := await[renewedMsg](t, run(h.press("r")))
	h.send(msg)
	if !strings.Contains(h.m.status, "renewed but not saved") || h.m.statusLevel != levelWarn {
		t.Fatalf("status %q (level %d)", h.m.status, h.m.statusLevel)
	}
	if !strings.Contains(h.frame(), "renewed but not saved") {
		t.Errorf("the warning is not on screen:\n%s", h.frame())
	}
	if tok := h.m.byName["aikido"].st.Token; tok == nil || tok.AccessToken != msg.tok.AccessToken {
		t.Fatal("the row does not hold the renewed token")
	}
	if st, _ := h.db.Load("aikido"); st.Token != nil {
		t.Fatal("saved although the store failed")
	}
	fs.failing.Store(false)
	h.poll()
	st, err := h.db.Load("aikido")
	if err != nil || st.Token == nil || st.Token.AccessToken != msg.tok.AccessToken {
		t.Fatalf("not saved after the store recovered: %v", err)
	}
	if n := h.fake.Count(providertest.Aikido, ""); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
}

// TestNoSecretOnScreen: the dashboard on a real Service, through
// renewals, checks, details, a 500 that echoes the request and a refused
// refresh, never shows a secret.
func TestNoSecretOnScreen(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(500)
		w.Write(body)
		r.Header.Write(w)
	}))
	defer echo.Close()
	const (
		aikidoSecret = "SENTINEL-aikido-secret-0001"
		aerionPass   = "SENTINEL-aerion-password-1"
		aerionClient = "SENTINEL-aerion-client-01"
		echoSecret   = "SENTINEL-echo:secret% 0001"
		echoPassword = "SENTINEL-echo-password-1"
	)
	red := redact.New()
	h := newSvcHarness(t, providertest.Options{
		AikidoClients: map[string]string{providertest.AikidoClientID: aikidoSecret},
		AerionUsers:   map[string]string{providertest.AerionUser: aerionPass},
	}, `
[connections.aikido]
provider = "aikido"
client_id = "`+providertest.AikidoClientID+`"
client_secret = "`+aikidoSecret+`"
token_url = "{URL}/aikido/api/oauth/token"
check_url = "{URL}/aikido/api/public/v1/workspace"
auto = false

[connections.aerion]
provider = "aerion"
company_url = "`+providertest.AerionTenant+`"
username = "`+providertest.AerionUser+`"
client_id = "tokentop-tests"
client_secret = "`+aerionClient+`"
token_url = "{URL}/aerion/oauth2/token"
check_url = "{URL}/aerion/api/v1/me"

[connections.echo]
provider = "oauth2"
flow = "password"
username = "me"
password = "`+echoPassword+`"
client_id = "echo-client"
client_secret = "`+echoSecret+`"
token_url = "`+echo.URL+`/token"
auto = false
`, nil, red)
	p, err := h.svc.BeginLogin(h.ctx, "aerion")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.(flows.PasswordSignIn).SubmitPassword(aerionPass); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.poll()

	var frames []string
	snap := func() { frames = append(frames, h.frame()) }
	for _, name := range []string{"aikido", "aerion", "echo"} {
		h.selectRow(name)
		snap()
		h.press("enter")
		snap()
		h.press("enter")
	}
	for _, step := range []struct {
		row, key string
		wait     func(*testing.T, *results) tea.Msg
	}{
		{"aikido", "r", func(t *testing.T, r *results) tea.Msg { return await[renewedMsg](t, r) }},
		{"aikido", "p", func(t *testing.T, r *results) tea.Msg { return await[checkedMsg](t, r) }},
		{"aerion", "r", func(t *testing.T, r *results) tea.Msg { return await[renewedMsg](t, r) }},
		{"echo", "r", func(t *testing.T, r *results) tea.Msg { return await[renewFailedMsg](t, r) }},
	} {
		h.selectRow(step.row)
		h.send(step.wait(t, run(h.press(step.key))))
		h.poll()
		snap()
		h.press("enter")
		snap()
		h.press("enter")
	}
	if !strings.Contains(h.m.status, "HTTP 500") {
		t.Errorf("the echo's failure is not on the status line: %q", h.m.status)
	}
	// A refused refresh: invalid_grant.
	h.fake.RevokeAll(providertest.Aerion)
	h.selectRow("aerion")
	h.send(await[renewFailedMsg](t, run(h.press("r"))))
	h.poll()
	snap()
	h.press("enter")
	snap()

	secrets := []string{"SENTINEL"}
	for _, prov := range []string{providertest.Aikido, providertest.Aerion} {
		for _, r := range h.fake.Requests(prov) {
			secrets = append(secrets, r.Form.Get("refresh_token"), r.Form.Get("password"), r.BasicPassword)
			if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
				secrets = append(secrets, v)
			}
		}
	}
	for _, name := range []string{"aikido", "aerion"} {
		if st, _ := h.db.Load(name); st.Token != nil {
			secrets = append(secrets, st.Token.AccessToken, st.Token.RefreshToken)
		}
	}
	n := 0
	for i, f := range frames {
		for _, s := range secrets {
			if len(s) >= 8 {
				n++
				if strings.Contains(f, s) {
					t.Errorf("frame %d shows a secret (%.4q…):\n%s", i, s, f)
				}
			}
		}
	}
	if n < 5*len(frames) {
		t.Fatalf("too few secrets collected (%d checks)", n)
	}
}

// TestInsecureSkipVerifyOnScreen: a connection that skips
// certificate verification is named in the status line at start, and its
// details say so.
func TestInsecureSkipVerifyOnScreen(t *testing.T) {
	cfg, err := config.Parse("config.toml", []byte(`
[connections.lab]
provider = "oauth2"
flow = "client_credentials"
client_id = "lab"
client_secret = "env:TOKENTOP_LAB_SECRET"
token_url = "https://lab.example.com/token"
insecure_skip_verify = true

[connections.prod]
provider = "oauth2"
flow = "client_credentials"
client_id = "prod"
client_secret = "env:TOKENTOP_PROD_SECRET"
token_url = "https://prod.example.com/token"
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) == 0 || !strings.Contains(cfg.Warnings[0], "insecure_skip_verify") {
		t.Fatalf("no warning for insecure_skip_verify: %q", cfg.Warnings)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := New(flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: db}), Options{ConfigPath: cfg.Path})
	defer m.quit()
	m.Update(tea.WindowSizeMsg{Width: 220, Height: 40})
	f := ansi.Strip(m.View().Content)
	if m.statusLevel != levelWarn || !strings.Contains(f, "insecure_skip_verify is on") || !strings.Contains(f, "connections.lab") {
		t.Fatalf("the warning is not on screen (level %d):\n%s", m.statusLevel, f)
	}
	m.Update(keyMsg("enter"))
	if f := ansi.Strip(m.View().Content); !strings.Contains(f, "certificates are NOT verified") {
		t.Errorf("the details of lab do not mark it:\n%s", f)
	}
	m.Update(keyMsg("enter"))
	m.Update(keyMsg("down"))
	m.Update(keyMsg("enter"))
	if f := ansi.Strip(m.View().Content); strings.Contains(f, "certificates are NOT verified") {
		t.Errorf("prod is marked insecure:\n%s", f)
	}
}

// A damaged state file is moved aside when the store opens; the person is
// told on the dashboard itself, not only on the terminal behind it.
func TestDamagedStateFileOnScreen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	if err := os.WriteFile(path, []byte("this is not a bbolt file, it is damage"), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(db.Warnings()) == 0 {
		t.Fatal("the store did not warn about a damaged file")
	}
	cfg, err := config.Parse("config.toml", []byte("[connections.a]\nprovider = \"aikido\"\nclient_id = \"a\"\nclient_secret = \"env:X\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := New(flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: db}), Options{Warnings: db.Warnings()})
	defer m.quit()
	m.Update(tea.WindowSizeMsg{Width: 220, Height: 30})
	if f := ansi.Strip(m.View().Content); !strings.Contains(f, "corrupt") && !strings.Contains(f, "moved") {
		t.Fatalf("the dashboard does not tell of the damaged file (%q):\n%s", db.Warnings()[0], f)
	}
}
