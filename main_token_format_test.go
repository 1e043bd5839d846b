package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"tokentop/flows/providertest"
	uicli "tokentop/ui/cli"
)

// realTool is the path of a client the tests run for real: under CI its
// absence fails the test (.ci/run installs it), elsewhere it skips.
func realTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: .ci/run installs it", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

// bearerServer is an API on 127.0.0.1 that answers 200 "ok" to a request
// with Authorization "Bearer "+want and 401 otherwise, and keeps the last
// Authorization it saw.
func bearerServer(t *testing.T, want string) (url string, last func() string) {
	t.Helper()
	var mu sync.Mutex
	var seen string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = r.Header.Get("Authorization")
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+want {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() string { mu.Lock(); defer mu.Unlock(); return seen }
}

// TestCLITokenFormatCurl: tokentop token --format curl | curl -K - URL
// reaches an API that checks the bearer, the token on no command line.
func TestCLITokenFormatCurl(t *testing.T) {
	curl := realTool(t, "curl")
	c := newCLI(t, providertest.Options{})
	tok := c.token("aikido")
	url, _ := bearerServer(t, tok)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pipeline := shellQuote(binPath) + " --config " + shellQuote(c.config) + " --state " + shellQuote(c.state) +
		" token aikido --format curl | " + shellQuote(curl) + " -sS -K - " + shellQuote(url)
	out, err := exec.CommandContext(ctx, "sh", "-c", pipeline).CombinedOutput()
	if err != nil || string(out) != "ok" {
		t.Fatalf("curl: %v: %q", err, out)
	}
}

// TestCurlConfigQuoting feeds the line for a token holding " and \ to
// the real curl, and the API receives the token exactly.
func TestCurlConfigQuoting(t *testing.T) {
	curl := realTool(t, "curl")
	tok := `ab"c\d\\"e`
	url, last := bearerServer(t, tok)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, curl, "-sS", "-K", "-", url)
	cmd.Stdin = strings.NewReader(uicli.CurlHeader("Authorization: Bearer "+tok) + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "ok" {
		t.Fatalf("curl: %v: %q; the API saw %q", err, out, last())
	}
}

func TestCLITokenFormats(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	tok := c.token("aikido")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--format", "raw"}, tok + "\n"},
		{[]string{"--format", "header"}, "Authorization: Bearer " + tok + "\n"},
		{[]string{"--format", "curl"}, `header = "Authorization: Bearer ` + tok + `"` + "\n"},
	}
	for _, tc := range cases {
		out, errOut, code := c.run("", append([]string{"token", "aikido"}, tc.args...)...)
		if code != 0 || out != tc.want {
			t.Fatalf("%v: exit %d (%s), output not %q's shape", tc.args, code, errOut, tc.args[1])
		}
	}
	out, errOut, code := c.run("", "token", "aikido", "--format", "json")
	var v map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil {
		t.Fatalf("json: exit %d (%s)", code, errOut)
	}
	exp, err := time.Parse(time.RFC3339, v["expires_at"].(string))
	left, _ := v["seconds_left"].(float64)
	if v["access_token"] != tok || v["token_type"] != "Bearer" || err != nil || left <= 0 || time.Until(exp) > time.Duration(left+2)*time.Second {
		t.Fatalf("json: keys %d, type %v, expires_at %v, seconds_left %v", len(v), v["token_type"], v["expires_at"], v["seconds_left"])
	}
	if len(v) != 4 {
		t.Fatalf("json has %d keys, want 4", len(v))
	}
	if _, errOut, code := c.run("", "token", "aikido", "--format", "yaml"); code != 2 || !strings.Contains(errOut, `unknown format "yaml"`) {
		t.Fatalf("--format yaml: exit %d, %q", code, errOut)
	}
}
