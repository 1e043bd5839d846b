package main

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gokeyring "github.com/zalando/go-keyring"

	"tokentop/flows/providertest"
	"tokentop/store"
	"tokentop/store/keyring"
	"tokentop/store/keyring/keyringtest"
)

// keyForms are the forms key material could leak in: as given, in hex and
// in base64, and the AES key derived from it for the state file (hex and
// base64 too).
func keyForms(t *testing.T, material []byte) []string {
	t.Helper()
	derived, err := hkdf.Key(sha256.New, material, nil, "tokentop state v1", 32)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range [][]byte{material, derived} {
		out = append(out, hex.EncodeToString(b), base64.StdEncoding.EncodeToString(b),
			base64.RawURLEncoding.EncodeToString(b))
		if s := string(b); strings.TrimSpace(s) == s && len(s) >= 8 && strings.ToValidUTF8(s, "") == s {
			out = append(out, s)
		}
	}
	return out
}

// keyAudit runs the commands that show a state file's encryption (token,
// status, status --json, a --log debug log of each) and returns everything
// they printed and logged, with the state file's bytes.
func (c *cli) keyAudit(logPath string) map[string]string {
	c.t.Helper()
	seen := map[string]string{}
	for _, args := range [][]string{{"token", "aikido"}, {"status"}, {"status", "--json"}, {"check", "aikido"}} {
		out, errOut, _ := c.run("", append([]string{"--log", logPath}, args...)...)
		name := strings.Join(args, " ")
		if args[0] != "token" { // token prints the token, not the key
			seen[name+" stdout"] += out
		}
		seen[name+" stderr"] += errOut
	}
	log, err := os.ReadFile(logPath)
	if err != nil {
		c.t.Fatal(err)
	}
	seen["--log"] = string(log)
	raw, err := os.ReadFile(c.state)
	if err != nil {
		c.t.Fatal(err)
	}
	seen["state file"] = string(raw)
	return seen
}

// noKey fails when any text in seen holds a form of a key.
func noKey(t *testing.T, seen map[string]string, forms []string) {
	t.Helper()
	for what, s := range seen {
		for _, f := range forms {
			if strings.Contains(s, f) {
				t.Errorf("%s holds the encryption key (%d chars, starts %.4q): %.300s", what, len(f), f, s)
			}
		}
	}
}

// TestCLIEncryptionKeyNeverShown: a key from encryption = "cmd:…" is in no
// output of token, status, status --json or check, in no --log debug log
// and not in the state file's bytes, as given or as the AES key derived
// from it; once the command gives another key, the lost-key message names
// the key ids and neither key. A command that prints the key and fails
// says how it ended, not what it printed.
func TestCLIEncryptionKeyNeverShown(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "state.key")
	first := []byte("SENTINEL-cmd-state-key-0123456789abcdef")
	if err := os.WriteFile(keyFile, first, 0o600); err != nil {
		t.Fatal(err)
	}
	c.withTop("encryption = \"cmd:cat '" + keyFile + "'\"\n")
	logPath := filepath.Join(dir, "debug.log")

	seen := c.keyAudit(logPath)
	if !strings.Contains(seen["status stdout"], "encryption: cmd (tokens sealed with AES-256-GCM)") {
		t.Fatalf("status does not say the tokens are sealed:\n%s", seen["status stdout"])
	}
	if !strings.Contains(seen["--log"], "level=DEBUG") {
		t.Fatalf("the debug log saw nothing:\n%.2000s", seen["--log"])
	}
	forms := keyForms(t, first)
	noKey(t, seen, forms)

	// Another key: signed out, and the message names key ids only.
	second := []byte("SENTINEL-cmd-state-key-fedcba9876543210")
	if err := os.WriteFile(keyFile, second, 0o600); err != nil {
		t.Fatal(err)
	}
	js, errOut, _ := c.run("", "--log", logPath, "status", "--json")
	if !strings.Contains(js, store.KeyGone+" (sealed with key ") || !strings.Contains(js, `encryption = \"cmd:…\" gives key `) {
		t.Fatalf("status --json once the key changed:\n%s", js)
	}
	seen = c.keyAudit(logPath)
	seen["status --json after the change"], seen["its stderr"] = js, errOut
	forms = append(forms, keyForms(t, second)...)
	noKey(t, seen, forms)

	// A command that prints the key, then fails.
	conf, err := os.ReadFile(c.config)
	if err != nil {
		t.Fatal(err)
	}
	conf = []byte(strings.Replace(string(conf), "'\"\n", "'; exit 3\"\n", 1))
	if err := os.WriteFile(c.config, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := c.run("", "--log", logPath, "token", "aikido")
	if code == 0 || !strings.Contains(errOut, "exit status 3") {
		t.Fatalf("token with a failing key command: exit %d, %q", code, errOut)
	}
	noKey(t, map[string]string{"failing command stdout": out, "failing command stderr": errOut}, forms)
}

// TestCLIKeyringKeyNeverShown is TestCLIEncryptionKeyNeverShown for the
// key tokentop makes and keeps in a real Secret Service (keyringtest).
func TestCLIKeyringKeyNeverShown(t *testing.T) {
	if !keyringtest.Session(t) {
		return
	}
	c := newCLI(t, providertest.Options{})
	logPath := filepath.Join(t.TempDir(), "debug.log")
	seen := c.keyAudit(logPath)
	if !strings.Contains(seen["status stdout"], "encryption: keyring (tokens sealed with AES-256-GCM)") {
		t.Fatalf("status does not say the tokens are sealed:\n%s", seen["status stdout"])
	}
	abs, _ := filepath.Abs(c.state)
	entry, err := gokeyring.Get(keyring.Service, abs)
	if err != nil {
		t.Fatalf("the keyring holds no key: %v", err)
	}
	material, err := base64.StdEncoding.DecodeString(entry)
	if err != nil || len(material) < 16 {
		t.Fatalf("the keyring entry is not a base64 key (%d chars)", len(entry))
	}
	forms := append(keyForms(t, material), entry)
	noKey(t, seen, forms)

	// The entry deleted: the lost-key message names the key id only.
	if err := gokeyring.Delete(keyring.Service, abs); err != nil {
		t.Fatal(err)
	}
	js, errOut, _ := c.run("", "--log", logPath, "status", "--json")
	if !strings.Contains(js, store.KeyGone+" (sealed with key ") {
		t.Fatalf("status --json once the key is gone:\n%s", js)
	}
	seen = c.keyAudit(logPath)
	seen["status --json once the key is gone"], seen["its stderr"] = js, errOut
	if entry, err = gokeyring.Get(keyring.Service, abs); err == nil {
		if m, err := base64.StdEncoding.DecodeString(entry); err == nil {
			forms = append(forms, append(keyForms(t, m), entry)...)
		}
	}
	noKey(t, seen, forms)
	gokeyring.Delete(keyring.Service, abs)
}
