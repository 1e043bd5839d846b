package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"tokentop/flows/config"
)

// runInit runs tokentop in this process and returns stdout, stderr and the
// exit status.
func runInit(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), code
}

// TestConfigInit: for each provider alone and for the default set, the
// file written loads with no problem and no warning, holds what was asked,
// has mode 0600 in a directory made 0700, and the command says so.
func TestConfigInit(t *testing.T) {
	tests := []struct {
		args  []string
		names []string
		say   string
	}{
		{nil, []string{"aikido", "aha", "aerion", "amino"}, "with 4 connections (aikido, aha, aerion, amino)"},
		{[]string{"--provider", "aikido"}, []string{"aikido"}, "with 1 connection (aikido)"},
		{[]string{"--provider", "aha"}, []string{"aha"}, "with 1 connection (aha)"},
		{[]string{"--provider", "aerion"}, []string{"aerion"}, "with 1 connection (aerion)"},
		{[]string{"--provider", "amino"}, []string{"amino"}, "with 1 connection (amino)"},
		{[]string{"--provider", "oauth2"}, []string{"oauth2"}, "with 1 connection (oauth2)"},
		{[]string{"--provider", "aikido", "--provider", "aha"}, []string{"aikido", "aha"}, "with 2 connections (aikido, aha)"},
		{[]string{"--provider", "amino,oauth2"}, []string{"amino", "oauth2"}, "with 2 connections (amino, oauth2)"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.names, ","), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "new")
			path := filepath.Join(dir, "config.toml")
			out, errOut, code := runInit(t, append([]string{"--config", path, "config", "init"}, tt.args...)...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if want := "wrote " + path + " " + tt.say + "; edit it, then run tokentop\n"; out != want {
				t.Errorf("printed %q, want %q", out, want)
			}
			cfg, err := config.Load(path)
			if err != nil {
				t.Fatalf("the file written does not load: %v", err)
			}
			if len(cfg.Warnings) != 0 {
				t.Errorf("warnings: %q", cfg.Warnings)
			}
			if got := cfg.Names(); !reflect.DeepEqual(got, tt.names) {
				t.Errorf("connections %q, want %q", got, tt.names)
			}
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("file mode %v (%v), want 0600", fi.Mode().Perm(), err)
			}
			if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("directory mode %v (%v), want 0700", fi.Mode().Perm(), err)
			}
		})
	}
}

// TestConfigInitEnvPath: without --config the file goes where
// $TOKENTOP_CONFIG says, as every command reads it.
func TestConfigInitEnvPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env.toml")
	t.Setenv("TOKENTOP_CONFIG", path)
	if _, errOut, code := runInit(t, "config", "init", "--provider", "amino"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if _, err := config.Load(path); err != nil {
		t.Fatal(err)
	}
}

// TestConfigInitRefuses: an existing file, or a link at the path (dangling
// or not), is never written, and an unknown provider is a usage error.
func TestConfigInitRefuses(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	if _, errOut, code := runInit(t, "--config", path, "config", "init", "--provider", "aha"); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, errOut)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runInit(t, "--config", path, "config", "init", "--provider", "aikido")
	if code != 1 || out != "" || !strings.Contains(errOut, "config init: "+path+" already exists; edit it, or remove it first") {
		t.Errorf("second run: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Errorf("the second run changed the file")
	}

	for name, target := range map[string]string{"dangling": filepath.Join(dir, "elsewhere.toml"), "to a file": path} {
		t.Run("link "+name, func(t *testing.T) {
			link := filepath.Join(t.TempDir(), "config.toml")
			if err := os.Symlink(target, link); err != nil {
				t.Skip(err)
			}
			_, errOut, code := runInit(t, "--config", link, "config", "init")
			if code != 1 || !strings.Contains(errOut, "already exists") {
				t.Errorf("exit %d: %s", code, errOut)
			}
			if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Errorf("the link was replaced: %v", err)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "elsewhere.toml")); !os.IsNotExist(err) {
		t.Errorf("a file was written through the dangling link: %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Errorf("a file was written through the link")
	}

	other := filepath.Join(dir, "other.toml")
	_, errOut, code = runInit(t, "--config", other, "config", "init", "--provider", "aha", "--provider", "okta")
	if code != 2 || !strings.Contains(errOut, `config init: unknown provider "okta" (one of: aikido, aha, aerion, amino, oauth2)`) {
		t.Errorf("unknown provider: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Errorf("a file was written for an unknown provider: %v", err)
	}
}
