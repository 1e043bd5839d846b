package ui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	tea "charm.land/bubbletea/v2"

	"tokentop/flows"
	"tokentop/flows/fault"
)

// onePassword is a password sign-in as flows makes one: it takes one
// password, and Wait ends with the provider's answer to it.
type onePassword struct {
	user   string
	answer error // what the provider says to the password; nil: a token
	pw     chan string
	once   sync.Once
	b      *fakeBackend
	name   string
}

// Username is the configured username.
func (p *onePassword) Username() string { return p.user }

// Cancel does nothing: Wait ends with its context.
func (p *onePassword) Cancel() {}

// SubmitPassword takes the first password only, as flows does.
func (p *onePassword) SubmitPassword(pw string) error {
	sent := false
	p.once.Do(func() { p.pw <- pw; sent = true })
	if !sent {
		return errors.New("a password was already submitted")
	}
	return nil
}

// Wait ends with the provider's answer to the password.
func (p *onePassword) Wait(ctx context.Context) (*flows.Token, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.pw:
	}
	if p.answer != nil {
		return nil, &flows.ConnError{Conn: p.name, Err: p.answer}
	}
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	st := flows.State{Token: p.b.newToken(p.name)}
	p.b.putLocked(p.name, st)
	return st.Token.Clone(), nil
}

// passwordBackend hands out a new onePassword at each BeginLogin, the
// provider answering the passwords with answers in turn.
type passwordBackend struct {
	*fakeBackend
	mu      sync.Mutex
	answers []error
	begun   int
}

// BeginLogin starts a new password sign-in, answered in turn.
func (b *passwordBackend) BeginLogin(ctx context.Context, name string) (flows.Pending, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var answer error
	if b.begun < len(b.answers) {
		answer = b.answers[b.begun]
	}
	b.begun++
	return &onePassword{user: "alice@example.com", answer: answer, pw: make(chan string, 1), b: b.fakeBackend, name: name}, nil
}

// passwordHarness is the usual harness on a passwordBackend.
func passwordHarness(t *testing.T, answers ...error) *harness {
	clock := &fakeClock{t: t0}
	fb := newFakeBackend(clock, testConns()...)
	seed(fb)
	b := &passwordBackend{fakeBackend: fb, answers: answers}
	rec := &recorder{}
	h := &harness{t: t, b: fb, clock: clock, rec: rec}
	h.m = New(b, Options{Now: clock.Now, Clipboard: rec.clip, OpenURL: rec.open})
	h.send(tea.WindowSizeMsg{Width: 120, Height: 35})
	h.poll()
	return h
}

// TestRefusedPasswordKeepsTheForm: when the provider refuses the password
// and flows ends the sign-in, a new one starts by itself and the form comes
// back with the provider's words under it and the username; the next
// password signs in. While the form waits the row reads "waiting for you"
// and nothing is busy; a sent password is busy.
func TestRefusedPasswordKeepsTheForm(t *testing.T) {
	refusal := &fault.ProviderError{Status: 400, Code: "invalid_grant", Description: "wrong username or password"}
	h := passwordHarness(t, refusal, nil)
	h.selectRow("aerion")
	r := run(h.send(await[loginBegunMsg](t, run(h.press("l")))))
	if h.m.mode != modePassword {
		t.Fatal("no password form")
	}
	f := h.frame()
	if !strings.Contains(f, "waiting for you") || strings.Contains(f, "busy") {
		t.Errorf("a sign-in waiting for the person shows as busy:\n%s", f)
	}
	h.typeText("hunter2")
	r.add(h.press("enter"))
	if f := h.frame(); !strings.Contains(f, "1 busy") || !strings.Contains(f, "signing in…") {
		t.Errorf("a sent password is not busy:\n%s", f)
	}
	again := run(h.send(await[loginFailedMsg](t, r)))
	if h.m.busy["aerion"] == nil {
		t.Fatal("the refusal ended the sign-in")
	}
	r2 := run(h.send(await[loginBegunMsg](t, again)))
	f = h.frame()
	if h.m.mode != modePassword || h.m.pwdFor != "aerion" {
		t.Fatalf("the form did not come back:\n%s", f)
	}
	for _, want := range []string{"refused: aerion: invalid_grant: wrong username or password", "alice@example.com", "password:", "waiting for you"} {
		if !strings.Contains(f, want) {
			t.Errorf("form lacks %q:\n%s", want, f)
		}
	}
	noSecrets(t, f)

	h.typeText("right")
	r2.add(h.press("enter"))
	h.send(await[loginDoneMsg](t, r2))
	if h.m.busy["aerion"] != nil || h.m.byName["aerion"].st.Token == nil || h.m.mode != modeNormal {
		t.Fatal("the second password did not sign in")
	}
}

// TestPasswordSignInFailingOnTheWayEnds: an error that is not the
// provider's answer (nothing reached it) ends the sign-in as before.
func TestPasswordSignInFailingOnTheWayEnds(t *testing.T) {
	h := passwordHarness(t, errors.New("token endpoint: not sent: connection refused"))
	h.selectRow("aerion")
	r := run(h.send(await[loginBegunMsg](t, run(h.press("l")))))
	h.typeText("hunter2")
	r.add(h.press("enter"))
	h.send(await[loginFailedMsg](t, r))
	if h.m.busy["aerion"] != nil || h.m.mode != modeNormal || !strings.Contains(h.m.status, "connection refused") {
		t.Fatalf("busy %v, mode %v, status %q", h.m.busy["aerion"], h.m.mode, h.m.status)
	}
}

// TestSignInAgainAsks: l on a connection with a valid token asks first; n
// keeps it, y signs in; a connection that needs a sign-in is not asked
// about.
func TestSignInAgainAsks(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.b.logins["amino"] = newPending(kindPassword)
	h.b.logins["aerion"] = newPending(kindPassword)
	h.selectRow("amino")
	if cmd := h.press("l"); cmd != nil || h.m.busy["amino"] != nil {
		t.Fatal("l on a signed-in connection started a sign-in")
	}
	if f := h.frame(); !strings.Contains(f, "amino is signed in; sign in again? (y/n)") {
		t.Fatalf("no question:\n%s", f)
	}
	h.press("n")
	if h.m.mode != modeNormal || h.m.busy["amino"] != nil || h.m.status != "amino: still signed in" {
		t.Fatalf("n: mode %v, status %q", h.m.mode, h.m.status)
	}
	h.send(await[loginBegunMsg](t, run(h.press("l", "y"))))
	if h.m.busy["amino"] == nil || h.m.mode != modePassword {
		t.Fatal("y did not sign in")
	}
	h.press("esc")

	h.selectRow("aerion")
	h.send(await[loginBegunMsg](t, run(h.press("l"))))
	if h.m.mode != modePassword {
		t.Fatalf("aerion needs a sign-in, yet l asked: mode %v", h.m.mode)
	}
}

// TestWaitingForYouIsNotBusy: a browser or device sign-in waiting for the
// person reads "waiting for you" with its condition's mark, not a spinner,
// and is not counted busy; a pasted redirect URL puts it back on the wire.
func TestWaitingForYouIsNotBusy(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.b.logins["okta"] = newPending(kindDevice)
	h.b.logins["aha"] = newPending(kindBrowser)
	h.selectRow("okta")
	h.send(await[loginBegunMsg](t, run(h.press("l", "y"))))
	h.selectRow("aha")
	h.send(await[loginBegunMsg](t, run(h.press("l"))))
	f := h.frame()
	for _, name := range []string{"okta", "aha"} {
		line := rowLine(f, name)
		if !strings.Contains(line, "waiting for you") || strings.Contains(line, h.m.spinner.View()) {
			t.Errorf("%s: %q", name, line)
		}
	}
	if strings.Contains(f, "busy") || h.m.working() != 0 {
		t.Errorf("waiting sign-ins counted busy:\n%s", f)
	}
	h.send(pasteAcceptedMsg{jobRef{"aha", h.m.busy["aha"].id}})
	if f := h.frame(); !strings.Contains(f, "1 busy") || !strings.Contains(rowLine(f, "aha"), "signing in…") {
		t.Errorf("after the paste:\n%s", f)
	}
}

// rowLine is the table line of a connection in a frame.
func rowLine(frame, name string) string {
	for _, l := range strings.Split(frame, "\n") {
		if strings.Contains(l, " "+name+" ") && !strings.HasPrefix(l, "│") {
			return l
		}
	}
	return ""
}
