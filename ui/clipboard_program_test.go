package ui

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// TestProgramClearsTheClipboard runs the dashboard as a real program with
// clipboard_clear set short: y 1 copies the token, and the clear that
// follows empties the system clipboard and OSC 52, because the clipboard
// still holds the token; a second copy that the person overwrites is left
// alone. It waits on messages, never on time.
func TestProgramClearsTheClipboard(t *testing.T) {
	clock := &fakeClock{t: t0}
	b := newFakeBackend(clock, testConns()...)
	seed(b)
	b.cfg.ClipboardClear = 20 * time.Millisecond
	fc := &fakeClipboard{}
	m := New(b, Options{Now: clock.Now, Clipboard: fc.write, ClipboardRead: fc.read, OpenURL: (&recorder{}).open})

	p := startProgram(t, m, 120, 35, func(msg tea.Msg) bool {
		switch msg.(type) {
		case changedMsg, copiedMsg, clipClearedMsg, clipKeptMsg:
			return true
		}
		_, ok := clipboardOf(msg)
		return ok
	})
	wait, tm := p.wait, p.tm
	osc52 := func(want string) func(tea.Msg) bool {
		return func(msg tea.Msg) bool { s, ok := clipboardOf(msg); return ok && s == want }
	}

	wait("the first poll", func(msg tea.Msg) bool { _, ok := msg.(changedMsg); return ok })
	tok := b.state("aikido").Token.AccessToken
	tm.Send(keyMsg("y"))
	tm.Send(keyMsg("1"))
	wait("the OSC 52 copy", osc52(tok))
	wait("the system copy", func(msg tea.Msg) bool { _, ok := msg.(copiedMsg); return ok })
	wait("the clear", func(msg tea.Msg) bool { _, ok := msg.(clipClearedMsg); return ok })
	wait("the OSC 52 clear", osc52(""))
	if v := fc.value(); v != "" {
		t.Fatalf("system clipboard still holds %q", v)
	}

	// The person copies something of their own before the clear: kept.
	fc.thenCopy("mine")
	tm.Send(keyMsg("c"))
	wait("the second copy", func(msg tea.Msg) bool { _, ok := msg.(copiedMsg); return ok })
	wait("the clear that keeps", func(msg tea.Msg) bool { _, ok := msg.(clipKeptMsg); return ok })
	if v := fc.value(); v != "mine" {
		t.Fatalf("system clipboard %q, want the person's own", v)
	}
	p.quit()
}
