package ui

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/flows/oauth"
	"tokentop/flows/providertest"
	"tokentop/store"
)

// The end-to-end tests run the dashboard as a real Bubble Tea program over
// the real flows.Service, a store.DB in a temporary directory and the
// loopback fakes of flows/providertest, all on one settable clock. They
// synchronise on messages seen through tea.WithFilter and on probes answered
// inside the event loop, never on sleeps or on the renderer's diff stream.

// e2eConf is the configuration of the end-to-end tests; {URL} stands for the
// fakes' base URL. refresh_before is short so that Aikido's 90-second tokens
// are not due for automatic renewal while the tests move the clock.
const e2eConf = `
refresh_before = "10s"

[connections.aikido]
provider = "aikido"
flow = "client_credentials"
client_id = "` + providertest.AikidoClientID + `"
client_secret = "` + providertest.AikidoClientSecret + `"
token_url = "{URL}/aikido/api/oauth/token"
auth_url = "{URL}/aikido/oauth/authorize"
check_url = "{URL}/aikido/api/public/v1/workspace"
auto = false

[connections.aerion]
provider = "aerion"
flow = "password"
company_url = "` + providertest.AerionTenant + `"
username = "` + providertest.AerionUser + `"
client_id = "tokentop-tests"
client_secret = "any value"
token_url = "{URL}/aerion/oauth2/token"
check_url = "{URL}/aerion/api/v1/me"

[connections.aha]
provider = "aha"
flow = "authorization_code"
subdomain = "secure"
base_url = "{URL}/aha/{subdomain}"
client_id = "` + providertest.AhaClientID + `"
client_secret = "` + providertest.AhaClientSecret + `"
redirect_uri = "http://127.0.0.1:0/callback"
`

// e2eSnap is the model as a probe found it, inside the event loop.
type e2eSnap struct {
	frame   string
	polling bool // a poll is running or asked for
	mode    mode
}

// e2eProbe asks the test's filter for a snapshot of the model as it is once
// every message sent before the probe has been handled.
type e2eProbe struct{ reply chan e2eSnap }

// e2e is one end-to-end run: fakes, store, service, and the program.
type e2e struct {
	t      *testing.T
	ctx    context.Context
	clock  *fakeClock
	fake   *providertest.Server
	cfg    *flows.Config
	dbPath string
	db     *store.DB
	svc    *flows.Service
	rec    *recorder
	tm     *teatest.TestModel

	in    inbox         // the messages the tests wait for
	polls chan struct{} // a poll answered

	mu     sync.Mutex
	frames []string // every distinct frame the model had, stripped
	tokens []string // every access and refresh token the test saw
}

// newE2E starts the fakes and a service over a fresh store; start runs the
// dashboard on them.
func newE2E(t *testing.T) *e2e {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	clock := &fakeClock{t: t0}
	fake := providertest.New(providertest.Options{Now: clock.Now})
	t.Cleanup(fake.Close)
	cfg, err := config.Parse("e2e.toml", []byte(strings.ReplaceAll(e2eConf, "{URL}", fake.URL)))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	e := &e2e{t: t, ctx: ctx, clock: clock, fake: fake, cfg: cfg,
		dbPath: filepath.Join(t.TempDir(), "state.db"), rec: &recorder{},
		in: inbox{seen: make(chan tea.Msg, 4096)}, polls: make(chan struct{}, 1)}
	e.db = e.openStore()
	e.svc = e.service(e.db)
	return e
}

func (e *e2e) openStore() *store.DB {
	e.t.Helper()
	db, err := store.Open(e.dbPath, store.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	return db
}

// service is a Service on the test's config and clock: a second one on a
// second store.DB of the same file plays another tokentop process.
func (e *e2e) service(db *store.DB) *flows.Service {
	return flows.NewService(e.cfg, flows.Options{NewClient: oauth.New, Store: db, Now: e.clock.Now})
}

// start runs the dashboard, with the fake browser as its browser, and waits
// for its first poll.
func (e *e2e) start() {
	e.t.Helper()
	open := func(u string) error {
		_ = e.rec.open(u)
		return providertest.Browse(e.ctx, u)
	}
	m := New(e.svc, Options{Now: e.clock.Now, Clipboard: e.rec.clip, OpenURL: open})
	m.loc = time.UTC
	filter := func(model tea.Model, msg tea.Msg) tea.Msg {
		mm := model.(*Model)
		// The frame as of every message: a superset of what the renderer
		// drew, since it skips frames between its ticks.
		e.addFrame(ansi.Strip(mm.View().Content))
		switch msg := msg.(type) {
		case e2eProbe:
			msg.reply <- e2eSnap{
				frame:   ansi.Strip(mm.View().Content),
				polling: mm.polling || mm.pollAgain,
				mode:    mm.mode,
			}
			return nil
		case changedMsg, changeFailedMsg:
			select {
			case e.polls <- struct{}{}:
			default:
			}
			e.in.seen <- msg
		case loginBegunMsg, loginDoneMsg, loginFailedMsg, passwordRefusedMsg,
			browserOpenedMsg, browserFailedMsg,
			renewedMsg, renewFailedMsg, tokenMsg, tokenFailedMsg,
			copiedMsg, copiedOSC52OnlyMsg, loggedOutMsg, logoutFailedMsg:
			e.in.seen <- msg
		}
		if _, ok := clipboardOf(msg); ok {
			e.in.seen <- msg
		}
		return msg
	}
	e.tm = teatest.NewTestModel(e.t, m, teatest.WithInitialTermSize(120, 30),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii), tea.WithFilter(filter)))
	// A test that failed half-way still stops its program, before the
	// fakes close under it.
	e.t.Cleanup(func() {
		_ = e.tm.Quit()
		e.tm.WaitFinished(e.t, teatest.WithFinalTimeout(10*time.Second))
	})
	e.wait("the first poll", func(msg tea.Msg) bool { _, ok := msg.(changedMsg); return ok })
}

func (e *e2e) addFrame(f string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if n := len(e.frames); n == 0 || e.frames[n-1] != f {
		e.frames = append(e.frames, f)
	}
}

// secret remembers a token that no frame may show.
func (e *e2e) secret(tok *flows.Token) {
	if tok == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range []string{tok.AccessToken, tok.RefreshToken} {
		if s != "" && !slices.Contains(e.tokens, s) {
			e.tokens = append(e.tokens, s)
		}
	}
}

// wait returns the first message seen that matches.
func (e *e2e) wait(what string, match func(tea.Msg) bool) tea.Msg {
	e.t.Helper()
	return e.in.wait(e.t, what, match)
}

// waitJob waits for the outcome of connection name's job: the first
// message of one of the given types about it. A failure of that job fails
// the test with its error.
func (e *e2e) waitJob(name, what string) tea.Msg {
	e.t.Helper()
	msg := e.wait(name+" "+what, func(msg tea.Msg) bool {
		switch msg := msg.(type) {
		case loginBegunMsg:
			return what == "sign-in start" && msg.name == name
		case loginDoneMsg:
			return what == "sign-in" && msg.name == name
		case renewedMsg:
			return what == "renewal" && msg.name == name
		case tokenMsg:
			return what == "token" && msg.name == name
		case loggedOutMsg:
			return what == "logout" && msg.name == name
		case renewFailedMsg:
			return (what == "renewal" || what == "renewal failure") && msg.name == name
		case loginFailedMsg:
			return msg.name == name
		case passwordRefusedMsg:
			return msg.name == name
		case tokenFailedMsg:
			return msg.name == name
		case logoutFailedMsg:
			return msg.name == name
		}
		return false
	})
	switch msg := msg.(type) {
	case renewFailedMsg:
		if what != "renewal failure" {
			e.t.Fatalf("%s %s failed: %v", name, what, msg.err)
		}
	case loginFailedMsg:
		e.t.Fatalf("%s %s failed: %v", name, what, msg.err)
	case passwordRefusedMsg:
		e.t.Fatalf("%s %s: password refused: %v", name, what, msg.err)
	case tokenFailedMsg:
		e.t.Fatalf("%s %s failed: %v", name, what, msg.err)
	case logoutFailedMsg:
		e.t.Fatalf("%s %s failed: %v", name, what, msg.err)
	}
	return msg
}

// snap returns the model once everything sent so far has been handled.
func (e *e2e) snap() e2eSnap {
	e.t.Helper()
	reply := make(chan e2eSnap, 1)
	e.tm.Send(e2eProbe{reply})
	select {
	case s := <-reply:
		return s
	case <-time.After(10 * time.Second):
		e.t.Fatal("the program answered no probe")
		return e2eSnap{}
	}
}

// settle returns the model once no poll of the store is running or asked
// for: what it shows then is what the store held at the last poll.
func (e *e2e) settle() e2eSnap {
	e.t.Helper()
	guard := time.After(10 * time.Second)
	for {
		s := e.snap()
		if !s.polling {
			return s
		}
		select {
		case <-e.polls:
		case <-guard:
			e.t.Fatal("the poll never answered")
		}
	}
}

// tick moves the shared clock by d and delivers one tick, as the heartbeat
// does once a second, and returns the model once the tick's poll answered.
func (e *e2e) tick(d time.Duration) e2eSnap {
	e.t.Helper()
	e.clock.Advance(d)
	e.tm.Send(tickMsg{})
	return e.settle()
}

// press sends keys.
func (e *e2e) press(keys ...string) {
	for _, k := range keys {
		e.tm.Send(keyMsg(k))
	}
}

// sel selects a connection by its place in the config.
func (e *e2e) sel(name string) {
	e.t.Helper()
	i := slices.IndexFunc(e.cfg.Connections, func(c *flows.Connection) bool { return c.Name == name })
	if i < 0 {
		e.t.Fatalf("no connection %q", name)
	}
	e.press("g")
	for range i {
		e.press("j")
	}
	if r := e2eRow(e.snap().frame, name); !strings.HasPrefix(r, "›") {
		e.t.Fatalf("%s not selected: %q", name, r)
	}
}

// state reads a connection's state from the store.
func (e *e2e) state(name string) flows.State {
	e.t.Helper()
	st, err := e.db.Load(name)
	if err != nil {
		e.t.Fatal(err)
	}
	e.secret(st.Token)
	return st
}

// quit quits the program and returns everything it wrote.
func (e *e2e) quit() (*Model, string) {
	e.t.Helper()
	e.press("q")
	final := e.tm.FinalModel(e.t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
	out, err := io.ReadAll(e.tm.FinalOutput(e.t, teatest.WithFinalTimeout(10*time.Second)))
	if err != nil {
		e.t.Fatal(err)
	}
	e.addFrame(ansi.Strip(final.View().Content))
	return final, string(out)
}

// noSecretShown fails when a frame, or the program's output, shows any
// token seen or any of extra.
func (e *e2e) noSecretShown(out string, extra ...string) {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	secrets := append(slices.Clone(e.tokens), extra...)
	for _, s := range secrets {
		for _, f := range e.frames {
			if strings.Contains(f, s) {
				e.t.Fatalf("a secret (%d chars) is on screen:\n%s", len(s), f)
			}
		}
		if strings.Contains(out, s) || strings.Contains(ansi.Strip(out), s) {
			e.t.Fatalf("a secret (%d chars) is in the program's output", len(s))
		}
	}
}

// e2eRow returns the table line of connection name in a frame.
func e2eRow(frame, name string) string {
	for _, l := range strings.Split(frame, "\n") {
		f := strings.Fields(l)
		if len(f) >= 3 && (f[1] == name || (f[0] == "›" && f[2] == name)) {
			return l
		}
	}
	return ""
}

// statusOf returns the status line of a frame: the line above the help bar.
func statusOf(frame string) string {
	lines := strings.Split(frame, "\n")
	if len(lines) < 2 {
		return ""
	}
	return lines[len(lines)-2]
}

// TestE2EDashboard drives the dashboard over the real service, store and
// fakes: signing in three ways, the countdown following the clock, renewal,
// copying, a provider's error and logging out, each checked in the store,
// at the fakes and on screen; no password or token ever shows.
func TestE2EDashboard(t *testing.T) {
	e := newE2E(t)
	e.start()
	s := e.settle()
	// Client credentials need nobody: no token yet, as status says.
	for name, want := range map[string]string{"aikido": "no token yet", "aerion": "signed out", "aha": "signed out"} {
		if r := e2eRow(s.frame, name); !strings.Contains(r, want) {
			t.Fatalf("%s before sign-in: %q, want %q", name, r, want)
		}
	}

	// Sign in: aikido needs nobody.
	e.sel("aikido")
	e.press("l")
	e.waitJob("aikido", "sign-in")
	if st := e.state("aikido"); st.Token == nil || st.Token.AccessToken == "" {
		t.Fatal("aikido: no token in the store after signing in")
	}
	if n := e.fake.Count(providertest.Aikido, "client_credentials"); n != 1 {
		t.Fatalf("aikido: %d client_credentials requests, want 1", n)
	}

	// Aerion asks for the password, typed into the form.
	e.sel("aerion")
	e.press("l")
	e.waitJob("aerion", "sign-in start")
	e.tm.Type(providertest.AerionPassword)
	s = e.snap()
	if s.mode != modePassword {
		t.Fatalf("mode %v while typing the password", s.mode)
	}
	if dots := "password: " + strings.Repeat("•", len(providertest.AerionPassword)); !strings.Contains(s.frame, dots) {
		t.Fatalf("the password form does not show %q:\n%s", dots, s.frame)
	}
	e.press("enter")
	e.waitJob("aerion", "sign-in")
	if st := e.state("aerion"); st.Token == nil || st.Token.RefreshToken == "" {
		t.Fatal("aerion: no token in the store after signing in")
	}
	if n := e.fake.Count(providertest.Aerion, "password"); n != 1 {
		t.Fatalf("aerion: %d password requests, want 1", n)
	}
	reqs := e.fake.Requests(providertest.Aerion)
	if got := reqs[len(reqs)-1].Form.Get("password"); got != providertest.AerionPassword {
		t.Fatalf("aerion got the password %q, want what was typed", got)
	}

	// Aha! signs in in the (fake) browser.
	e.sel("aha")
	e.press("l")
	e.waitJob("aha", "sign-in")
	if st := e.state("aha"); st.Token == nil || st.Token.Extra["account_subdomain"] != providertest.AhaAccount {
		t.Fatalf("aha: token %v after the browser sign-in", st.Token)
	}
	if n := e.fake.Count(providertest.Aha, "authorization_code"); n != 1 {
		t.Fatalf("aha: %d code exchanges, want 1", n)
	}
	if opened := e.rec.browsed(); len(opened) != 1 || !strings.HasPrefix(opened[0], e.fake.URL+"/aha/secure/oauth/authorize?") {
		t.Fatalf("browser opened on %q", opened)
	}
	s = e.settle()
	if r := e2eRow(s.frame, "aha"); !strings.Contains(r, "no expiry") {
		t.Fatalf("aha after sign-in: %q", r)
	}
	if r := e2eRow(s.frame, "aerion"); !strings.Contains(r, flows.Countdown(providertest.AerionLifetime)) {
		t.Fatalf("aerion after sign-in: %q", r)
	}

	// The countdown follows the clock from tick to tick.
	e.sel("aikido")
	tok := e.state("aikido").Token
	var shown []string
	for i := range 3 {
		if i > 0 {
			s = e.tick(10 * time.Second)
		}
		want := flows.Countdown(tok.Expiry.Sub(e.clock.Now()))
		if r := e2eRow(s.frame, "aikido"); !strings.Contains(r, want) {
			t.Fatalf("aikido at %s: %q, want %s", e.clock.Now().Format(time.TimeOnly), r, want)
		}
		if !strings.Contains(s.frame, e.clock.Now().Format("15:04:05")) {
			t.Fatalf("the top bar does not show the clock %s", e.clock.Now().Format(time.TimeOnly))
		}
		shown = append(shown, want)
	}
	if len(slices.Compact(slices.Clone(shown))) != len(shown) {
		t.Fatalf("the countdown did not move: %q", shown)
	}

	// r renews: a new token in the store, one more request at the fake.
	before := e.fake.Count(providertest.Aikido, "client_credentials")
	e.press("r")
	renewed := e.waitJob("aikido", "renewal").(renewedMsg).tok
	e.secret(renewed)
	st := e.state("aikido")
	if st.Token == nil || st.Token.AccessToken == tok.AccessToken || st.Token.AccessToken != renewed.AccessToken {
		t.Fatal("aikido: the store does not hold the renewed token")
	}
	if n := e.fake.Count(providertest.Aikido, "client_credentials"); n != before+1 {
		t.Fatalf("aikido: %d client_credentials requests after renewing, want %d", n, before+1)
	}
	s = e.settle()
	left := flows.Countdown(renewed.Expiry.Sub(e.clock.Now()))
	if r := e2eRow(s.frame, "aikido"); !strings.Contains(r, left) || !strings.Contains(statusOf(s.frame), "aikido: renewed, valid for "+left) {
		t.Fatalf("after renewing, want %s:\n%s", left, s.frame)
	}

	// c copies the current token through OSC 52 and the system clipboard,
	// and nowhere else.
	requests := len(e.fake.Requests(providertest.Aikido))
	e.press("c")
	copied := e.waitJob("aikido", "token").(tokenMsg).tok.AccessToken
	osc := e.wait("the OSC 52 copy", func(msg tea.Msg) bool { _, ok := clipboardOf(msg); return ok })
	if got, _ := clipboardOf(osc); got != copied || got != e.state("aikido").Token.AccessToken {
		t.Fatal("OSC 52 did not carry the stored access token")
	}
	e.wait("the system copy", func(msg tea.Msg) bool { _, ok := msg.(copiedMsg); return ok })
	if got := e.rec.clipboard(); len(got) != 1 || got[0] != copied {
		t.Fatalf("the system clipboard got %d values, or not the token", len(got))
	}
	if n := len(e.fake.Requests(providertest.Aikido)); n != requests {
		t.Fatalf("copying a valid token made %d requests", n-requests)
	}
	s = e.snap()
	if got := statusOf(s.frame); !strings.Contains(got, "copied aikido token (OSC 52 and system clipboard)") {
		t.Fatalf("status after copying: %q", got)
	}

	// A provider's refusal shows in the status line and the row. The clock
	// moves first: a forced renewal at the very instant of the last one
	// takes that one's token (another process's, as far as it can tell).
	e.tick(time.Second)
	e.fake.FailNext(providertest.Aikido, 1, 400, `{"error":"invalid_client","error_description":"bad secret"}`, nil)
	e.press("r")
	e.waitJob("aikido", "renewal failure")
	if st := e.state("aikido"); !strings.Contains(st.LastError, "invalid_client") {
		t.Fatalf("aikido: last error %q in the store", st.LastError)
	}
	s = e.settle()
	if got := statusOf(s.frame); !strings.Contains(got, "invalid_client") {
		t.Fatalf("status after a refused renewal: %q", got)
	}
	if r := e2eRow(s.frame, "aikido"); !strings.Contains(r, "failed") || strings.Fields(r)[1] != "!" {
		t.Fatalf("aikido after a refused renewal: %q", r)
	}

	// x y logs out.
	e.press("x")
	if got := statusOf(e.snap().frame); !strings.Contains(got, "log out of aikido?") {
		t.Fatalf("no question before logging out: %q", got)
	}
	e.press("y")
	e.waitJob("aikido", "logout")
	if st := e.state("aikido"); st.Token != nil {
		t.Fatal("aikido: a token is still in the store after logging out")
	}
	s = e.settle()
	if r := e2eRow(s.frame, "aikido"); !strings.Contains(r, "no token yet") {
		t.Fatalf("aikido after logging out: %q", r)
	}

	final, out := e.quit()
	if len(final.busy) != 0 || final.ctx.Err() == nil {
		t.Error("work left running after quit")
	}
	if !strings.Contains(out, ansi.SetSystemClipboard(copied)) {
		t.Error("the output has no OSC 52 sequence with the token")
	}
	e.noSecretShown(out, providertest.AerionPassword)
}

// TestE2ESharedStore runs the dashboard beside a second Service on the same
// state file, as another tokentop process would be: what that one renews or
// logs out shows within two ticks, and what the dashboard renews, it reads.
func TestE2ESharedStore(t *testing.T) {
	e := newE2E(t)
	other := e.service(e.openStore())
	if _, err := other.Token(e.ctx, "aikido", time.Minute); err != nil {
		t.Fatal(err)
	}
	p, err := other.BeginLogin(e.ctx, "aerion")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.(flows.PasswordSignIn).SubmitPassword(providertest.AerionPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(e.ctx); err != nil {
		t.Fatal(err)
	}
	old := e.state("aerion").Token
	e.state("aikido")

	e.start()
	s := e.settle()
	if r := e2eRow(s.frame, "aikido"); !strings.Contains(r, flows.Countdown(providertest.DefaultLifetime)) {
		t.Fatalf("aikido signed in by the other process: %q", r)
	}
	s = e.tick(30 * time.Second)
	if r := e2eRow(s.frame, "aerion"); !strings.Contains(r, flows.Countdown(old.Expiry.Sub(e.clock.Now()))) {
		t.Fatalf("aerion signed in by the other process: %q", r)
	}

	// shownWithin returns the tick (1 or 2) after which the frame satisfied
	// ok, or fails.
	shownWithin := func(what string, ok func(frame string) bool) int {
		t.Helper()
		var s e2eSnap
		for n := 1; n <= 2; n++ {
			s = e.tick(time.Second)
			if ok(s.frame) {
				return n
			}
		}
		t.Fatalf("%s not shown within two ticks:\n%s", what, s.frame)
		return 0
	}

	renewed, err := other.Renew(e.ctx, "aerion")
	if err != nil {
		t.Fatal(err)
	}
	e.secret(renewed)
	if renewed.AccessToken == old.AccessToken {
		t.Fatal("the other process did not renew")
	}
	n := shownWithin("the other process's renewal", func(f string) bool {
		r := e2eRow(f, "aerion")
		return strings.Contains(r, flows.Countdown(renewed.Expiry.Sub(e.clock.Now()))) &&
			!strings.Contains(r, flows.Countdown(old.Expiry.Sub(e.clock.Now())))
	})
	t.Logf("the renewal showed after %d tick(s)", n)

	if err := other.Logout(e.ctx, "aikido"); err != nil {
		t.Fatal(err)
	}
	n = shownWithin("the other process's logout", func(f string) bool {
		return strings.Contains(e2eRow(f, "aikido"), "no token yet")
	})
	t.Logf("the logout showed after %d tick(s)", n)

	// The other way round: the dashboard renews, the other process reads it.
	e.sel("aerion")
	e.press("r")
	mine := e.waitJob("aerion", "renewal").(renewedMsg).tok
	e.secret(mine)
	st, err := other.State("aerion")
	if err != nil {
		t.Fatal(err)
	}
	if st.Token == nil || st.Token.AccessToken != mine.AccessToken || mine.AccessToken == renewed.AccessToken {
		t.Fatal("the other process does not read the dashboard's renewal")
	}
	// Aerion rotates refresh tokens: the dashboard used the one the other
	// process stored, or the fake would have refused it.
	if n := e.fake.Count(providertest.Aerion, "refresh_token"); n != 2 {
		t.Fatalf("%d refresh_token requests at aerion, want 2", n)
	}

	_, out := e.quit()
	e.noSecretShown(out, providertest.AerionPassword)
}

// TestE2EStateFileReplaced deletes the state file under a running dashboard,
// as a person resetting tokentop does, then lets another process write a new
// one. The store then answers with a mark that went back and the whole new
// contents, which replace what the dashboard knew: a token that is gone
// must not go on counting down.
func TestE2EStateFileReplaced(t *testing.T) {
	e := newE2E(t)
	if _, err := e.svc.Token(e.ctx, "aikido", time.Minute); err != nil {
		t.Fatal(err)
	}
	e.state("aikido")
	e.start()
	if r := e2eRow(e.settle().frame, "aikido"); !strings.Contains(r, flows.Countdown(providertest.DefaultLifetime)) {
		t.Fatalf("aikido before the file went: %q", r)
	}

	if err := os.Remove(e.dbPath); err != nil {
		t.Fatal(err)
	}
	s := e.tick(time.Second)
	if r := e2eRow(s.frame, "aikido"); !strings.Contains(r, "no token yet") {
		t.Fatalf("aikido after its state file was deleted: %q", r)
	}

	other := e.service(e.openStore())
	p, err := other.BeginLogin(e.ctx, "aerion")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.(flows.PasswordSignIn).SubmitPassword(providertest.AerionPassword); err != nil {
		t.Fatal(err)
	}
	tok, err := p.Wait(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.secret(tok)
	s = e.tick(time.Second)
	if r := e2eRow(s.frame, "aerion"); !strings.Contains(r, flows.Countdown(tok.Expiry.Sub(e.clock.Now()))) {
		t.Fatalf("aerion signed in into a new state file: %q", r)
	}
	if r := e2eRow(s.frame, "aikido"); !strings.Contains(r, "no token yet") {
		t.Fatalf("aikido after a new state file: %q", r)
	}
	_, out := e.quit()
	e.noSecretShown(out, providertest.AerionPassword)
}
