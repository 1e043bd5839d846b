package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
)

// goldenAuthURL is the authorize URL of the browser sign-in frames.
const goldenAuthURL = "https://acme.aha.io/oauth/authorize?client_id=aha-client&redirect_uri=http%3A%2F%2F127.0.0.1%3A53682%2Fcallback&response_type=code&state=xyz"

// TestGolden compares whole frames, stripped of styling, with the files in
// testdata (go test ./ui/ -run TestGolden -update rewrites them). Every
// frame is checked for planted secrets too.
func TestGolden(t *testing.T) {
	sizes := []struct{ w, h int }{{80, 24}, {120, 35}, {200, 50}}
	screens := map[string]func(t *testing.T, w, h int) *Model{
		"table": func(t *testing.T, w, h int) *Model {
			hs := newHarness(t, w, h)
			hs.send(tickMsg{})
			hs.m.setStatus("aerion", levelError, "aerion: invalid_grant: refresh token expired — press l to sign in")
			return hs.m
		},
		"detail": func(t *testing.T, w, h int) *Model {
			hs := newHarness(t, w, h)
			hs.press("enter")
			return hs.m
		},
		"detail_failing": func(t *testing.T, w, h int) *Model {
			hs := newHarness(t, w, h)
			hs.selectRow("aerion")
			hs.press("enter")
			return hs.m
		},
		"password": func(t *testing.T, w, h int) *Model {
			hs := newHarness(t, w, h)
			hs.b.logins["aerion"] = newPending(kindPassword)
			hs.selectRow("aerion")
			hs.send(await[loginBegunMsg](t, run(hs.press("l"))))
			hs.typeText("hunter2")
			return hs.m
		},
		"browser": func(t *testing.T, w, h int) *Model {
			hs := newHarness(t, w, h)
			p := newPending(kindBrowser)
			p.url = goldenAuthURL
			hs.b.logins["aha"] = p
			hs.selectRow("aha")
			begun := await[loginBegunMsg](t, run(hs.press("l")))
			hs.send(begun)
			hs.send(browserOpenedMsg{begun.jobRef})
			return hs.m
		},
		"copy_menu": func(t *testing.T, w, h int) *Model {
			hs := newHarness(t, w, h)
			hs.press("enter", "y", "j")
			return hs.m
		},
		"empty": func(t *testing.T, w, h int) *Model {
			m := New(nil, Options{ConfigErr: fmt.Errorf("open config: %w", fs.ErrNotExist), ConfigPath: "/home/u/.config/tokentop/config.toml", Now: func() time.Time { return t0 }})
			m.Update(tea.WindowSizeMsg{Width: w, Height: h})
			return m
		},
		"config_error": func(t *testing.T, w, h int) *Model {
			m := New(nil, Options{ConfigErr: errors.New(`/home/u/.config/tokentop/config.toml:12: connection "aha": unknown flow "magic" (want one of client_credentials, authorization_code, implicit, password, device_code, api_key)`), Now: func() time.Time { return t0 }})
			m.Update(tea.WindowSizeMsg{Width: w, Height: h})
			return m
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
					// The sign-in address alone is drawn whole, however
					// wide, so that it can be selected and copied.
					if l == goldenAuthURL {
						continue
					}
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

// TestTinyWindows renders every pane at sizes below the supported 80x24:
// nothing may panic or draw past the window's width.
func TestTinyWindows(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {10, 3}, {20, 5}, {40, 10}, {60, 15}, {79, 23}} {
		h := newHarness(t, sz[0], sz[1])
		h.b.logins["aha"] = newPending(kindBrowser)
		frames := []string{h.frame()}
		h.press("enter")
		frames = append(frames, h.frame())
		h.send(tea.KeyPressMsg{Code: 'd', Mod: tea.ModCtrl})
		frames = append(frames, h.frame())
		h.selectRow("aha")
		h.send(await[loginBegunMsg](t, run(h.press("l"))))
		frames = append(frames, h.frame())
		h.press("?")
		frames = append(frames, h.frame())
		url := h.b.logins["aha"].url
		for _, f := range frames {
			for _, l := range strings.Split(f, "\n") {
				// The sign-in address alone is drawn whole (TestGolden).
				if l == url {
					continue
				}
				if w := ansi.StringWidth(l); w > max(sz[0], 1) {
					t.Errorf("%dx%d: line %d wide: %q", sz[0], sz[1], w, l)
				}
			}
		}
	}
}
