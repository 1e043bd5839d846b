package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// overlayText is the text of the overlay's box in a frame, its lines
// without the border, joined by spaces: a wrapped message reads whole.
func overlayText(frame string) string {
	var parts []string
	for _, l := range strings.Split(frame, "\n") {
		if strings.HasPrefix(l, "│") {
			parts = append(parts, strings.TrimSpace(strings.Trim(l, "│")))
		}
	}
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}

// TestLogKeepsEveryMessage: each message goes into the log with the
// model's time and its connection, whole, and L shows them newest first.
func TestLogKeepsEveryMessage(t *testing.T) {
	h := newHarness(t, 80, 24)
	long := "aikido: token endpoint: not sent: cannot connect: dial tcp 127.0.0.1:9: connection refused; the configuration file was moved aside as damaged and a fresh one written"
	h.m.setStatus("aikido", levelError, long)
	h.clock.Advance(5 * time.Second)
	h.send(tickMsg{})
	h.m.setStatus("okta", levelOK, "check 200 · 42 ms")
	h.m.setStatus("", levelInfo, "nothing to renew")

	want := []logEntry{
		{at: t0, conn: "aikido", level: levelError, text: long},
		{at: t0.Add(5 * time.Second), conn: "okta", level: levelOK, text: "check 200 · 42 ms"},
		{at: t0.Add(5 * time.Second), conn: "", level: levelInfo, text: "nothing to renew"},
	}
	if len(h.m.log) != len(want) {
		t.Fatalf("%d entries, want %d: %+v", len(h.m.log), len(want), h.m.log)
	}
	for i, w := range want {
		if g := h.m.log[i]; !g.at.Equal(w.at) || g.conn != w.conn || g.level != w.level || g.text != w.text {
			t.Errorf("entry %d: %+v, want %+v", i, g, w)
		}
	}

	if s := ansi.Strip(h.m.statusLine()); s != "nothing to renew" {
		t.Errorf("status line %q, want the newest message", s)
	}
	h.press("L")
	text := overlayText(h.frame())
	iNothing := strings.Index(text, "15:00:05 nothing to renew")
	iOkta := strings.Index(text, "15:00:05 okta: check 200 · 42 ms")
	iLong := strings.Index(text, "15:00:00 "+long)
	if iNothing < 0 || iOkta < 0 || iLong < 0 || !(iNothing < iOkta && iOkta < iLong) {
		t.Errorf("the log does not show every message whole, newest first (%d %d %d):\n%s", iNothing, iOkta, iLong, h.frame())
	}
	for _, k := range []string{"esc", "L"} {
		h.press(k)
		if h.m.overlay != overlayNone {
			t.Errorf("%s did not close the log", k)
		}
		h.press("L")
	}
}

// TestStatusLinePointsToTheLog: a message cut to the window says the log
// has it whole.
func TestStatusLinePointsToTheLog(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.m.setStatus("aikido", levelError, "aikido: token endpoint: not sent: cannot connect: dial tcp 127.0.0.1:9: connection refused")
	if s := ansi.Strip(h.m.statusLine()); !strings.HasSuffix(s, "… (L: all of it)") || ansi.StringWidth(s) > 80 {
		t.Errorf("a cut message does not point to the log: %q", s)
	}
	h.m.setStatus("aikido", levelOK, "aikido: renewed")
	if s := ansi.Strip(h.m.statusLine()); s != "aikido: renewed" {
		t.Errorf("status line %q", s)
	}
}

// TestLogIsCapped keeps the newest maxLog entries.
func TestLogIsCapped(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.m.log = nil
	for i := range maxLog + 100 {
		h.m.setStatus("", levelInfo, fmt.Sprintf("message %d", i))
	}
	if len(h.m.log) != maxLog || h.m.log[0].text != "message 100" || h.m.log[maxLog-1].text != fmt.Sprintf("message %d", maxLog+99) {
		t.Errorf("%d entries, from %q to %q", len(h.m.log), h.m.log[0].text, h.m.log[len(h.m.log)-1].text)
	}
}

// TestLogScrolls moves through a log longer than the window.
func TestLogScrolls(t *testing.T) {
	h := newHarness(t, 80, 24)
	for i := range 40 {
		h.m.setStatus("", levelInfo, fmt.Sprintf("message %02d", i))
	}
	h.press("L")
	last := h.m.overlayMax()
	room := h.m.overlayRoom()
	if last == 0 {
		t.Fatal("40 messages fit at 80x24")
	}
	if f := h.frame(); !strings.Contains(f, "message 39") || strings.Contains(f, "message 00") {
		t.Fatalf("first page:\n%s", f)
	}
	for _, tt := range []struct {
		key string
		off int
	}{{"j", 1}, {"k", 0}, {"k", 0}, {"pgdown", room - 1}, {"pgup", 0}, {"G", last}, {"down", last}, {"g", 0}} {
		h.press(tt.key)
		if h.m.overlayOff != tt.off {
			t.Fatalf("after %s: at %d, want %d", tt.key, h.m.overlayOff, tt.off)
		}
	}
	h.press("G")
	if f := h.frame(); !strings.Contains(f, "message 00") {
		t.Errorf("last page:\n%s", f)
	}
}

// TestWarningsWhole logs every configuration and store warning by itself,
// whole; the status line shows the first and points to the log.
func TestWarningsWhole(t *testing.T) {
	clock := &fakeClock{t: t0}
	b := newFakeBackend(clock, testConns()...)
	warnings := []string{
		"/home/u/.config/tokentop/config.toml is readable by others and holds this secret in plain text: connections.aikido.client_secret",
		"connections.lab: insecure_skip_verify is on: TLS certificates are not checked",
		"connections.okta: scopes is empty",
	}
	b.cfg.Warnings = warnings
	seed(b)
	h := newHarnessWith(t, b, clock, 80, 24)
	if len(h.m.log) != len(warnings) {
		t.Fatalf("%d entries, want %d", len(h.m.log), len(warnings))
	}
	for i, w := range warnings {
		if e := h.m.log[i]; e.text != w || e.level != levelWarn || e.conn != "" {
			t.Errorf("entry %d: %+v, want %q", i, e, w)
		}
	}
	if want := warnings[0] + " (2 more warnings: L shows them)"; h.m.status != want {
		t.Errorf("status %q, want %q", h.m.status, want)
	}
	h.press("L")
	text := overlayText(h.frame())
	for _, w := range warnings {
		if !strings.Contains(text, w) {
			t.Errorf("the log does not hold %q whole:\n%s", w, h.frame())
		}
	}
}

// TestStatusLine names a message's connection, and clears it after
// statusFor or once the selection moves away from what it is about.
func TestStatusLine(t *testing.T) {
	tests := []struct {
		name       string
		conn, text string
		then       func(h *harness)
		want       string
	}{
		{"named", "aha", "copied the sign-in URL", nil, "aha: copied the sign-in URL"},
		{"already named", "aha", "aha: signed in", nil, "aha: signed in"},
		{"named without a colon", "aha", "aha cannot renew without you: press l", nil, "aha cannot renew without you: press l"},
		{"prefix of another name", "aha", "aha-implicit: renewed", nil, "aha: aha-implicit: renewed"},
		{"global", "", "renewed 3 of 3", nil, "renewed 3 of 3"},
		{"9 s later", "aikido", "aikido: renewed", func(h *harness) { h.clock.Advance(9 * time.Second); h.send(tickMsg{}) }, "aikido: renewed"},
		{"10 s later", "aikido", "aikido: renewed", func(h *harness) { h.clock.Advance(10 * time.Second); h.send(tickMsg{}) }, ""},
		{"global, 10 s later", "", "renewed 3 of 3", func(h *harness) { h.clock.Advance(10 * time.Second); h.send(tickMsg{}) }, ""},
		{"selection moved away", "aikido", "aikido: renewed", func(h *harness) { h.press("j") }, ""},
		{"selection moved to it", "aha", "aha: signed in", func(h *harness) { h.press("j") }, "aha: signed in"},
		{"selection moved, another's", "okta", "okta: check 200", func(h *harness) { h.press("j") }, ""},
		{"selection moved, global", "", "renewed 3 of 3", func(h *harness) { h.press("j") }, "renewed 3 of 3"},
		{"not moved, another's", "okta", "okta: renewal failing", func(h *harness) { h.send(tickMsg{}) }, "okta: renewal failing"},
		{"filter takes the line", "aikido", "aikido: renewed", func(h *harness) { h.press("/") }, "/"},
		{"log out? takes the line", "aikido", "aikido: renewed", func(h *harness) { h.press("x") }, "log out of aikido? its stored tokens will be deleted (y/n)"},
		{"back after log out?", "aikido", "aikido: renewed", func(h *harness) { h.press("x", "n") }, "aikido: still signed in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, 120, 35)
			h.m.setStatus(tt.conn, levelInfo, tt.text)
			if tt.then != nil {
				tt.then(h)
			}
			got := ansi.Strip(h.m.statusLine())
			if tt.want == "/" {
				got = got[:min(len(got), 1)] // the filter's prompt, then its cursor
			}
			if got != tt.want {
				t.Errorf("status line %q, want %q", got, tt.want)
			}
			if e := h.m.log[len(h.m.log)-1]; tt.then == nil && (e.conn != tt.conn || e.text != tt.text) {
				t.Errorf("logged %+v", e)
			}
		})
	}
}

// BenchmarkLogOverlay500 draws a frame with a full log open, after a tick:
// the overlay is laid out once, not on every frame.
func BenchmarkLogOverlay500(b *testing.B) {
	h := benchModel(b, 1000)
	h.send(keyMsg("L"))
	for i := range maxLog {
		h.m.setStatus("aikido", levelError, fmt.Sprintf("aikido: token endpoint: not sent: cannot connect: dial tcp 127.0.0.1:9: connection refused; retrying in %ds", i))
	}
	for b.Loop() {
		h.send(tickMsg{chain: 2})
		_ = h.m.View()
	}
}

// TestLogOverlayFollows: the open log shows a message that arrives while it
// is open, and lays itself out again for a new width.
func TestLogOverlayFollows(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.m.setStatus("", levelInfo, "first")
	h.press("L")
	if f := h.frame(); !strings.Contains(f, "first") {
		t.Fatalf("frame:\n%s", f)
	}
	h.m.setStatus("okta", levelOK, "check 200 · 42 ms")
	if f := h.frame(); !strings.Contains(f, "okta: check 200 · 42 ms") || !strings.Contains(f, "2 messages") {
		t.Errorf("a new message is not in the open log:\n%s", f)
	}
	h.send(tea.WindowSizeMsg{Width: 100, Height: 24})
	for i, l := range strings.Split(h.frame(), "\n") {
		if w := ansi.StringWidth(l); i > 0 && i < 22 && w != 100 {
			t.Errorf("line %d is %d wide after the resize: %q", i+1, w, l)
		}
	}
}
