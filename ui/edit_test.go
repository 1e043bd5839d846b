package ui

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"tokentop/flows/config"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

func TestEditorArgs(t *testing.T) {
	tests := map[string]struct {
		env  map[string]string
		want []string
	}{
		"VISUAL first":       {map[string]string{"VISUAL": "nvim", "EDITOR": "nano"}, []string{"nvim", "/c.toml"}},
		"EDITOR":             {map[string]string{"EDITOR": "nano"}, []string{"nano", "/c.toml"}},
		"vi":                 {nil, []string{"vi", "/c.toml"}},
		"with arguments":     {map[string]string{"VISUAL": "code -w"}, []string{"code", "-w", "/c.toml"}},
		"blank VISUAL skips": {map[string]string{"VISUAL": "  ", "EDITOR": "emacs -nw"}, []string{"emacs", "-nw", "/c.toml"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := editorArgs(func(k string) string { return tc.env[k] }, "/c.toml")
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("editorArgs = %q, want %q", got, tc.want)
			}
		})
	}
}

// execArgs returns the command line of a tea.ExecProcess command, or nil
// when cmd is not one.
func execArgs(t *testing.T, cmd tea.Cmd) []string {
	t.Helper()
	if cmd == nil {
		return nil
	}
	v := reflect.ValueOf(cmd())
	if !v.IsValid() || v.Type().String() != "tea.execMsg" {
		return nil
	}
	c := v.FieldByName("cmd").Elem().Elem().FieldByName("Cmd").Elem()
	args := c.FieldByName("Args")
	out := make([]string, args.Len())
	for i := range out {
		out[i] = args.Index(i).String()
	}
	return out
}

// TestEditKey: e suspends the dashboard for the editor on the config file;
// its return reads the file again.
func TestEditKey(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.m.getenv = func(k string) string { return map[string]string{"EDITOR": "code -w"}[k] }
	got := execArgs(t, h.press("e"))
	if want := []string{"code", "-w", h.b.cfg.Path}; !reflect.DeepEqual(got, want) {
		t.Fatalf("e runs %q, want %q", got, want)
	}
	h.send(editedMsg{})
	if !strings.Contains(h.m.status, "reading it again") {
		t.Errorf("status %q", h.m.status)
	}
	h.send(editedMsg{fmt.Errorf("exit status 1")})
	if !strings.Contains(h.m.status, "editor: exit status 1") {
		t.Errorf("status %q", h.m.status)
	}
}

// TestEditOnTheFirstRunScreen: e writes the starter (0600, never over an
// existing file) and opens the editor on it.
func TestEditOnTheFirstRunScreen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokentop", "config.toml")
	open := func() *Model {
		m := New(nil, Options{ConfigErr: fmt.Errorf("open config: %w", fs.ErrNotExist), ConfigPath: path,
			Now: func() time.Time { return t0 }, Getenv: func(string) string { return "" }})
		m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
		return m
	}
	m := open()
	if f := ansi.Strip(m.View().Content); !strings.Contains(f, "tokentop config init") || !strings.Contains(f, "tokentop --demo") {
		t.Errorf("the first-run screen misses a way on:\n%s", f)
	}
	_, cmd := m.Update(keyMsg("e"))
	msgs := runSync(cmd)
	if len(msgs) != 1 {
		t.Fatalf("e gave %#v", msgs)
	}
	data, err := os.ReadFile(path)
	if want, _ := config.Starter(nil); err != nil || string(data) != string(want) {
		t.Fatalf("starter %q, %v", data, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("starter mode %v", fi.Mode().Perm())
	}
	_, cmd = m.Update(msgs[0])
	if got := execArgs(t, cmd); !reflect.DeepEqual(got, []string{"vi", path}) {
		t.Fatalf("editor %q", got)
	}

	if err := os.WriteFile(path, []byte("# mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m = open()
	_, cmd = m.Update(keyMsg("e"))
	msgs = runSync(cmd)
	if data, _ := os.ReadFile(path); string(data) != "# mine\n" {
		t.Fatalf("the starter went over an existing file: %q", data)
	}
	_, cmd = m.Update(msgs[0])
	if got := execArgs(t, cmd); !reflect.DeepEqual(got, []string{"vi", path}) {
		t.Fatalf("editor %q", got)
	}
}
