package ui

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"tokentop/flows"
)

func TestWindowTitle(t *testing.T) {
	for n, want := range map[int]string{
		0: "tokentop",
		1: "tokentop — 1 needs attention",
		2: "tokentop — 2 need attention",
		7: "tokentop — 7 need attention",
	} {
		if got := windowTitle(n); got != want {
			t.Errorf("windowTitle(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestWindowTitleFollowsTheCount: the title (OSC 2) changes as rows come
// to need attention and stop needing it.
func TestWindowTitleFollowsTheCount(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.send(tickMsg{})
	if got, want := h.m.View().WindowTitle, windowTitle(h.m.attention); got != want || h.m.attention != 3 {
		t.Fatalf("title %q with %d needing attention", got, h.m.attention)
	}
	h.b.put("aerion", flows.State{Token: &flows.Token{AccessToken: "aerion-" + sentinel, Expiry: t0.Add(time.Hour)}})
	h.poll()
	if got := h.m.View().WindowTitle; got != "tokentop — 2 need attention" {
		t.Fatalf("title %q after aerion signed in", got)
	}
}

// TestBellRingsOncePerTransition: with bell = true, exactly one bell per
// connection newly needing a person; none for what needed one at start-up,
// none on later frames, none with bell = false.
func TestBellRingsOncePerTransition(t *testing.T) {
	for _, bell := range []bool{true, false} {
		h := newHarness(t, 80, 24)
		h.b.cfg.Bell = bell
		h.send(tickMsg{})
		h.send(tickMsg{})
		if h.m.rung != 0 {
			t.Fatalf("bell=%v: %d bells at start-up for rows that already needed a person", bell, h.m.rung)
		}
		// aha signs in (no bell), then loses its token: one bell.
		h.b.put("aha", flows.State{Token: &flows.Token{AccessToken: "aha-" + sentinel, Expiry: t0.Add(time.Hour)}})
		h.poll()
		if h.m.rung != 0 {
			t.Fatalf("bell=%v: a bell for a row that stopped needing a person", bell)
		}
		h.b.put("aha", flows.State{})
		cmd := h.poll()
		for range 3 {
			h.send(tickMsg{})
		}
		want := 0
		if bell {
			want = 1
		}
		if h.m.rung != want {
			t.Fatalf("bell=%v: %d bells for one transition, want %d", bell, h.m.rung, want)
		}
		if bell && !hasBell(cmd) {
			t.Error("the transition's Update returned no BEL")
		}
		// A second transition rings again.
		h.b.put("aha", flows.State{Token: &flows.Token{AccessToken: "aha-" + sentinel, Expiry: t0.Add(time.Hour)}})
		h.poll()
		h.b.put("aha", flows.State{})
		h.poll()
		h.send(tickMsg{})
		if h.m.rung != 2*want {
			t.Fatalf("bell=%v: %d bells after two transitions, want %d", bell, h.m.rung, 2*want)
		}
	}
}

// hasBell reports whether a command tree that does not block holds the
// terminal bell. Only commands returning right away are run: heartbeats
// and timers are left alone.
func hasBell(cmd tea.Cmd) bool {
	done := make(chan []tea.Msg, 1)
	go func() { done <- runSync(cmd) }()
	select {
	case msgs := <-done:
		for _, msg := range msgs {
			if raw, ok := msg.(tea.RawMsg); ok && raw.Msg == bel {
				return true
			}
		}
	case <-time.After(3 * time.Second):
	}
	return false
}

func TestRingBellWritesBEL(t *testing.T) {
	if msg, ok := ringBell()().(tea.RawMsg); !ok || msg.Msg != "\a" {
		t.Fatalf("ringBell gives %#v", msg)
	}
}

// TestNoBellForALogout: a connection the person logged out of needs a
// sign-in because they asked: no bell.
func TestNoBellForALogout(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.b.cfg.Bell = true
	h.send(tickMsg{})
	h.selectRow("amino")
	h.send(await[loggedOutMsg](t, run(h.press("x", "y"))))
	h.poll()
	h.send(tickMsg{})
	if h.m.byName["amino"].st.Token != nil || !signInHelps(h.m.byName["amino"].cond.Condition) {
		t.Fatalf("amino: %v", h.m.byName["amino"].cond.Condition)
	}
	if h.m.rung != 0 {
		t.Fatalf("%d bells for a logout", h.m.rung)
	}
}
