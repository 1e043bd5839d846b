package ui

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// fakeClipboard is a system clipboard that can be read back.
type fakeClipboard struct {
	mu      sync.Mutex
	v       string
	readErr error
	// then, when set, is what the person copies right after tokentop's
	// next write.
	then string
}

// write puts s on the clipboard.
func (c *fakeClipboard) write(s string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.v = s
	if s != "" && c.then != "" {
		c.v, c.then = c.then, ""
	}
	return nil
}

// thenCopy plants what the person copies after tokentop's next write.
func (c *fakeClipboard) thenCopy(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.then = s
}

// read returns what the clipboard holds.
func (c *fakeClipboard) read() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.v, c.readErr
}

// value is what the clipboard holds, for the test.
func (c *fakeClipboard) value() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.v
}

// pressCopy presses c on aikido with clipboard_clear set, lets the copy
// reach the fake clipboard, and returns the token and the id of the copy.
func pressCopy(t *testing.T, h *harness) (string, uint64) {
	t.Helper()
	h.selectRow("aikido")
	cmd := h.send(await[tokenMsg](t, run(h.press("c"))))
	// The clear timer in cmd would fire after clipboard_clear; the test
	// sends its message itself instead.
	h.send(await[copiedMsg](t, run(cmd)))
	return h.b.state("aikido").Token.AccessToken, h.m.clip.id
}

// clipHarness is the usual harness with clipboard_clear set and a
// clipboard that can be read back.
func clipHarness(t *testing.T, clear time.Duration) (*harness, *fakeClipboard) {
	h := newHarness(t, 120, 35)
	h.b.cfg.ClipboardClear = clear
	fc := &fakeClipboard{}
	h.m.clipboard, h.m.readClipboard = fc.write, fc.read
	return h, fc
}

// osc52Of returns the OSC 52 values a command tree writes.
func osc52Of(cmd tea.Cmd) []string {
	var out []string
	for _, msg := range runSync(cmd) {
		if s, ok := clipboardOf(msg); ok {
			out = append(out, s)
		}
	}
	return out
}

// TestClipboardClearedOnlyWhileItHoldsOurs: after clipboard_clear the
// clipboard is emptied (system and OSC 52) if it still holds the token,
// left alone if the person copied something else, and a newer copy
// supersedes an older copy's timer.
func TestClipboardClearedOnlyWhileItHoldsOurs(t *testing.T) {
	t.Run("still ours", func(t *testing.T) {
		h, fc := clipHarness(t, 45*time.Second)
		tok, id := pressCopy(t, h)
		if fc.value() != tok || !h.m.clip.armed {
			t.Fatalf("clipboard %q, armed %v", fc.value(), h.m.clip.armed)
		}
		if !strings.Contains(h.m.status, "clears in 45s") {
			t.Errorf("status %q", h.m.status)
		}
		msgs := runSync(h.send(clipClearMsg{id}))
		if len(msgs) != 1 {
			t.Fatalf("clear gave %#v", msgs)
		}
		osc := osc52Of(h.send(msgs[0]))
		if fc.value() != "" || len(osc) != 1 || osc[0] != "" {
			t.Fatalf("system clipboard %q, OSC 52 %q: want both emptied", fc.value(), osc)
		}
		if h.m.status != "clipboard cleared" {
			t.Errorf("status %q", h.m.status)
		}
	})
	t.Run("the person copied something else", func(t *testing.T) {
		h, fc := clipHarness(t, 45*time.Second)
		_, id := pressCopy(t, h)
		fc.write("a shopping list")
		msgs := runSync(h.send(clipClearMsg{id}))
		if len(msgs) != 1 {
			t.Fatalf("clear gave %#v", msgs)
		}
		if _, ok := msgs[0].(clipKeptMsg); !ok {
			t.Fatalf("got %#v, want clipKeptMsg", msgs[0])
		}
		if osc := osc52Of(h.send(msgs[0])); len(osc) != 0 {
			t.Errorf("OSC 52 written %q", osc)
		}
		if fc.value() != "a shopping list" || strings.Contains(h.m.status, "cleared") {
			t.Errorf("clipboard %q, status %q", fc.value(), h.m.status)
		}
	})
	t.Run("a newer copy supersedes the older timer", func(t *testing.T) {
		h, fc := clipHarness(t, 45*time.Second)
		_, first := pressCopy(t, h)
		tok, second := pressCopy(t, h)
		if first == second {
			t.Fatal("two copies, one id")
		}
		if cmd := h.send(clipClearMsg{first}); cmd != nil {
			t.Fatal("the older copy's timer still clears")
		}
		if fc.value() != tok {
			t.Fatalf("clipboard %q", fc.value())
		}
		msgs := runSync(h.send(clipClearMsg{second}))
		h.send(msgs[0])
		if fc.value() != "" {
			t.Fatal("the newer copy's timer did not clear")
		}
	})
	t.Run("no system clipboard to read", func(t *testing.T) {
		h, fc := clipHarness(t, 45*time.Second)
		_, id := pressCopy(t, h)
		fc.readErr = errors.New("no xclip")
		msgs := runSync(h.send(clipClearMsg{id}))
		if osc := osc52Of(h.send(msgs[0])); len(osc) != 1 || osc[0] != "" {
			t.Fatalf("OSC 52 %q: want it emptied", osc)
		}
	})
	t.Run("0 keeps it", func(t *testing.T) {
		h, fc := clipHarness(t, 0)
		tok, id := pressCopy(t, h)
		if h.m.clip.armed || strings.Contains(h.m.status, "clears") {
			t.Fatalf("armed %v, status %q", h.m.clip.armed, h.m.status)
		}
		if cmd := h.send(clipClearMsg{id}); cmd != nil || fc.value() != tok {
			t.Fatal("cleared with clipboard_clear = 0")
		}
	})
}
