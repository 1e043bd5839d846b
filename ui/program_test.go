package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// TestProgram runs the dashboard as a real Bubble Tea program on the fake
// backend: the countdown moves with the clock, r renews, c copies, x y logs
// out, q quits. It observes messages and frames through tea.WithFilter and
// the final model, not the renderer's output.
func TestProgram(t *testing.T) {
	clock := &fakeClock{t: t0}
	b := newFakeBackend(clock, testConns()...)
	seed(b)
	rec := &recorder{}
	m := New(b, Options{Now: clock.Now, Clipboard: rec.clip, OpenURL: rec.open})
	m.loc = time.UTC

	p := startProgram(t, m, 120, 35, func(msg tea.Msg) bool {
		switch msg.(type) {
		case changedMsg, renewedMsg, tokenMsg, copiedMsg, copiedOSC52OnlyMsg, loggedOutMsg:
			return true
		}
		_, ok := clipboardOf(msg)
		return ok
	})
	frame, tm := p.frame, p.tm
	wait := func(match func(tea.Msg) bool, what string) tea.Msg {
		t.Helper()
		return p.wait(what, match)
	}
	row := func(f, name string) string {
		for _, l := range strings.Split(f, "\n") {
			if strings.Contains(l, " "+name+" ") {
				return l
			}
		}
		return ""
	}

	wait(func(msg tea.Msg) bool { _, ok := msg.(changedMsg); return ok }, "the first poll")
	if r := row(frame(), "aikido"); !strings.Contains(r, "50m 00s") {
		t.Fatalf("start: %q", r)
	}
	for _, want := range []string{"49m 59s", "49m 58s"} {
		clock.Advance(time.Second)
		tm.Send(tickMsg{})
		if r := row(frame(), "aikido"); !strings.Contains(r, want) {
			t.Fatalf("after a tick: %q, want %s", r, want)
		}
	}

	tm.Send(keyMsg("r"))
	wait(func(msg tea.Msg) bool { _, ok := msg.(renewedMsg); return ok }, "the renewal")
	if f := frame(); !strings.Contains(row(f, "aikido"), "1h 00m") || !strings.Contains(f, "aikido: renewed, valid for 1h 00m") {
		t.Fatalf("after renewing:\n%s", f)
	}

	tm.Send(keyMsg("c"))
	tok := wait(func(msg tea.Msg) bool { _, ok := msg.(tokenMsg); return ok }, "the token").(tokenMsg).tok.AccessToken
	osc := wait(func(msg tea.Msg) bool { _, ok := clipboardOf(msg); return ok }, "the OSC 52 copy")
	if s, _ := clipboardOf(osc); s != tok {
		t.Errorf("OSC 52 carried %q, want the renewed token", s)
	}
	wait(func(msg tea.Msg) bool { _, ok := msg.(copiedMsg); return ok }, "the system copy")
	f := frame()
	if !strings.Contains(f, "copied aikido token (OSC 52 and system clipboard)") {
		t.Errorf("after copying:\n%s", f)
	}
	noSecrets(t, f)
	if got := rec.clipboard(); len(got) != 1 || got[0] != tok {
		t.Errorf("system clipboard %q", got)
	}

	tm.Send(keyMsg("x"))
	tm.Send(keyMsg("y"))
	wait(func(msg tea.Msg) bool { _, ok := msg.(loggedOutMsg); return ok }, "the logout")
	if r := row(frame(), "aikido"); !strings.Contains(r, "no token yet") {
		t.Errorf("after logout: %q", r)
	}

	final := p.quit()
	if len(final.busy) != 0 || final.ctx.Err() == nil {
		t.Error("work left running after quit")
	}
	if st := b.state("aikido"); st.Token != nil {
		t.Error("backend still has a token after logout")
	}
	want := []string{"renew aikido", "token aikido " + productionMargin().String(), "logout aikido"}
	if got := b.called(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("backend calls %v, want %v", got, want)
	}
}
