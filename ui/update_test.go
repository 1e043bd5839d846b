package ui

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"tokentop/flows"
)

func TestNavigation(t *testing.T) {
	tests := map[string]struct {
		keys []string
		want string
	}{
		"start":         {nil, "aikido"},
		"down":          {[]string{"down"}, "aha"},
		"j j":           {[]string{"j", "j"}, "aerion"},
		"j k":           {[]string{"j", "k"}, "aikido"},
		"up at top":     {[]string{"up"}, "aikido"},
		"bottom":        {[]string{"G"}, "okta"},
		"past bottom":   {[]string{"G", "j"}, "okta"},
		"bottom top":    {[]string{"G", "g"}, "aikido"},
		"page down":     {[]string{"pgdown"}, "okta"},
		"page down, up": {[]string{"pgdown", "pgup"}, "aikido"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, 120, 35)
			h.press(tt.keys...)
			if got := h.m.selectedName(); got != tt.want {
				t.Errorf("selected %q, want %q", got, tt.want)
			}
			if !strings.Contains(h.frame(), "› "+h.m.selected().cond.Condition.Mark()+" "+tt.want) {
				t.Errorf("frame does not point at %s:\n%s", tt.want, h.frame())
			}
		})
	}
}

func TestDetailsToggle(t *testing.T) {
	h := newHarness(t, 120, 35)
	if strings.Contains(h.frame(), "client id") {
		t.Fatal("details shown before enter")
	}
	h.press("enter")
	f := h.frame()
	for _, want := range []string{"client id   aikido-client", "https://app.aikido.dev/api/oauth/token", "eyJh…TAIL",
		"claims", "sub", "svc-42", "unverified", "signed in", "workspace: acme", "2026-11-23 15:50:00 UTC"} {
		if !strings.Contains(f, want) {
			t.Errorf("details lack %q:\n%s", want, f)
		}
	}
	noSecrets(t, f)
	h.press("enter")
	if strings.Contains(h.frame(), "client id") {
		t.Fatal("details still shown after the second enter")
	}
}

func TestRevealUntilSelectionChanges(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.press("v") // no effect without the detail pane
	noSecrets(t, h.frame())
	h.press("enter", "v")
	if !strings.Contains(h.frame(), sentinel) {
		t.Fatalf("v did not reveal the token:\n%s", h.frame())
	}
	h.press("j", "k")
	noSecrets(t, h.frame())
}

func TestRenew(t *testing.T) {
	t.Run("success", func(t *testing.T) {
		h := newHarness(t, 120, 35)
		r := run(h.press("r"))
		if h.m.busy["aikido"] == nil {
			t.Fatal("renewal is not running")
		}
		if !strings.Contains(h.frame(), "renewing…") {
			t.Errorf("row does not show the renewal:\n%s", h.frame())
		}
		msg := await[renewedMsg](t, r)
		h.send(msg)
		if h.m.busy["aikido"] != nil {
			t.Error("still busy after the result")
		}
		if !strings.Contains(h.m.status, "aikido: renewed, valid for 1h 00m") {
			t.Errorf("status %q", h.m.status)
		}
		noSecrets(t, h.frame())
	})
	t.Run("renewed but not saved", func(t *testing.T) {
		h := newHarness(t, 120, 35)
		h.b.notSaved["aikido"] = errors.New("database is locked")
		h.send(await[renewedMsg](t, run(h.press("r"))))
		if want := "aikido: renewed, valid for 1h 00m; renewed but not saved: database is locked"; h.m.status != want || h.m.statusLevel != levelWarn {
			t.Errorf("status %q, want %q", h.m.status, want)
		}
		if !strings.Contains(h.m.byName["aikido"].st.Token.AccessToken, "tok-aikido") {
			t.Error("the unsaved token was not kept")
		}
	})
	t.Run("failure is printed as it is", func(t *testing.T) {
		h := newHarness(t, 120, 35)
		h.b.renewErr["aikido"] = errors.New("aikido: invalid_client: client secret rejected")
		h.send(await[renewFailedMsg](t, run(h.press("r"))))
		if h.m.status != "aikido: invalid_client: client secret rejected" || h.m.statusLevel != levelError {
			t.Errorf("status %q (%d)", h.m.status, h.m.statusLevel)
		}
	})
	t.Run("sign-in required says what to do", func(t *testing.T) {
		h := newHarness(t, 120, 35)
		h.selectRow("amino") // a refresh token, no configured password
		h.b.renewErr["amino"] = fmt.Errorf("amino: invalid_grant: refresh token expired: %w", flows.ErrSignInRequired)
		h.send(await[renewFailedMsg](t, run(h.press("r"))))
		if want := "amino: invalid_grant: refresh token expired: sign-in required — press l to sign in"; h.m.status != want {
			t.Errorf("status %q, want %q", h.m.status, want)
		}
		// Before the next poll and after it, as status says.
		if c := h.m.byName["amino"].cond.Condition; c != flows.SignInRequired {
			t.Errorf("row %v, want sign-in required", c)
		}
		h.poll()
		if c := h.m.byName["amino"].cond.Condition; c != flows.SignInRequired {
			t.Errorf("after the poll: row %v, want sign-in required", c)
		}
	})
	t.Run("not renewable: key says why", func(t *testing.T) {
		h := newHarness(t, 120, 35)
		h.selectRow("okta") // no refresh token
		if cmd := h.press("r"); cmd != nil && h.m.busy["okta"] != nil {
			t.Fatal("renewed a connection that cannot renew")
		}
		if strings.Contains(h.m.helpView(), "renew") {
			t.Errorf("help offers renew: %s", h.m.helpView())
		}
		if want := "okta: no refresh token to renew with — press l to sign in again"; h.m.status != want {
			t.Errorf("status %q, want %q", h.m.status, want)
		}
	})
}

func TestCancelDropsResult(t *testing.T) {
	h := newHarness(t, 120, 35)
	r := run(h.press("r"))
	msg := await[renewedMsg](t, r)
	h.press("esc")
	if h.m.busy["aikido"] != nil {
		t.Fatal("esc did not cancel")
	}
	if h.m.status != "aikido: renewal cancelled" {
		t.Errorf("status %q", h.m.status)
	}
	before := h.m.byName["aikido"].st.Token.AccessToken
	h.send(msg)
	if h.m.byName["aikido"].st.Token.AccessToken != before || h.m.status != "aikido: renewal cancelled" {
		t.Error("the result of cancelled work was applied")
	}
}

func TestRenewAll(t *testing.T) {
	clock := &fakeClock{t: t0}
	var conns []*flows.Connection
	for i := range 10 {
		conns = append(conns, &flows.Connection{Name: fmt.Sprintf("svc%02d", i), Provider: flows.Aikido, Flow: flows.ClientCredentials, Manual: true})
	}
	conns = append(conns, &flows.Connection{Name: "human", Provider: flows.Aha, Flow: flows.AuthorizationCode})
	b := newFakeBackend(clock, conns...)
	h := newHarnessWith(t, b, clock, 120, 35)
	cmd := h.press("R")
	if len(h.m.busy) != maxBulk {
		t.Fatalf("%d running, want %d at once", len(h.m.busy), maxBulk)
	}
	if h.m.busy["human"] != nil || h.m.queued["human"] {
		t.Fatal("queued a connection that needs a person")
	}
	r := run(cmd)
	for done := 0; done < 10; done++ {
		msg := await[renewedMsg](t, r)
		r.add(h.send(msg))
		// the next queued renewals start as slots free up
		if left := 10 - done - 1; len(h.m.busy) != min(maxBulk, left) {
			t.Fatalf("after %d done: %d running", done+1, len(h.m.busy))
		}
	}
	if h.m.status != "renewed 10 of 10" {
		t.Errorf("status %q", h.m.status)
	}
}

func TestCopy(t *testing.T) {
	tests := map[string]struct {
		key     string
		clipErr error
		want    string // what is copied, with %s for the token
		status  string
	}{
		"token":               {"c", nil, "%s", "copied aikido token (OSC 52 and system clipboard)"},
		"header":              {"C", nil, "Authorization: Bearer %s", "copied aikido Authorization header (OSC 52 and system clipboard)"},
		"no system clipboard": {"c", errors.New("no xclip"), "%s", "copied aikido token (OSC 52 only: no system clipboard)"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, 120, 35)
			h.rec.clipErr = tt.clipErr
			tok := h.b.state("aikido").Token.AccessToken
			tm := await[tokenMsg](t, run(h.press(tt.key)))
			if got := h.b.called(); got[len(got)-1] != "token aikido "+productionMargin().String() {
				t.Errorf("backend calls %v: want Token with refresh_before", got)
			}
			msgs := awaitN(t, run(h.send(tm)), 3) // OSC 52, native copy, poll
			var osc52 string
			for _, msg := range msgs {
				if s, ok := clipboardOf(msg); ok {
					osc52 = s
				}
				h.send(msg)
			}
			want := fmt.Sprintf(tt.want, tok)
			if osc52 != want {
				t.Errorf("OSC 52 got %q, want %q", osc52, want)
			}
			if tt.clipErr == nil {
				if got := h.rec.clipboard(); len(got) != 1 || got[0] != want {
					t.Errorf("system clipboard got %q", got)
				}
			}
			if h.m.status != tt.status {
				t.Errorf("status %q, want %q", h.m.status, tt.status)
			}
			noSecrets(t, h.frame())
		})
	}
}

func TestCopyRenewsFirst(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.selectRow("amino") // 8m left: fine for now
	// A second less than refresh_before left: c renews before it copies.
	h.clock.Advance(8*time.Minute - productionMargin() + time.Second)
	tm := await[tokenMsg](t, run(h.press("c")))
	if !strings.Contains(tm.tok.AccessToken, "tok-amino") {
		t.Errorf("copied the old token instead of a renewed one")
	}
	h.send(tm)
}

func TestCopyFailure(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.selectRow("aerion")
	h.b.renewErr["aerion"] = fmt.Errorf("aerion: invalid_grant: refresh token expired: %w", flows.ErrSignInRequired)
	// aerion needs a sign-in: c does not apply
	if h.press("c") != nil && h.m.busy["aerion"] != nil {
		t.Fatal("copy started on a connection that needs a sign-in")
	}
	h.selectRow("amino")
	h.clock.Advance(10 * time.Minute)
	h.b.renewErr["amino"] = fmt.Errorf("amino: refresh failed: %w", flows.ErrSignInRequired)
	h.send(await[tokenFailedMsg](t, run(h.press("c"))))
	if h.m.status != "amino: refresh failed: sign-in required — press l to sign in" {
		t.Errorf("status %q", h.m.status)
	}
}

func TestCheck(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.b.checks["aikido"] = &flows.Check{Status: 200, Latency: 42 * time.Millisecond}
	h.send(await[checkedMsg](t, run(h.press("p"))))
	if h.m.status != "aikido: check 200 · 42ms" {
		t.Errorf("status %q", h.m.status)
	}
	if !strings.Contains(h.frame(), "200 · 42ms · just now") {
		t.Errorf("row does not show the check:\n%s", h.frame())
	}

	h.b.checks["aikido"] = &flows.Check{Status: 401, Latency: 42 * time.Millisecond, Err: "401 Unauthorized"}
	h.send(await[checkedMsg](t, run(h.press("p"))))
	if h.m.status != "aikido: check 401 · 42ms: 401 Unauthorized" || h.m.statusLevel != levelError {
		t.Errorf("status %q", h.m.status)
	}
	if h.m.byName["aikido"].cond.Condition != flows.Failing {
		t.Error("a failed check does not stand out")
	}
}

func TestCheckAll(t *testing.T) {
	h := newHarness(t, 120, 35)
	r := run(h.press("P"))
	// aikido, aerion and okta have a token and a check URL
	if n := len(h.m.busy); n != 3 {
		t.Fatalf("%d checks running, want 3", n)
	}
	for range 3 {
		h.send(await[checkedMsg](t, r))
	}
	if h.m.status != "checked 3 of 3" {
		t.Errorf("status %q", h.m.status)
	}
}

func TestLogoutConfirmation(t *testing.T) {
	h := newHarness(t, 120, 35)
	if cmd := h.press("x"); cmd != nil && len(h.m.busy) > 0 {
		t.Fatal("x logged out without asking")
	}
	if !strings.Contains(h.frame(), "log out of aikido? its stored tokens will be deleted (y/n)") {
		t.Fatalf("no question:\n%s", h.frame())
	}
	h.press("n")
	if h.m.mode != modeNormal || len(h.b.called()) != 0 {
		t.Fatal("n did not cancel")
	}
	h.press("x", "esc")
	if h.m.mode != modeNormal || len(h.b.called()) != 0 {
		t.Fatal("esc did not cancel")
	}
	r := run(h.press("x", "y"))
	h.send(await[loggedOutMsg](t, r))
	if h.m.byName["aikido"].st.Token != nil || h.m.status != "aikido: logged out" {
		t.Errorf("not logged out: status %q", h.m.status)
	}
	// Client credentials fetch a token without a person: no token yet,
	// as tokentop status says, not signed out.
	if r := e2eRow(h.frame(), "aikido"); !strings.Contains(r, "◌ aikido") || !strings.Contains(r, "no token yet") {
		t.Errorf("row after logout: %q", r)
	}
	if calls := h.b.called(); len(calls) != 1 || calls[0] != "logout aikido" {
		t.Errorf("calls %v", calls)
	}
}

func TestBrowserSignIn(t *testing.T) {
	h := newHarness(t, 120, 35)
	p := newPending(kindBrowser)
	h.b.logins["aha"] = p
	h.selectRow("aha")
	begun := await[loginBegunMsg](t, run(h.press("l")))
	r := run(h.send(begun))
	await[browserOpenedMsg](t, r)
	if got := h.rec.browsed(); len(got) != 1 || got[0] != p.url {
		t.Errorf("browser opened on %v", got)
	}
	h.send(browserOpenedMsg{begun.jobRef})
	f := h.frame()
	for _, want := range []string{"sign in to aha", p.url, "press i to paste", "esc cancels the sign-in", "c copy URL"} {
		if !strings.Contains(f, want) {
			t.Errorf("frame lacks %q:\n%s", want, f)
		}
	}

	// c copies the URL, not a token
	msgs := awaitN(t, run(h.press("c")), 2)
	for _, msg := range msgs {
		if s, ok := clipboardOf(msg); ok && s != p.url {
			t.Errorf("copied %q", s)
		}
		h.send(msg)
	}
	if h.m.status != "copied aha sign-in URL (OSC 52 and system clipboard)" {
		t.Errorf("status %q", h.m.status)
	}

	// a wrong paste is refused, and the sign-in goes on
	h.press("i")
	h.typeText("https://elsewhere.example/cb?code=1")
	h.send(await[pasteRefusedMsg](t, run(h.press("enter"))))
	if !strings.Contains(h.m.status, "state mismatch") || h.m.busy["aha"] == nil {
		t.Fatalf("refused paste: status %q, busy %v", h.m.status, h.m.busy["aha"])
	}
	if !strings.Contains(h.frame(), "refused: aha: the pasted URL") {
		t.Errorf("pane does not show the refusal:\n%s", h.frame())
	}

	// a bracketed paste of the right URL opens the field with it
	h.send(tea.PasteMsg{Content: "http://127.0.0.1:8123/callback?code=abc&state=xyz"})
	if h.m.mode != modePaste {
		t.Fatal("paste did not open the field")
	}
	h.send(await[pasteAcceptedMsg](t, run(h.press("enter"))))
	h.send(await[loginDoneMsg](t, r))
	if h.m.busy["aha"] != nil || h.m.byName["aha"].st.Token == nil {
		t.Fatal("not signed in")
	}
	if !strings.HasPrefix(h.m.status, "aha: signed in, token valid for 1h 00m") {
		t.Errorf("status %q", h.m.status)
	}
	noSecrets(t, h.frame())
}

func TestPasswordSignIn(t *testing.T) {
	h := newHarness(t, 80, 24)
	p := newPending(kindPassword)
	h.b.logins["aerion"] = p
	h.selectRow("aerion")
	r := run(h.send(await[loginBegunMsg](t, run(h.press("l")))))
	if h.m.mode != modePassword {
		t.Fatal("no password form")
	}
	h.typeText("hunter2")
	f := h.frame()
	if !strings.Contains(f, "alice@example.com") || !strings.Contains(f, "•••••••") {
		t.Errorf("form:\n%s", f)
	}
	noSecrets(t, f)

	h.send(await[passwordRefusedMsg](t, run(h.press("enter"))))
	if h.m.pwd.Value() != "" {
		t.Error("the password stayed in the model")
	}
	if !strings.Contains(h.m.status, "wrong password") || h.m.busy["aerion"] == nil {
		t.Fatalf("status %q", h.m.status)
	}
	if h.m.mode != modePassword || !strings.Contains(h.frame(), "refused: aerion: invalid_grant: wrong password") {
		t.Fatalf("the form did not stay open with the refusal:\n%s", h.frame())
	}
	h.typeText("right")
	run(h.press("enter"))
	h.send(await[loginDoneMsg](t, r))
	if got := p.submitted(); len(got) != 2 || got[0] != "hunter2" || got[1] != "right" {
		t.Errorf("submitted %q: want each password once", got)
	}
	if h.m.byName["aerion"].st.NeedsSignIn || h.m.busy["aerion"] != nil {
		t.Error("still needs a sign-in")
	}
}

func TestDeviceSignIn(t *testing.T) {
	h := newHarness(t, 120, 35)
	p := newPending(kindDevice)
	h.b.logins["okta"] = p
	h.selectRow("okta")
	begun := run(h.send(await[loginBegunMsg](t, run(h.press("l", "y")))))
	f := h.frame()
	if !strings.Contains(f, "Enter this code: WDJB-MJHT") || !strings.Contains(f, p.url) {
		t.Errorf("frame:\n%s", f)
	}
	// The code is copied (OSC 52 and the system clipboard) and the
	// verification page opened without a key press.
	var osc string
	var sawCopied, sawOpened bool
	for _, msg := range awaitN(t, begun, 3) {
		if s, ok := clipboardOf(msg); ok {
			osc = s
		}
		switch msg.(type) {
		case copiedMsg:
			sawCopied = true
		case browserOpenedMsg:
			sawOpened = true
		}
	}
	if osc != "WDJB-MJHT" || !sawCopied || !sawOpened {
		t.Errorf("on start: OSC 52 %q, copied %v, opened %v", osc, sawCopied, sawOpened)
	}
	if got := h.rec.clipboard(); len(got) != 1 || got[0] != "WDJB-MJHT" {
		t.Errorf("system clipboard got %q", got)
	}
	if got := h.rec.browsed(); len(got) != 1 || got[0] != p.url {
		t.Errorf("browser opened %q", got)
	}
	for _, msg := range awaitN(t, run(h.press("c")), 2) {
		if s, ok := clipboardOf(msg); ok && s != "WDJB-MJHT" {
			t.Errorf("copied %q", s)
		}
	}
}

func TestCancelSignIn(t *testing.T) {
	h := newHarness(t, 120, 35)
	p := newPending(kindPassword)
	h.b.logins["aerion"] = p
	h.selectRow("aerion")
	begun := await[loginBegunMsg](t, run(h.press("l")))
	j := h.m.busy["aerion"]
	r := run(h.send(begun))
	runSync(h.press("esc")) // in the password form: cancels the sign-in
	if h.m.busy["aerion"] != nil || h.m.mode != modeNormal {
		t.Fatal("esc did not cancel")
	}
	if j.ctx.Err() == nil || p.cancelCount() != 1 {
		t.Errorf("context live: %v; Pending.Cancel ran %d times", j.ctx.Err() == nil, p.cancelCount())
	}
	failed := await[loginFailedMsg](t, r) // Wait returns once cancelled
	h.send(failed)
	if h.m.status != "aerion: sign-in cancelled" {
		t.Errorf("the cancelled sign-in's failure was shown: %q", h.m.status)
	}
	// a result arriving after the cancel is dropped too
	h.send(loginDoneMsg{jobRef: begun.jobRef, tok: &flows.Token{AccessToken: "late"}})
	if tok := h.m.byName["aerion"].st.Token; tok != nil && tok.AccessToken == "late" {
		t.Error("the result of a cancelled sign-in was applied")
	}
}

func TestCancelWhileStarting(t *testing.T) {
	h := newHarness(t, 120, 35)
	p := newPending(kindBrowser)
	h.b.logins["aha"] = p
	h.selectRow("aha")
	begun := await[loginBegunMsg](t, run(h.press("l")))
	h.press("esc")
	cmd := h.send(begun)
	if len(h.rec.browsed()) != 0 {
		t.Fatal("opened a browser for a cancelled sign-in")
	}
	runSync(cmd)
	if p.cancelCount() != 1 {
		t.Error("the late pending was not cancelled")
	}
}

func TestConcurrentSignIns(t *testing.T) {
	h := newHarness(t, 120, 35)
	pa, pb := newPending(kindBrowser), newPending(kindPassword)
	h.b.logins["aha"], h.b.logins["aerion"] = pa, pb
	h.selectRow("aha")
	ra := run(h.send(await[loginBegunMsg](t, run(h.press("l")))))
	h.selectRow("aerion")
	rb := run(h.send(await[loginBegunMsg](t, run(h.press("l")))))
	if len(h.m.busy) != 2 {
		t.Fatalf("%d sign-ins running, want 2", len(h.m.busy))
	}
	if n := strings.Count(h.frame(), "waiting for you"); n != 2 || strings.Contains(h.frame(), "busy") {
		t.Errorf("%d rows show a sign-in:\n%s", n, h.frame())
	}
	// the second finishes first
	h.typeText("right")
	run(h.press("enter"))
	h.send(await[loginDoneMsg](t, rb))
	if h.m.busy["aerion"] != nil || h.m.busy["aha"] == nil {
		t.Fatal("the wrong sign-in ended")
	}
	pa.finish(nil)
	h.send(await[loginDoneMsg](t, ra))
	if len(h.m.busy) != 0 {
		t.Fatal("sign-ins still running")
	}
	for _, n := range []string{"aha", "aerion"} {
		if h.m.byName[n].st.Token == nil {
			t.Errorf("%s has no token", n)
		}
	}
}

func TestSignInFailure(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.selectRow("aha") // nothing planted: BeginLogin fails
	h.send(await[loginFailedMsg](t, run(h.press("l"))))
	if h.m.status != "aha: no sign-in planted" || h.m.busy["aha"] != nil {
		t.Errorf("status %q", h.m.status)
	}
}

func TestQuitCancelsEverything(t *testing.T) {
	h := newHarness(t, 120, 35)
	p := newPending(kindBrowser)
	h.b.logins["aha"] = p
	h.selectRow("aha")
	h.send(await[loginBegunMsg](t, run(h.press("l"))))
	j := h.m.busy["aha"]
	msgs := runSync(h.press("q"))
	if _, ok := msgs[len(msgs)-1].(tea.QuitMsg); !ok {
		t.Fatalf("q ended with %#v, want tea.QuitMsg", msgs)
	}
	if p.cancelCount() != 1 {
		t.Errorf("Pending.Cancel ran %d times before quitting, want 1", p.cancelCount())
	}
	if j.ctx.Err() == nil || h.m.ctx.Err() == nil {
		t.Error("contexts still live after quit")
	}
}

func TestFilter(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.press("/")
	h.typeText("AER")
	if len(h.m.visible) != 1 || h.m.selectedName() != "aerion" {
		t.Fatalf("visible %v", h.m.visible)
	}
	h.press("enter")
	if h.m.mode != modeNormal || !strings.Contains(h.frame(), `filter "AER": 1 shown`) {
		t.Fatalf("filter not kept:\n%s", h.frame())
	}
	h.press("/")
	h.typeText("\b")
	h.press("esc")
	if len(h.m.visible) != 5 || h.m.selectedName() != "aerion" {
		t.Fatalf("esc did not clear the filter, or lost the selection: %v %q", h.m.visible, h.m.selectedName())
	}
	// by provider
	h.press("/")
	h.typeText("oauth2")
	if len(h.m.visible) != 1 || h.m.selectedName() != "okta" {
		t.Fatalf("provider filter: %v", h.m.visible)
	}
	h.press("/", "esc")
	h.press("/")
	h.typeText("zzz")
	if !strings.Contains(h.frame(), "no connection matches the filter") {
		t.Errorf("frame:\n%s", h.frame())
	}
}

func TestHelpShowsOnlyWhatApplies(t *testing.T) {
	h := newHarness(t, 200, 35)
	helpText := func() string { return ansi.Strip(h.m.helpView()) }
	if s := helpText(); !strings.Contains(s, "r renew") || !strings.Contains(s, "c copy token") || strings.Contains(s, "esc") {
		t.Errorf("aikido: %s", s)
	}
	h.selectRow("aha") // signed out
	if s := helpText(); strings.Contains(s, "renew") || strings.Contains(s, "copy") || strings.Contains(s, "log out") || !strings.Contains(s, "l sign in") {
		t.Errorf("aha: %s", s)
	}
	h.press("x")
	if s := helpText(); s != "" && strings.Contains(s, "x log out") {
		t.Errorf("confirm: %s", s)
	}
	h.press("n", "?")
	if h.m.overlay != overlayHelp {
		t.Error("? did not show all keys")
	}
	if s := h.frame(); !strings.Contains(s, "renew all that can") {
		t.Errorf("full help:\n%s", s)
	}
}

func TestPollShowsOtherProcessesWrites(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.b.put("aha", flows.State{Token: &flows.Token{AccessToken: "aha-" + sentinel + "-0123456789", Expiry: t0.Add(30 * time.Minute)}})
	cmd := h.send(tickMsg{})
	h.send(await[changedMsg](t, run(cmd)))
	if h.m.byName["aha"].st.Token == nil {
		t.Fatal("another process's sign-in did not show")
	}
	if !strings.Contains(h.frame(), "30m 00s") {
		t.Errorf("frame:\n%s", h.frame())
	}
}

func TestCountdownFollowsTheClock(t *testing.T) {
	h := newHarness(t, 120, 35)
	if !strings.Contains(h.frame(), "50m 00s") {
		t.Fatalf("frame:\n%s", h.frame())
	}
	h.clock.Advance(61 * time.Second)
	h.send(tickMsg{})
	if !strings.Contains(h.frame(), "48m 59s") {
		t.Fatalf("frame:\n%s", h.frame())
	}
	h.clock.Advance(time.Hour)
	h.send(tickMsg{})
	if !strings.Contains(h.frame(), "expired 11m 01s ago") {
		t.Fatalf("frame:\n%s", h.frame())
	}
}

func TestAutomaticRenewal(t *testing.T) {
	h := newHarness(t, 120, 35)
	amino := h.m.byName["amino"]
	due := t0.Add(8*time.Minute - productionMargin()) // refresh_before ahead of expiry
	if want := due; !amino.due.Equal(want) {
		t.Fatalf("amino due %v, want %v", amino.due, want)
	}
	// okta cannot renew without a person; aerion needs a sign-in; aha is
	// signed out: none is planned.
	for _, n := range []string{"okta", "aerion", "aha"} {
		if !h.m.byName[n].due.IsZero() {
			t.Errorf("%s planned for %v", n, h.m.byName[n].due)
		}
	}

	h.clock.Advance(due.Sub(h.clock.Now()) - time.Second)
	if h.send(tickMsg{}); h.m.busy["amino"] != nil {
		t.Fatal("renewed before it was due")
	}
	h.b.renewErr["amino"] = &flows.ConnError{Conn: "amino", Err: errors.New("connection refused")}
	h.clock.Advance(time.Second)
	cmd := h.send(tickMsg{})
	if j := h.m.busy["amino"]; j == nil || !j.auto {
		t.Fatal("due renewal did not start")
	}
	h.send(await[renewFailedMsg](t, run(cmd)))
	if amino.failures != 1 || !amino.due.Equal(h.clock.Now().Add(5*time.Second)) {
		t.Fatalf("after 1 failure: %d failures, due %v", amino.failures, amino.due)
	}
	if !strings.Contains(h.m.status, "amino: renewal failing: connection refused; retrying in 5s") {
		t.Errorf("status %q", h.m.status)
	}

	// backoff doubles: 5s, 10s, 20s …
	for i, wait := range []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second} {
		h.clock.Advance(wait - time.Second)
		if h.send(tickMsg{}); h.m.busy["amino"] != nil {
			t.Fatalf("retry %d came early", i+1)
		}
		h.clock.Advance(time.Second)
		cmd := h.send(tickMsg{})
		if h.m.busy["amino"] == nil {
			t.Fatalf("retry %d did not start after %s", i+1, wait)
		}
		h.send(await[renewFailedMsg](t, run(cmd)))
	}
	if amino.failures != 4 || !amino.due.Equal(h.clock.Now().Add(40*time.Second)) {
		t.Fatalf("after 4 failures: %d, due in %v", amino.failures, amino.due.Sub(h.clock.Now()))
	}

	// success resets, and plans the next one refresh_before ahead of expiry
	delete(h.b.renewErr, "amino")
	h.clock.Advance(40 * time.Second)
	h.send(await[renewedMsg](t, run(h.send(tickMsg{}))))
	if amino.failures != 0 || !amino.due.Equal(h.clock.Now().Add(time.Hour-productionMargin())) {
		t.Fatalf("after success: %d failures, due in %v", amino.failures, amino.due.Sub(h.clock.Now()))
	}

	// a refusal that needs a person stops the loop
	h.b.renewErr["amino"] = fmt.Errorf("amino: invalid_grant: %w", flows.ErrSignInRequired)
	h.clock.Advance(time.Hour - productionMargin())
	h.send(await[renewFailedMsg](t, run(h.send(tickMsg{}))))
	if !amino.due.IsZero() || amino.cond.Condition != flows.SignInRequired {
		t.Fatalf("still planned at %v", amino.due)
	}
	h.clock.Advance(time.Hour)
	if h.send(tickMsg{}); h.m.busy["amino"] != nil {
		t.Fatal("looped on a connection that needs a person")
	}
}

func TestBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 5 * time.Second, 2: 10 * time.Second, 3: 20 * time.Second, 7: 5 * time.Minute, 100: 5 * time.Minute} {
		if got := backoff(n); got != want {
			t.Errorf("backoff(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestTickTouchesOnlyDueRows(t *testing.T) {
	h := benchModel(t, 1000)
	before := len(h.m.due)
	h.send(tickMsg{})
	if len(h.m.due) != before || len(h.m.busy) != 0 {
		t.Fatalf("a tick with nothing due changed the plan: %d → %d entries, %d busy", before, len(h.m.due), len(h.m.busy))
	}
}

func TestBackgroundColour(t *testing.T) {
	h := newHarness(t, 120, 35)
	dark := h.m.st.Palette.OK
	h.send(tea.BackgroundColorMsg{Color: lightColour{}})
	if h.m.isDark || h.m.st.Palette.OK == dark {
		t.Error("styles not rebuilt for a light background")
	}
}

type lightColour struct{}

func (lightColour) RGBA() (r, g, b, a uint32) { return 0xffff, 0xffff, 0xffff, 0xffff }

func TestDecodeClaims(t *testing.T) {
	claims := decodeClaims(jwt(`{"sub":"svc-42","exp":1795928400,"roles":["a","b"],"evil":"x\u001b[31my"}`))
	got := map[string]string{}
	for _, c := range claims {
		got[c.name] = c.value
	}
	want := map[string]string{"sub": "svc-42", "exp": "1795928400", "roles": `["a","b"]`, "evil": "x [31my"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("claim %s = %q, want %q", k, got[k], v)
		}
	}
	if decodeClaims("opaque-token") != nil || decodeClaims("a.!!!.c") != nil {
		t.Error("decoded a token that is not a JWT")
	}
}

func FuzzDecodeClaims(f *testing.F) {
	f.Add(jwt(`{"sub":"x"}`))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range decodeClaims(s) {
			if strings.ContainsAny(c.name+c.value, "\x1b\n\r") {
				t.Fatalf("unsafe claim %q=%q", c.name, c.value)
			}
		}
	})
}

func TestClientCredentialsStartOverAlone(t *testing.T) {
	clock := &fakeClock{t: t0}
	b := newFakeBackend(clock, &flows.Connection{Name: "svc", Provider: flows.Aikido, Flow: flows.ClientCredentials})
	b.put("svc", flows.State{
		Token:       &flows.Token{AccessToken: "svc-" + sentinel + "-0123456789", Expiry: t0.Add(-time.Minute)},
		NeedsSignIn: true, LastError: "svc: invalid_grant",
	})
	h := newHarnessWith(t, b, clock, 120, 35)
	r := h.m.byName["svc"]
	if r.cond.Condition == flows.SignInRequired {
		t.Fatal("client credentials marked sign-in required: they need nobody")
	}
	if j := h.m.busy["svc"]; j == nil || !j.auto {
		t.Fatal("an expired client-credentials token was not renewed at once")
	}
}

func TestDetailScrolls(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.press("enter")
	if f := h.frame(); strings.Contains(f, "events") || !strings.Contains(f, "more lines (ctrl+d scrolls)") {
		t.Fatalf("the pane fits at 80x24?\n%s", f)
	}
	for range 3 {
		h.send(tea.KeyPressMsg{Code: 'd', Mod: tea.ModCtrl})
	}
	f := h.frame()
	if !strings.Contains(f, "events") || !strings.Contains(f, "aikido · aikido") {
		t.Fatalf("ctrl+d did not scroll to the events, or lost the title:\n%s", f)
	}
	h.press("j")
	if h.m.paneOff != 0 {
		t.Error("scroll kept across a new selection")
	}
}

func TestConfigWarningsShow(t *testing.T) {
	clock := &fakeClock{t: t0}
	b := newFakeBackend(clock, testConns()...)
	b.cfg.Warnings = []string{"config.toml is readable by others and holds a literal client_secret (aikido)"}
	h := newHarnessWith(t, b, clock, 120, 35)
	if !strings.Contains(h.frame(), "config.toml is readable by others") || h.m.statusLevel != levelWarn {
		t.Errorf("warning not shown:\n%s", h.frame())
	}
}

func TestFilterTypesLettersThatAreKeys(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.press("/")
	h.typeText("jkqrlxg")
	if got := h.m.filter.Value(); got != "jkqrlxg" || h.m.quitting || len(h.m.busy) != 0 {
		t.Fatalf("filter %q, quitting %v, busy %d", got, h.m.quitting, len(h.m.busy))
	}
	h.press("esc", "/")
	h.typeText("a")
	h.press("down")
	if h.m.selectedName() != "aha" {
		t.Errorf("down in the filter selected %q", h.m.selectedName())
	}
}

func TestLogoutWhileBusy(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.press("x")
	h.press("esc")
	h.press("r", "x") // x does not apply while renewing
	if h.m.mode == modeConfirm {
		t.Fatal("asked to log out of a busy connection")
	}
	h.press("esc", "x")
	h.m.start("aikido", jobRenew, true, true, false) // an automatic renewal starts meanwhile
	h.press("y")
	if !strings.Contains(h.m.status, "aikido: busy renewing… try again") || h.m.busy["aikido"].kind != jobRenew {
		t.Errorf("status %q", h.m.status)
	}
}

func TestStrayTickDoesNotStartASecondHeartbeat(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.m.polling = true // a poll is in flight: the tick has nothing else to start
	if cmd := h.send(tickMsg{}); cmd != nil {
		t.Error("a tick that is not the heartbeat re-armed itself")
	}
	if cmd := h.send(tickMsg{heartbeat}); cmd == nil {
		t.Error("the heartbeat did not re-arm")
	}
}
