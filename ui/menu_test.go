package ui

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestCopyMenu: y offers what the connection has (curl only with a check
// URL, claims only for a JWT), a number or j/k and enter picks, esc closes,
// and each entry fetches a fresh token first.
func TestCopyMenu(t *testing.T) {
	tests := map[string]struct {
		conn  string
		keys  []string
		offer []copyWhat
		want  copyWhat // what the copy job makes; -1: no job
	}{
		"esc closes":           {"aikido", []string{"esc"}, []copyWhat{copyToken, copyHeader, copyCurl, copyClaims}, -1},
		"1 token":              {"aikido", []string{"1"}, []copyWhat{copyToken, copyHeader, copyCurl, copyClaims}, copyToken},
		"2 header":             {"aikido", []string{"2"}, []copyWhat{copyToken, copyHeader, copyCurl, copyClaims}, copyHeader},
		"3 curl":               {"aikido", []string{"3"}, []copyWhat{copyToken, copyHeader, copyCurl, copyClaims}, copyCurl},
		"4 claims":             {"aikido", []string{"4"}, []copyWhat{copyToken, copyHeader, copyCurl, copyClaims}, copyClaims},
		"j j enter":            {"aikido", []string{"j", "j", "enter"}, []copyWhat{copyToken, copyHeader, copyCurl, copyClaims}, copyCurl},
		"k stops at the top":   {"aikido", []string{"j", "k", "k", "enter"}, []copyWhat{copyToken, copyHeader, copyCurl, copyClaims}, copyToken},
		"no check URL, no JWT": {"amino", []string{"3", "4", "esc"}, []copyWhat{copyToken, copyHeader}, -1},
		"amino header":         {"amino", []string{"2"}, []copyWhat{copyToken, copyHeader}, copyHeader},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, 120, 35)
			h.selectRow(tc.conn)
			h.press("y")
			if h.m.mode != modeMenu {
				t.Fatal("y opened no menu")
			}
			if got := h.m.menu.items; !equalWhats(got, tc.offer) {
				t.Fatalf("offers %v, want %v", got, tc.offer)
			}
			h.press(tc.keys...)
			j := h.m.busy[tc.conn]
			if tc.want < 0 {
				if j != nil || h.m.mode != modeNormal {
					t.Fatalf("job %v, mode %v: want the menu closed and nothing started", j, h.m.mode)
				}
				return
			}
			if h.m.mode != modeNormal || j == nil || j.kind != jobCopy || j.what != tc.want {
				t.Fatalf("mode %v, job %+v: want a copy of %v", h.m.mode, j, tc.want)
			}
		})
	}
}

// equalWhats reports whether two menus offer the same entries in order.
func equalWhats(a, b []copyWhat) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCopyMenuCopies: each entry ends on the clipboard made of a fresh
// token, and the status line names what was copied, never the value.
func TestCopyMenuCopies(t *testing.T) {
	for _, key := range []string{"1", "2", "3", "4"} {
		t.Run(key, func(t *testing.T) {
			h := newHarness(t, 120, 35)
			tok := h.b.state("aikido").Token.AccessToken
			h.press("y")
			cmd := h.send(await[tokenMsg](t, run(h.press(key))))
			h.send(await[copiedMsg](t, run(cmd)))
			got := h.rec.clipboard()
			if len(got) != 1 {
				t.Fatalf("clipboard writes %q", got)
			}
			var want string
			switch key {
			case "1":
				want = tok
			case "2":
				want = "Authorization: Bearer " + tok
			case "3":
				want = curlLine("https://app.aikido.dev/api/public/v1/workspace", tok)
			case "4":
				want = "{\n  \"sub\": \"svc-42\",\n  \"exp\": 1795928400,\n  \"scope\": \"read write\"\n}\n"
			}
			if got[0] != want {
				t.Errorf("copied %q, want %q", got[0], want)
			}
			if !strings.HasPrefix(h.m.status, "copied aikido ") || strings.Contains(h.m.status, sentinel) {
				t.Errorf("status %q", h.m.status)
			}
			noSecrets(t, h.frame())
		})
	}
}

// TestCurlLineKeepsTheTokenOffTheCommandLine runs the curl line in sh with
// a stand-in curl that prints its arguments and its stdin apart: the token
// is on stdin only, in a curl config header line.
func TestCurlLineKeepsTheTokenOffTheCommandLine(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	tok := "tok-" + sentinel + `-with"quote\`
	url := "https://api.example/me?a=1&b='x'"
	line := curlLine(url, tok)
	if first := strings.SplitN(line, "\n", 2)[0]; strings.Contains(first, sentinel) {
		t.Fatalf("the command line holds the token: %q", first)
	}
	script := `curl() { printf 'ARG:%s\n' "$@"; printf 'STDIN:'; cat; }` + "\n" + line
	out, err := exec.Command(sh, "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("sh: %v\n%s", err, out)
	}
	args, stdin, _ := strings.Cut(string(out), "STDIN:")
	if strings.Contains(args, sentinel) {
		t.Errorf("arguments hold the token:\n%s", args)
	}
	if want := "ARG:-sS\nARG:-K\nARG:-\nARG:" + url + "\n"; args != want {
		t.Errorf("arguments\n%s\nwant\n%s", args, want)
	}
	if want := `header = "Authorization: Bearer tok-` + sentinel + `-with\"quote\\"` + "\n"; stdin != want {
		t.Errorf("stdin %q, want %q", stdin, want)
	}
}

func TestClaimsJSON(t *testing.T) {
	if _, ok := claimsJSON("not-a-jwt"); ok {
		t.Error("claims of an opaque token")
	}
	got, ok := claimsJSON(jwt(`{"sub":"svc-42","n":1}`))
	if !ok || got != "{\n  \"sub\": \"svc-42\",\n  \"n\": 1\n}\n" {
		t.Errorf("claimsJSON = %q, %v", got, ok)
	}
}

// TestCopyMenuTinyWindows: the menu never draws past the window, nor
// panics, at sizes below 80x24.
func TestCopyMenuTinyWindows(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {10, 3}, {20, 5}, {40, 10}, {60, 15}, {79, 23}} {
		h := newHarness(t, sz[0], sz[1])
		for _, keys := range [][]string{{"y"}, {"esc", "enter", "y"}} {
			h.press(keys...)
			for _, l := range strings.Split(h.frame(), "\n") {
				if w := ansi.StringWidth(l); w > max(sz[0], 1) {
					t.Errorf("%dx%d: line %d wide: %q", sz[0], sz[1], w, l)
				}
			}
		}
	}
}
