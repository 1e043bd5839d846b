package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tokentop/flows/providertest"
)

// credHelperCLI is newCLI's fake with a config whose connections match
// URLs: other (another host; its secret command leaves a marker when it
// runs), first and second (both https://api.example.com/*, first wins),
// aerion (signed out).
func credHelperCLI(t *testing.T) (c *cli, marker string) {
	c = newCLI(t, providertest.Options{})
	marker = filepath.Join(t.TempDir(), "secret-ran")
	aikido := func(name, match, secret string) string {
		return fmt.Sprintf("[connections.%s]\nprovider = \"aikido\"\nclient_id = %q\nclient_secret = %q\ntoken_url = %q\ncheck_url = %q\nmatch = [%q]\n\n",
			name, providertest.AikidoClientID, secret, c.fake.AikidoTokenURL(), c.fake.AikidoCheckURL(), match)
	}
	conf := aikido("other", "https://other.example.com/*", "cmd:touch "+shellQuote(marker)+"; echo "+providertest.AikidoClientSecret) +
		aikido("first", "https://api.example.com/*", providertest.AikidoClientSecret) +
		aikido("second", "https://api.example.com/*", providertest.AikidoClientSecret) +
		fmt.Sprintf("[connections.aerion]\nprovider = \"aerion\"\ncompany_url = %q\nusername = %q\nclient_id = \"c\"\nclient_secret = \"s\"\ntoken_url = %q\ncheck_url = %q\nmatch = [\"https://aerion.example.com/*\"]\n",
			providertest.AerionTenant, providertest.AerionUser, c.fake.AerionTokenURL(), c.fake.AerionCheckURL())
	if err := os.WriteFile(c.config, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return c, marker
}

type credResponse struct {
	Headers map[string][]string `json:"headers"`
	Expires *string             `json:"expires"`
}

// TestCLICredentialHelper speaks the protocol to the real binary.
func TestCLICredentialHelper(t *testing.T) {
	c, marker := credHelperCLI(t)

	out, errOut, code := c.run(`{"uri": "https://nowhere.example.org/"}`, "credential-helper", "get")
	if code != 0 || out != "{\"headers\":{}}\n" || errOut != "" {
		t.Fatalf("no match: exit %d, %q, %q", code, out, errOut)
	}
	if _, err := os.Stat(c.state); err == nil {
		t.Fatal("a request no connection matches opened the state file")
	}

	out, errOut, code = c.run(`{"uri": "https://api.example.com/v2/items"}`, "credential-helper", "get")
	var resp credResponse
	if code != 0 || json.Unmarshal([]byte(out), &resp) != nil {
		t.Fatalf("match: exit %d (%s)", code, errOut)
	}
	tok := c.token("first")
	if h := resp.Headers["Authorization"]; len(resp.Headers) != 1 || len(h) != 1 || h[0] != "Bearer "+tok {
		t.Fatalf("the headers are not first's bearer (%d headers)", len(resp.Headers))
	}
	if resp.Expires == nil {
		t.Fatal("no expires for a token that expires")
	}
	if exp, err := time.Parse(time.RFC3339, *resp.Expires); err != nil || time.Until(exp) <= 0 {
		t.Fatalf("expires %q: %v", *resp.Expires, err)
	}
	if n := c.fake.Count(providertest.Aikido, "client_credentials"); n != 1 {
		t.Fatalf("%d token requests, want 1 (first's, reused by token first)", n)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the secret command of a connection that does not match ran")
	}

	_, errOut, code = c.run(`{"uri": "https://aerion.example.com/x"}`, "credential-helper", "get")
	if code != 1 || errOut != "tokentop: aerion: sign-in required: run tokentop login aerion\n" {
		t.Fatalf("signed out: exit %d, %q", code, errOut)
	}
	for _, tc := range []struct{ stdin, arg, want string }{
		{`{"uri":`, "get", "tokentop: credential-helper: the request is not JSON"},
		{strings.Repeat(" ", 64<<10) + `{"uri": "https://api.example.com/"}`, "get", "larger than 64 KiB"},
		{`{"uri": "https://api.example.com/"}`, "store", `unknown operation "store"`},
	} {
		out, errOut, code := c.run(tc.stdin, "credential-helper", tc.arg)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") != 1 {
			t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and one line with %q", code, out, errOut, tc.want)
		}
	}
}

// TestCredentialHelperInProcess: the same request through run.
func TestCredentialHelperInProcess(t *testing.T) {
	c, _ := credHelperCLI(t)
	var out, errOut bytes.Buffer
	code := run([]string{"--config", c.config, "--state", c.state, "credential-helper", "get"}, strings.NewReader(`{"uri": "https://api.example.com/"}`), &out, &errOut)
	var resp credResponse
	if code != 0 || json.Unmarshal(out.Bytes(), &resp) != nil || len(resp.Headers["Authorization"]) != 1 {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	if got, want := resp.Headers["Authorization"][0], "Bearer "+c.token("first"); got != want {
		t.Fatal("the bearer is not first's")
	}
}
