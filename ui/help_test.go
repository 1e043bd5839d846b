package ui

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"tokentop/flows"
)

// TestGoldenOverlays compares the help and log overlays, stripped of
// styling, with the files in testdata (-update rewrites them).
func TestGoldenOverlays(t *testing.T) {
	sizes := []struct{ w, h int }{{80, 24}, {120, 35}}
	screens := map[string]func(t *testing.T, w, h int) *Model{
		"help": func(t *testing.T, w, h int) *Model {
			hs := newHarness(t, w, h)
			hs.selectRow("aha")
			hs.press("?")
			return hs.m
		},
		"log": func(t *testing.T, w, h int) *Model {
			hs := newHarness(t, w, h)
			hs.m.setStatus("", levelWarn, "/home/u/.config/tokentop/config.toml is readable by others and holds this secret in plain text: connections.aikido.client_secret; chmod 600 it or use env:NAME")
			hs.clock.Advance(3 * time.Second)
			hs.send(tickMsg{})
			hs.m.setStatus("aikido", levelOK, "aikido: renewed, valid for 1h 00m")
			hs.clock.Advance(12 * time.Second)
			hs.send(tickMsg{})
			hs.m.setStatus("aerion", levelError, "invalid_grant: refresh token expired — press l to sign in")
			hs.press("L")
			return hs.m
		},
	}
	for name, build := range screens {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s_%dx%d", name, sz.w, sz.h), func(t *testing.T) {
				m := build(t, sz.w, sz.h)
				frame := ansi.Strip(m.View().Content)
				lines := strings.Split(frame, "\n")
				if len(lines) != sz.h {
					t.Errorf("%d lines, want %d", len(lines), sz.h)
				}
				for i, l := range lines {
					if w := ansi.StringWidth(l); w > sz.w {
						t.Errorf("line %d is %d wide, more than %d: %q", i+1, w, sz.w, l)
					}
				}
				noSecrets(t, frame)
				golden.RequireEqual(t, frame)
			})
		}
	}
}

// TestFooterKeepsHelpAndQuit renders the help bar in every situation at
// every width from 40 columns: "? help" and "q quit" are always there (in a
// text field, "ctrl+c quit"), and the bar never overflows.
func TestFooterKeepsHelpAndQuit(t *testing.T) {
	situations := map[string]func(h *harness){
		"aikido":       func(h *harness) {},
		"okta":         func(h *harness) { h.selectRow("okta") },
		"aha":          func(h *harness) { h.selectRow("aha") },
		"details":      func(h *harness) { h.press("enter") },
		"details busy": func(h *harness) { h.press("r", "enter") },
		"log out?":     func(h *harness) { h.press("x") },
		"help":         func(h *harness) { h.press("?") },
		"log":          func(h *harness) { h.press("L") },
		"help on log":  func(h *harness) { h.press("L", "?") },
		"filter":       func(h *harness) { h.press("/") },
		"filter kept":  func(h *harness) { h.press("/"); h.typeText("a"); h.press("enter") },
	}
	for name, setup := range situations {
		for _, w := range []int{40, 41, 47, 55, 63, 72, 79, 80, 81, 95, 100, 110, 119, 120, 121, 140, 160, 200} {
			h := newHarness(t, w, 24)
			setup(h)
			bar := ansi.Strip(h.m.helpView())
			if got := ansi.StringWidth(bar); got > w {
				t.Errorf("%s at %d: the bar is %d wide: %q", name, w, got, bar)
			}
			want := []string{"? help", "q quit"}
			if name == "filter" {
				want = []string{"ctrl+c quit"}
			}
			for _, s := range want {
				if !strings.Contains(bar, s) {
					t.Errorf("%s at %d: no %q in %q", name, w, s, bar)
				}
			}
			lines := strings.Split(h.frame(), "\n")
			if last := lines[len(lines)-1]; last != bar {
				t.Errorf("%s at %d: the frame ends %q, not the bar %q", name, w, last, bar)
			}
		}
	}
}

// TestFooterDropsFromTheEnd fits the help bar's other keys into what is
// left, dropping the least important first.
func TestFooterDropsFromTheEnd(t *testing.T) {
	for _, tt := range []struct {
		w    int
		want string
	}{
		{200, "l sign in • r renew • c copy token • p check • x log out • enter details • / filter • L log • e edit config • ? help • q quit"},
		{80, "l sign in • r renew • c copy token • p check • x log out • ? help • q quit"},
		{40, "l sign in • r renew • ? help • q quit"},
	} {
		h := newHarness(t, tt.w, 24)
		if got := ansi.Strip(h.m.helpView()); got != tt.want {
			t.Errorf("%d columns: %q, want %q", tt.w, got, tt.want)
		}
	}
}

// TestKeysSayWhy presses keys that do not apply: each says why on the
// status line, about the selected connection, and starts nothing.
func TestKeysSayWhy(t *testing.T) {
	implicit := &flows.Connection{Name: "aha-implicit", Provider: flows.Aha, Flow: flows.Implicit, ClientID: "aha-client",
		AuthURL: "https://acme.aha.io/oauth/authorize"}
	tests := []struct {
		row, key string
		setup    func(h *harness)
		want     string
	}{
		{"aha-implicit", "r", nil, "aha-implicit cannot renew without you: press l"},
		{"aha", "r", nil, "aha: signed out — press l to sign in"},
		{"aha", "p", nil, "aha: no check_url configured"},
		{"aha", "c", nil, "aha: signed out — press l to sign in"},
		{"aha", "C", nil, "aha: signed out — press l to sign in"},
		{"aha", "x", nil, "aha: signed out — nothing to log out of"},
		{"aha", "i", nil, "aha: no browser sign-in is waiting for a redirect URL"},
		{"aerion", "c", nil, "aerion: sign-in required — press l to sign in"},
		{"aerion", "r", nil, "aerion: sign-in required — press l to sign in"},
		{"okta", "r", nil, "okta: no refresh token to renew with — press l to sign in again"},
		{"aikido", "v", nil, "enter opens the details, v reveals the token there"},
		{"aikido", "ctrl+d", nil, "enter opens the details; ctrl+d and ctrl+u scroll them"},
		{"aikido", "c", func(h *harness) { h.press("r") }, "aikido: busy renewing… esc cancels it"},
		{"aikido", "l", func(h *harness) { h.press("r") }, "aikido: busy renewing… esc cancels it"},
	}
	for _, tt := range tests {
		t.Run(tt.row+" "+tt.key, func(t *testing.T) {
			clock := &fakeClock{t: t0}
			b := newFakeBackend(clock, append(testConns(), implicit)...)
			seed(b)
			b.put("aha-implicit", flows.State{Token: &flows.Token{AccessToken: "imp-" + sentinel, Expiry: t0.Add(time.Hour)}})
			h := newHarnessWith(t, b, clock, 120, 35)
			h.selectRow(tt.row)
			if tt.setup != nil {
				tt.setup(h)
			}
			busy := len(h.m.busy)
			if tt.key == "ctrl+d" {
				h.send(tea.KeyPressMsg{Code: 'd', Mod: tea.ModCtrl})
			} else {
				h.press(tt.key)
			}
			if h.m.status != tt.want {
				t.Errorf("status %q, want %q", h.m.status, tt.want)
			}
			if got := ansi.Strip(h.m.statusLine()); got != tt.want {
				t.Errorf("status line %q, want %q", got, tt.want)
			}
			if len(h.m.busy) != busy || h.m.mode != modeNormal {
				t.Errorf("the key did something: %d busy, mode %d", len(h.m.busy), h.m.mode)
			}
			if strings.Contains(ansi.Strip(h.m.helpView()), " "+tt.key+" ") {
				t.Errorf("the help bar offers %s: %s", tt.key, ansi.Strip(h.m.helpView()))
			}
		})
	}
}

// TestEscClosesOneThingAPress closes help, then the log under it, then
// the details, then clears the filter, then cancels the job.
func TestEscClosesOneThingAPress(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.press("r", "enter", "/")
	h.typeText("ai")
	h.press("enter", "L", "?")
	if h.m.overlay != overlayHelp || h.m.busy["aikido"] == nil || !h.m.detail || h.m.filter.Value() != "ai" {
		t.Fatalf("setup: overlay %d, busy %v, detail %v, filter %q", h.m.overlay, h.m.busy["aikido"] != nil, h.m.detail, h.m.filter.Value())
	}
	steps := []struct {
		what string
		done func() bool
	}{
		{"help closed onto the log", func() bool { return h.m.overlay == overlayLog }},
		{"log closed", func() bool { return h.m.overlay == overlayNone && h.m.detail }},
		{"details closed", func() bool { return !h.m.detail && h.m.filter.Value() == "ai" }},
		{"filter cleared", func() bool { return h.m.filter.Value() == "" && h.m.busy["aikido"] != nil }},
		{"renewal cancelled", func() bool { return h.m.busy["aikido"] == nil && h.m.status == "aikido: renewal cancelled" }},
	}
	for i, s := range steps {
		h.press("esc")
		if !s.done() {
			t.Fatalf("esc %d: not %s: overlay %d, detail %v, filter %q, busy %v, status %q", i+1, s.what,
				h.m.overlay, h.m.detail, h.m.filter.Value(), h.m.busy["aikido"] != nil, h.m.status)
		}
	}
}

// TestOverlayToggles opens and closes the help and the log with their own
// keys, and switches from one to the other.
func TestOverlayToggles(t *testing.T) {
	h := newHarness(t, 80, 24)
	for _, tt := range []struct {
		key         string
		top, bottom overlay
	}{
		{"?", overlayHelp, overlayNone},
		{"?", overlayNone, overlayNone},
		{"L", overlayLog, overlayNone},
		{"?", overlayHelp, overlayLog},
		{"L", overlayLog, overlayNone},
		{"L", overlayNone, overlayNone},
	} {
		h.press(tt.key)
		if h.m.overlay != tt.top || h.m.below != tt.bottom {
			t.Fatalf("after %s: overlay %d over %d, want %d over %d", tt.key, h.m.overlay, h.m.below, tt.top, tt.bottom)
		}
	}
	h.press("?", "r")
	if h.m.busy["aikido"] != nil {
		t.Error("r acted under the help")
	}
	if h.m.status != "esc closes the help first" {
		t.Errorf("status %q", h.m.status)
	}
}

// TestQuitKeys: q quits everywhere but in a text field, ctrl+c everywhere.
func TestQuitKeys(t *testing.T) {
	for _, tt := range []struct {
		name  string
		keys  []string
		quits bool
	}{
		{"table", []string{"q"}, true},
		{"help", []string{"?", "q"}, true},
		{"log", []string{"L", "q"}, true},
		{"log out?", []string{"x", "q"}, true},
		{"filter", []string{"/", "q"}, false},
		{"filter ctrl+c", []string{"/", "ctrl+c"}, true},
		{"help ctrl+c", []string{"?", "ctrl+c"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, 80, 24)
			h.press(tt.keys...)
			if h.m.quitting != tt.quits {
				t.Errorf("quitting %v, want %v", h.m.quitting, tt.quits)
			}
			if !tt.quits && h.m.filter.Value() != "q" {
				t.Errorf("q was not typed: filter %q", h.m.filter.Value())
			}
		})
	}
}

// TestRevealToggles: v reveals the token, v again hides it.
func TestRevealToggles(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.press("enter", "v")
	if h.m.revealed != "aikido" || !strings.Contains(ansi.Strip(h.m.helpView()), "v hide token") {
		t.Fatalf("not revealed: %q; bar %s", h.m.revealed, ansi.Strip(h.m.helpView()))
	}
	h.press("v")
	if h.m.revealed != "" || !strings.Contains(ansi.Strip(h.m.helpView()), "v reveal token") {
		t.Fatalf("still revealed: %q; bar %s", h.m.revealed, ansi.Strip(h.m.helpView()))
	}
	noSecrets(t, h.frame())
}

// TestHelpDimsWhatDoesNotApply lists every key, dimming those that do not
// apply to the selected connection.
func TestHelpDimsWhatDoesNotApply(t *testing.T) {
	h := newHarness(t, 120, 35)
	row := func(k, d string) (on, off string) {
		return h.m.st.Key.Render(fit(k, helpKeyW)) + " " + d, h.m.st.Muted.Render(fit(k, helpKeyW) + " " + d)
	}
	for _, tt := range []struct {
		conn, key, desc string
		applies         bool
	}{
		{"aikido", "r", "renew", true},
		{"aha", "r", "renew", false},
		{"aha", "l", "sign in, or its password", true},
		{"aikido", "p", "check (check_url)", true},
		{"aha", "p", "check (check_url)", false},
		{"aha", "v", "reveal or hide the token", false},
		{"aha", "q", "quit (not in text fields)", true},
	} {
		h.selectRow(tt.conn)
		h.press("?")
		text := strings.Join(h.m.helpLines(116), "\n")
		on, off := row(tt.key, tt.desc)
		want := off
		if tt.applies {
			want = on
		}
		if !strings.Contains(text, want) {
			t.Errorf("%s: %s not shown as applies=%v", tt.conn, tt.key, tt.applies)
		}
		h.press("esc")
	}
}

// TestHelpScrolls: where the help does not fit, it scrolls and says so.
func TestHelpScrolls(t *testing.T) {
	h := newHarness(t, 60, 16)
	h.press("?")
	last := h.m.overlayMax()
	if last == 0 {
		t.Fatal("the help fits at 60x16")
	}
	if f := h.frame(); !strings.Contains(f, "more lines") || strings.Contains(f, "ctrl+c  quit") || !strings.Contains(ansi.Strip(h.m.helpView()), "j/k scroll") {
		t.Errorf("first page:\n%s", f)
	}
	for _, tt := range []struct {
		key string
		off int
	}{{"j", 1}, {"down", 2}, {"k", 1}, {"G", last}, {"j", last}, {"pgup", max(last-(h.m.overlayRoom()-1), 0)}, {"g", 0}, {"pgdown", min(h.m.overlayRoom()-1, last)}} {
		h.press(tt.key)
		if h.m.overlayOff != tt.off {
			t.Fatalf("after %s: at %d, want %d", tt.key, h.m.overlayOff, tt.off)
		}
	}
	h.press("G")
	if f := h.frame(); !strings.Contains(f, "ctrl+c  quit") {
		t.Errorf("last page:\n%s", f)
	}
}

// TestREADMEKeyTable: the README's key table is the help's, row for row.
func TestREADMEKeyTable(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(data), "| key | what it does |\n| --- | --- |\n")
	if !ok {
		t.Fatal("no key table in the README")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	var want []string
	for _, g := range helpGroups() {
		for _, r := range g.rows {
			want = append(want, fmt.Sprintf("| `%s` | %s |", r.key, r.desc))
		}
	}
	if got := strings.Split(strings.TrimSpace(table), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("README key table:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestHelpListsEveryBinding: every key of every binding in the key map
// has a row in the full help.
func TestHelpListsEveryBinding(t *testing.T) {
	shown := map[string]bool{}
	for _, g := range helpGroups() {
		for _, r := range g.rows {
			for _, k := range strings.Split(r.key, "/") {
				shown[k] = true
			}
		}
	}
	shown["/"] = true // the filter's key is the separator
	spelled := map[string]string{"up": "↑", "down": "↓", "pgdown": "pgdn"}
	v := reflect.ValueOf(DefaultKeyMap())
	for i := range v.NumField() {
		b := v.Field(i).Interface().(key.Binding)
		for _, k := range b.Keys() {
			if s, ok := spelled[k]; ok {
				k = s
			}
			if !shown[k] {
				t.Errorf("%s: key %q is not in the help", v.Type().Field(i).Name, k)
			}
		}
	}
}
