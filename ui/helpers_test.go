package ui

import (
	"encoding/base64"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"tokentop/flows"
)

// t0 is the fixed "now" of every test.
var t0 = time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)

// sentinel is in every planted token; no frame may show it.
const sentinel = "SENTINEL"

// jwt builds an unsigned-looking JWT whose signature holds the sentinel.
func jwt(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(payload)) + ".sig" + sentinel + "xxxxxxxxTAIL"
}

// recorder stands in for the native clipboard and the browser.
type recorder struct {
	mu      sync.Mutex
	copied  []string
	opened  []string
	clipErr error
}

func (r *recorder) clip(s string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.clipErr != nil {
		return r.clipErr
	}
	r.copied = append(r.copied, s)
	return nil
}

func (r *recorder) open(u string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.opened = append(r.opened, u)
	return nil
}

func (r *recorder) clipboard() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.copied...)
}

func (r *recorder) browsed() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.opened...)
}

// testConns is the connection set most tests use, one per situation.
func testConns() []*flows.Connection {
	return []*flows.Connection{
		{Name: "aikido", Provider: flows.Aikido, Flow: flows.ClientCredentials, ClientID: "aikido-client",
			TokenURL: "https://app.aikido.dev/api/oauth/token", CheckURL: "https://app.aikido.dev/api/public/v1/workspace",
			Note: "workspace: acme"},
		{Name: "aha", Provider: flows.Aha, Flow: flows.AuthorizationCode, ClientID: "aha-client",
			AuthURL: "https://acme.aha.io/oauth/authorize", TokenURL: "https://acme.aha.io/oauth/token"},
		{Name: "aerion", Provider: flows.Aerion, Flow: flows.Password, ClientID: "any", Username: "alice@example.com",
			TokenURL: "https://api.aerion.example/oauth2/token", CheckURL: "https://api.aerion.example/me"},
		{Name: "amino", Provider: flows.Amino, Flow: flows.Password, Username: "bob",
			TokenURL: "https://amino.example/api/auth/v1/access_tokens"},
		{Name: "okta", Provider: flows.OAuth2, Flow: flows.DeviceCode, ClientID: "okta-client",
			DeviceURL: "https://okta.example/oauth2/v1/device/authorize", TokenURL: "https://okta.example/oauth2/v1/token",
			CheckURL: "https://okta.example/oauth2/v1/userinfo"},
	}
}

// seed plants the states of testConns at t0.
func seed(b *fakeBackend) {
	b.put("aikido", flows.State{
		Token: &flows.Token{
			AccessToken: jwt(`{"sub":"svc-42","exp":1795928400,"scope":"read write"}`),
			TokenType:   "Bearer", Expiry: t0.Add(50 * time.Minute), ObtainedAt: t0.Add(-10 * time.Minute),
			Scopes: []string{"read", "write"},
		},
		LastRenewal: t0.Add(-10 * time.Minute),
		LastCheck:   &flows.Check{At: t0.Add(-2 * time.Minute), Status: 200, Latency: 84 * time.Millisecond},
		Checks:      checkHistory(t0.Add(-2*time.Minute), 48, 84*time.Millisecond, 33),
		Events: []flows.Event{
			{At: t0.Add(-70 * time.Minute), Kind: flows.EventSignIn, Detail: "signed in"},
			{At: t0.Add(-10 * time.Minute), Kind: flows.EventRenewal, Detail: "renewed, valid 1h"},
		},
	})
	b.put("aerion", flows.State{
		Token:       &flows.Token{AccessToken: "aerion-" + sentinel + "-0123456789", RefreshToken: "r", Expiry: t0.Add(-3 * time.Minute)},
		NeedsSignIn: true,
		LastError:   "aerion: invalid_grant: refresh token expired",
		LastErrorAt: t0.Add(-1 * time.Minute),
	})
	b.put("amino", flows.State{
		Token: &flows.Token{AccessToken: "amino-" + sentinel + "-0123456789", RefreshToken: "r", Expiry: t0.Add(8 * time.Minute)},
	})
	b.put("okta", flows.State{
		Token:     &flows.Token{AccessToken: "okta-" + sentinel + "-0123456789", Expiry: t0.Add(4 * time.Minute)},
		LastCheck: &flows.Check{At: t0.Add(-30 * time.Second), Status: 401, Latency: 120 * time.Millisecond, Err: "401 Unauthorized"},
		Checks: append(checkHistory(t0.Add(-5*time.Minute-30*time.Second), 5, 95*time.Millisecond, 4),
			flows.Check{At: t0.Add(-30 * time.Second), Status: 401, Latency: 120 * time.Millisecond, Err: "401 Unauthorized"}),
	})
}

// checkHistory is n checks five minutes apart ending at last, their
// latencies varying around base; every down-th one failed (0: none).
func checkHistory(last time.Time, n int, base time.Duration, down int) []flows.Check {
	checks := make([]flows.Check, n)
	for i := range checks {
		c := flows.Check{At: last.Add(-time.Duration(n-1-i) * 5 * time.Minute), Status: 200,
			Latency: base + time.Duration((i*37)%60)*time.Millisecond}
		if down > 0 && i%down == down-1 {
			c.Status, c.Err = 503, "503 Service Unavailable"
		}
		checks[i] = c
	}
	return checks
}

// harness is a model on a fake backend, sized and loaded.
type harness struct {
	t     testing.TB
	m     *Model
	b     *fakeBackend
	clock *fakeClock
	rec   *recorder
}

func newHarness(t *testing.T, w, h int) *harness {
	t.Helper()
	clock := &fakeClock{t: t0}
	b := newFakeBackend(clock, testConns()...)
	seed(b)
	return newHarnessWith(t, b, clock, w, h)
}

func newHarnessWith(t testing.TB, b *fakeBackend, clock *fakeClock, w, h int) *harness {
	t.Helper()
	rec := &recorder{}
	m := New(b, Options{Now: clock.Now, Clipboard: rec.clip, OpenURL: rec.open, ConfigPath: b.cfg.Path})
	m.loc = time.UTC
	hs := &harness{t: t, m: m, b: b, clock: clock, rec: rec}
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	hs.poll()
	return hs
}

// poll feeds the model what changed in the backend, as its poll would.
func (h *harness) poll() tea.Cmd {
	h.t.Helper()
	h.m.polling = false
	states, next, err := h.b.Changed(h.m.mark)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.send(changedMsg{states: states, next: next})
}

func (h *harness) send(msg tea.Msg) tea.Cmd {
	h.t.Helper()
	_, cmd := h.m.Update(msg)
	return cmd
}

// press sends key presses and returns the commands of all of them.
func (h *harness) press(keys ...string) tea.Cmd {
	h.t.Helper()
	var cmds []tea.Cmd
	for _, k := range keys {
		cmds = append(cmds, h.send(keyMsg(k)))
	}
	return tea.Batch(cmds...)
}

// typeText types text into whatever has focus.
func (h *harness) typeText(s string) {
	for _, r := range s {
		h.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// selectRow moves the selection to a connection.
func (h *harness) selectRow(name string) {
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

// frame is the current screen without styling.
func (h *harness) frame() string {
	return ansi.Strip(h.m.View().Content)
}

// paneTitle returns the first line of the detail pane of connection name
// in a frame: "│ name · provider · flow · condition".
func paneTitle(frame, name string) string {
	for _, l := range strings.Split(frame, "\n") {
		if strings.HasPrefix(l, "│ "+name+" · ") {
			return l
		}
	}
	return ""
}

func keyMsg(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

// results collects what a command tree produces, each command on its own
// goroutine as Bubble Tea runs them. Commands that block (a sign-in's Wait)
// deliver when the test lets them.
type results struct{ ch chan tea.Msg }

func run(cmd tea.Cmd) *results {
	r := &results{ch: make(chan tea.Msg, 256)}
	r.add(cmd)
	return r
}

// add runs more commands into the same results.
func (r *results) add(c tea.Cmd) {
	if c == nil {
		return
	}
	go func() {
		msg := c()
		if cmds, ok := subCmds(msg); ok {
			for _, sub := range cmds {
				r.add(sub)
			}
			return
		}
		if msg != nil {
			r.ch <- msg
		}
	}()
}

// subCmds unpacks tea.Batch and tea.Sequence messages.
func subCmds(msg tea.Msg) ([]tea.Cmd, bool) {
	if b, ok := msg.(tea.BatchMsg); ok {
		return b, true
	}
	v := reflect.ValueOf(msg)
	if v.IsValid() && v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
		cmds := make([]tea.Cmd, v.Len())
		for i := range cmds {
			cmds[i] = v.Index(i).Interface().(tea.Cmd)
		}
		return cmds, true
	}
	return nil, false
}

// await returns the next message of type T, skipping others (spinner
// ticks, heartbeats). It fails the test after a generous guard time.
func await[T tea.Msg](t *testing.T, r *results) T {
	t.Helper()
	guard := time.After(5 * time.Second)
	for {
		select {
		case msg := <-r.ch:
			if m, ok := msg.(T); ok {
				return m
			}
		case <-guard:
			var zero T
			t.Fatalf("no %T arrived", zero)
			return zero
		}
	}
}

// awaitAll collects every message of the command tree that is not a
// spinner tick until n non-spinner messages arrived.
func awaitN(t *testing.T, r *results, n int) []tea.Msg {
	t.Helper()
	var out []tea.Msg
	guard := time.After(5 * time.Second)
	for len(out) < n {
		select {
		case msg := <-r.ch:
			if _, ok := msg.(spinner.TickMsg); ok {
				continue
			}
			out = append(out, msg)
		case <-guard:
			t.Fatalf("got %d of %d messages: %#v", len(out), n, out)
		}
	}
	return out
}

// clipboardOf returns the text of a tea.SetClipboard message (OSC 52).
func clipboardOf(msg tea.Msg) (string, bool) {
	v := reflect.ValueOf(msg)
	if !v.IsValid() || v.Type().String() != "tea.setClipboardMsg" {
		return "", false
	}
	return v.String(), true
}

// noSecrets fails when a frame shows a planted token.
func noSecrets(t *testing.T, frame string) {
	t.Helper()
	if strings.Contains(frame, sentinel) || strings.Contains(frame, "hunter2") {
		t.Fatalf("a secret is on screen:\n%s", frame)
	}
}

// runSync runs a command tree that does not block, in order, and returns
// its messages.
func runSync(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if cmds, ok := subCmds(msg); ok {
		var out []tea.Msg
		for _, c := range cmds {
			out = append(out, runSync(c)...)
		}
		return out
	}
	if msg == nil {
		return nil
	}
	return []tea.Msg{msg}
}
