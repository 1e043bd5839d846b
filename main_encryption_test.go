package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gokeyring "github.com/zalando/go-keyring"

	"tokentop/flows"
	"tokentop/flows/providertest"
	"tokentop/store"
	"tokentop/store/keyring"
	"tokentop/store/keyring/keyringtest"
)

// withTop puts lines at the top of the cli's config file.
func (c *cli) withTop(lines string) {
	c.t.Helper()
	b, err := os.ReadFile(c.config)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(c.config, append([]byte(lines), b...), 0o600); err != nil {
		c.t.Fatal(err)
	}
}

// statusEncryption returns status's last line and each connection's
// "encryption" in status --json.
func (c *cli) statusEncryption() (string, map[string]any) {
	c.t.Helper()
	out, _, _ := c.run("", "status")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	js, _, _ := c.run("", "status", "--json")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(js), &rows); err != nil {
		c.t.Fatalf("status --json: %v\n%s", err, js)
	}
	enc := map[string]any{}
	for _, r := range rows {
		enc[r["name"].(string)] = r["encryption"]
	}
	return lines[len(lines)-1], enc
}

// keyGoneThenNewToken checks that aikido, sealed under a key that is gone
// now, reads as signed out with status --json saying each of says, that
// the state file was not taken for damaged, and that token gets a new
// token in place of old.
func (c *cli) keyGoneThenNewToken(old string, says ...string) {
	c.t.Helper()
	js, _, _ := c.run("", "status", "--json")
	for _, w := range says {
		if !strings.Contains(js, w) {
			c.t.Fatalf("status --json once the key is gone lacks %q:\n%s", w, js)
		}
	}
	if m, _ := filepath.Glob(c.state + ".corrupt-*"); len(m) > 0 {
		c.t.Fatalf("the state file was moved aside: %q", m)
	}
	fresh, errOut, code := c.run("", "token", "aikido")
	if code != 0 || strings.TrimSpace(fresh) == old || errOut != "" {
		c.t.Fatalf("token once the key is gone: exit %d, %q", code, errOut)
	}
}

func TestCLIEncryptionWithASecretKey(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	c.withTop("encryption = \"env:TOKENTOP_TEST_STATE_KEY\"\n")
	t.Setenv("TOKENTOP_TEST_STATE_KEY", "first-state-key-0123456789abcdef")

	tok, errOut, code := c.run("", "token", "aikido")
	tok = strings.TrimSpace(tok)
	if code != 0 || tok == "" || errOut != "" {
		t.Fatalf("token: exit %d, %q", code, errOut)
	}
	raw, err := os.ReadFile(c.state)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(tok)) {
		t.Fatal("the state file holds the token in plain text")
	}
	if again, _, _ := c.run("", "token", "aikido"); strings.TrimSpace(again) != tok {
		t.Fatal("the second token call did not read the sealed token back")
	}
	line, enc := c.statusEncryption()
	if line != "encryption: env (tokens sealed with AES-256-GCM)" || enc["aikido"] != "env" {
		t.Fatalf("status says %q and %v", line, enc)
	}

	// Another key: the connection is signed out, not a damaged file, and
	// a connection that needs no person gets a new token.
	t.Setenv("TOKENTOP_TEST_STATE_KEY", "second-state-key-9876543210fedcba")
	c.keyGoneThenNewToken(tok, store.KeyGone)
	if n := c.fake.Count(providertest.Aikido, "client_credentials"); n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}

	// Too short a key is refused, naming the source and not the value.
	t.Setenv("TOKENTOP_TEST_STATE_KEY", "hunter2")
	_, errOut, code = c.run("", "token", "aikido")
	if code != 1 || !strings.Contains(errOut, "a key needs at least 16") || strings.Contains(errOut, "hunter2") {
		t.Fatalf("a 7-byte key: exit %d, %q", code, errOut)
	}
}

func TestCLIEncryptionDefaultWithoutAKeyring(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	tok, errOut, code := c.run("", "token", "aikido")
	if code != 0 || errOut != "" {
		t.Fatalf("token: exit %d, %q: scripts are not warned on every run", code, errOut)
	}
	line, enc := c.statusEncryption()
	want := "encryption: none: tokens are stored in plain text, because the keyring does not answer: no D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set)"
	if line != want || enc["aikido"] != "none" {
		t.Fatalf("status says %q and %v, want %q", line, enc, want)
	}
	if raw, _ := os.ReadFile(c.state); !bytes.Contains(raw, []byte(strings.TrimSpace(tok))) {
		t.Fatal("the fallback did not keep the token in plain text")
	}

	// Said outright, the same with no reason given.
	c.withTop("encryption = \"none\"\n")
	if line, _ := c.statusEncryption(); line != "encryption: none: tokens are stored in plain text" {
		t.Fatalf("status under encryption = \"none\" says %q", line)
	}
}

func TestPlainTextWarning(t *testing.T) {
	for _, tc := range []struct {
		e    store.Encryption
		want string
	}{
		{store.Encryption{Source: "keyring"}, ""},
		{store.Encryption{Source: "none"}, `tokens are stored in plain text (encryption = "none")`},
		{store.Encryption{Source: "none", Note: "the keyring does not answer (keyring: no answer in 2s)"},
			`tokens are stored in plain text: the keyring does not answer (keyring: no answer in 2s); set encryption = "none" to say so, or encryption = "cmd:…"`},
	} {
		if got := plainTextWarning(tc.e); got != tc.want {
			t.Errorf("plainTextWarning(%+v) = %q, want %q", tc.e, got, tc.want)
		}
	}
	// The dashboard gets it with the store's warnings; the command line,
	// run by scripts, is not told on every run.
	var stderr bytes.Buffer
	a := &app{statePath: filepath.Join(t.TempDir(), "state", "tokentop.db"), stderr: &stderr}
	defer a.close()
	if _, err := a.openService(&flows.Config{Encryption: "none"}); err != nil {
		t.Fatal(err)
	}
	if len(a.storeWarnings) != 1 || a.storeWarnings[0] != `tokens are stored in plain text (encryption = "none")` || stderr.Len() != 0 || !a.plainText {
		t.Fatalf("dashboard warnings %q, stderr %q", a.storeWarnings, stderr.String())
	}
}

// TestCLISecretService runs the real binary against a real Secret Service
// of its own (keyringtest), with encryption left to its default: the token
// is sealed under a key in the keyring, status says so, and once the entry
// is deleted the connection reads as signed out and gets a new token.
func TestCLISecretService(t *testing.T) {
	if !keyringtest.Session(t) {
		return
	}
	c := newCLI(t, providertest.Options{})
	tok, errOut, code := c.run("", "token", "aikido")
	tok = strings.TrimSpace(tok)
	if code != 0 || tok == "" || errOut != "" {
		t.Fatalf("token: exit %d, %q", code, errOut)
	}
	if raw, _ := os.ReadFile(c.state); bytes.Contains(raw, []byte(tok)) {
		t.Fatal("the state file holds the token in plain text")
	}
	line, enc := c.statusEncryption()
	if line != "encryption: keyring (tokens sealed with AES-256-GCM)" || enc["aikido"] != "keyring" {
		t.Fatalf("status says %q and %v", line, enc)
	}
	if again, _, _ := c.run("", "token", "aikido"); strings.TrimSpace(again) != tok {
		t.Fatal("the second token call did not read the sealed token back")
	}

	// What the keyring costs a token call: medians of alternate runs.
	none := *c
	none.config = filepath.Join(t.TempDir(), "none.toml")
	conf, _ := os.ReadFile(c.config)
	os.WriteFile(none.config, append([]byte("encryption = \"none\"\n"), conf...), 0o600)
	none.state = filepath.Join(t.TempDir(), "state", "tokentop.db")
	none.run("", "token", "aikido")
	var kt, nt []time.Duration
	for range 15 {
		start := time.Now()
		c.run("", "token", "aikido")
		kt = append(kt, time.Since(start))
		start = time.Now()
		none.run("", "token", "aikido")
		nt = append(nt, time.Since(start))
	}
	t.Logf("tokentop token: %s with the keyring, %s with encryption = \"none\" (medians of 15)", median(kt), median(nt))

	abs, _ := filepath.Abs(c.state)
	if err := gokeyring.Delete(keyring.Service, abs); err != nil {
		t.Fatalf("deleting the keyring entry: %v", err)
	}
	c.keyGoneThenNewToken(tok, store.KeyGone+" (sealed with key ", "the keyring holds none")
	if _, err := gokeyring.Get(keyring.Service, abs); err != nil {
		t.Fatalf("no new key in the keyring: %v", err)
	}
	gokeyring.Delete(keyring.Service, abs)
}
