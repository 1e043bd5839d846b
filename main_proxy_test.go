package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"tokentop/flows/providertest"
)

// needCurl returns the path of the real curl, as newTmux does for tmux:
// under CI a missing curl fails the test rather than skip it.
func needCurl(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("curl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("curl is missing: .ci/run installs it")
		}
		t.Skip("curl is not installed")
	}
	return p
}

// fakeAPI is a loopback API that accepts only a bearer the provider fake
// issued and that has not expired, sent once, with no Proxy-Authorization
// and nothing the client sent: anything else is a 403 naming the problem.
type fakeAPI struct {
	*httptest.Server
	fake   *providertest.Server
	refuse atomic.Int32 // answer this many requests 401 invalid_token

	mu   sync.Mutex
	seen []string // the bearer tokens, in arrival order
}

func newFakeAPI(t *testing.T, fake *providertest.Server) *fakeAPI {
	a := &fakeAPI{fake: fake}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.Close)
	return a
}

func (a *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Values("Authorization")
	tok, _ := strings.CutPrefix(strings.Join(auth, ","), "Bearer ")
	exp, issued := a.fake.AccessExpiry(tok)
	a.mu.Lock()
	a.seen = append(a.seen, tok)
	a.mu.Unlock()
	switch {
	case len(auth) != 1 || !issued:
		http.Error(w, fmt.Sprintf("want one bearer the provider issued, got %d Authorization headers", len(auth)), http.StatusForbidden)
		return
	case !exp.IsZero() && time.Now().After(exp):
		http.Error(w, "expired token", http.StatusForbidden)
		return
	case r.Header.Get("Proxy-Authorization") != "":
		http.Error(w, "Proxy-Authorization reached the API", http.StatusForbidden)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if a.refuse.Add(-1) >= 0 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="invalid_token"`)
		http.Error(w, "invalid_token", http.StatusUnauthorized)
		return
	}
	fmt.Fprintf(w, "ok %s %s %s", r.Method, r.URL.Path, body)
}

func (a *fakeAPI) tokens() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.seen...)
}

// proxyCLI is a config of one Aikido connection whose api_url is api,
// with a renewal margin of one second.
func proxyCLI(t *testing.T, lifetime time.Duration) (*cli, *fakeAPI) {
	t.Helper()
	c := newCLI(t, providertest.Options{})
	if lifetime > 0 {
		c.fake.SetLifetime(providertest.Aikido, lifetime)
	}
	api := newFakeAPI(t, c.fake)
	conf := fmt.Sprintf(`refresh_before = "1s"

[connections.aikido]
provider = "aikido"
client_id = %q
client_secret = %q
token_url = "%s"
api_url = "%s/"
`, providertest.AikidoClientID, providertest.AikidoClientSecret, c.fake.AikidoTokenURL(), api.URL)
	if err := os.WriteFile(c.config, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return c, api
}

// proxyProc is a running tokentop proxy.
type proxyProc struct {
	t     testing.TB
	cmd   *exec.Cmd
	where string // the socket's path or http://127.0.0.1:PORT
	done  chan struct{}

	mu     sync.Mutex
	stderr strings.Builder
}

var proxyingRE = regexp.MustCompile(`^tokentop: proxying \S+ \(\S+\) on (\S+); curl `)

// startProxy starts tokentop proxy aikido on c's files.
func startProxy(t *testing.T, c *cli, extra ...string) *proxyProc {
	t.Helper()
	return startProxyArgs(t, append([]string{"--config", c.config, "--state", c.state, "proxy", "aikido"}, extra...)...)
}

// startProxyArgs starts tokentop with args and waits for it to say where
// it listens.
func startProxyArgs(t testing.TB, args ...string) *proxyProc {
	t.Helper()
	p := &proxyProc{t: t, cmd: exec.Command(binPath, args...), done: make(chan struct{})}
	pipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if m := proxyingRE.FindStringSubmatch(sc.Text()); m != nil {
				ready <- m[1]
			}
		}
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	select {
	case p.where = <-ready:
	case <-p.done:
		p.cmd.Wait()
		t.Fatalf("tokentop proxy ended before listening: %s", p.errOut())
	case <-time.After(20 * time.Second):
		t.Fatalf("tokentop proxy did not say where it listens within 20s: %s", p.errOut())
	}
	return p
}

func (p *proxyProc) errOut() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// stop sends sig and returns the exit status and everything on stderr.
func (p *proxyProc) stop(sig os.Signal) (int, string) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.t.Fatalf("tokentop proxy still runs 15s after %v: %s", sig, p.errOut())
	}
	p.cmd.Wait()
	return p.cmd.ProcessState.ExitCode(), p.errOut()
}

// curl runs the real curl and returns the body and the HTTP status.
func curl(t *testing.T, stdin io.Reader, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, needCurl(t), append([]string{"-sS", "--max-time", "15", "-w", "\n%{http_code}"}, args...)...)
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Errorf("curl %v: %v: %s", args, err, errb.String())
		return "", ""
	}
	body, code, _ := strings.Cut(out.String(), "\n")
	if i := strings.LastIndex(out.String(), "\n"); i >= 0 {
		body, code = out.String()[:i], out.String()[i+1:]
	}
	return body, code
}

// noSecrets fails when text shows a token the API saw or the secrets the
// client sent.
func noSecrets(t *testing.T, text string, api *fakeAPI, more ...string) {
	t.Helper()
	for _, s := range append(api.tokens(), more...) {
		if s != "" && strings.Contains(text, s) {
			t.Fatalf("a secret (%.6s…) is in the proxy's output:\n%s", s, text)
		}
	}
}

func TestProxyCurlUnixSocket(t *testing.T) {
	needCurl(t)
	c, api := proxyCLI(t, 0)
	p := startProxy(t, c)
	sock := filepath.Join(filepath.Dir(c.state), "proxy-aikido.sock")
	if p.where != sock {
		t.Fatalf("listens on %s, want %s", p.where, sock)
	}
	fi, err := os.Lstat(sock)
	if err != nil || fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket %v (%v), want a socket of mode 0600", fi.Mode(), err)
	}
	if !strings.Contains(p.errOut(), "curl --unix-socket "+sock+" http://aikido/") {
		t.Fatalf("the start line shows no curl command: %s", p.errOut())
	}
	body, code := curl(t, nil, "--unix-socket", sock, "-H", "Authorization: Bearer client-sent-SECRET-1", "-H", "Proxy-Authorization: Basic Y2xpZW50OnNlY3JldA==",
		"http://aikido/v1/things?api_key=QUERY-SECRET-77&page=2")
	if code != "200" || body != "ok GET /v1/things " {
		t.Fatalf("curl through the socket: %s %q", code, body)
	}
	status, errOut := p.stop(syscall.SIGTERM)
	if status != 0 {
		t.Fatalf("SIGTERM: exit %d, want 0: %s", status, errOut)
	}
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Fatalf("the socket is still there after the proxy ended (%v)", err)
	}
	if !strings.Contains(errOut, "tokentop: GET /v1/things?api_key=…&page=… 200 ") {
		t.Fatalf("no access log line for the request:\n%s", errOut)
	}
	noSecrets(t, errOut, api, "QUERY-SECRET-77", "client-sent-SECRET-1", "Y2xpZW50OnNlY3JldA==")
}

func TestProxyCurlTCP(t *testing.T) {
	needCurl(t)
	c, api := proxyCLI(t, 0)
	p := startProxy(t, c, "--listen", "127.0.0.1:0")
	if !strings.HasPrefix(p.where, "http://127.0.0.1:") {
		t.Fatalf("listens on %s, want http://127.0.0.1:PORT", p.where)
	}
	if !strings.Contains(p.errOut(), "tokentop: warning: listening on TCP 127.0.0.1:") || !strings.Contains(p.errOut(), "every local user can reach it") {
		t.Fatalf("no warning that other local users can reach the port: %s", p.errOut())
	}
	body, code := curl(t, strings.NewReader("a=1"), "-H", "Authorization: Bearer client-sent-SECRET-2", "--data-binary", "@-", p.where+"/v1/items")
	if code != "200" || body != "ok POST /v1/items a=1" {
		t.Fatalf("curl over TCP: %s %q", code, body)
	}
	status, errOut := p.stop(syscall.SIGINT)
	if status != 0 {
		t.Fatalf("SIGINT: exit %d, want 0: %s", status, errOut)
	}
	if !strings.Contains(errOut, "tokentop: POST /v1/items 200 ") {
		t.Fatalf("no access log line for the request:\n%s", errOut)
	}
	noSecrets(t, errOut, api, "client-sent-SECRET-2")
}

// TestProxyConcurrentCurlsRenewOnce: 50 curls at once, after the token
// the proxy holds has expired, cause one renewal at the provider.
func TestProxyConcurrentCurlsRenewOnce(t *testing.T) {
	curlPath := needCurl(t)
	const life = 6 * time.Second
	c, api := proxyCLI(t, life)
	p := startProxy(t, c, "--listen", "127.0.0.1:0")
	if _, code := curl(t, nil, p.where+"/first"); code != "200" {
		t.Fatalf("first request: %s", code)
	}
	first := api.tokens()[0]
	exp, ok := c.fake.AccessExpiry(first)
	if !ok || exp.IsZero() {
		t.Fatal("the first token has no expiry at the fake")
	}
	before := c.fake.Count(providertest.Aikido, "")
	// Wait for the clock, not for another goroutine: the token must have
	// expired when the curls start.
	time.Sleep(time.Until(exp) + 20*time.Millisecond)

	start := make(chan struct{})
	var wg sync.WaitGroup
	codes := make([]string, 50)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out, err := exec.Command(curlPath, "-sS", "--max-time", "15", "-o", "/dev/null", "-w", "%{http_code}", fmt.Sprintf("%s/c/%d", p.where, i)).Output()
			if err != nil {
				t.Errorf("curl %d: %v", i, err)
			}
			codes[i] = string(out)
		}()
	}
	close(start)
	wg.Wait()
	for i, code := range codes {
		if code != "200" {
			t.Fatalf("curl %d: HTTP %s, want 200", i, code)
		}
	}
	if n := c.fake.Count(providertest.Aikido, "") - before; n != 1 {
		t.Fatalf("%d token requests for 50 concurrent requests across an expiry, want exactly 1", n)
	}
	seen := api.tokens()[1:]
	for _, tok := range seen {
		if tok == first || tok != seen[0] {
			t.Fatal("the 50 requests did not all carry the one renewed token")
		}
	}
	if status, errOut := p.stop(syscall.SIGTERM); status != 0 {
		t.Fatalf("exit %d: %s", status, errOut)
	} else {
		noSecrets(t, errOut, api)
	}
}

// TestProxyRetriesAfterInvalidToken: a 401 invalid_token is answered with
// one renewal and the same request again when it can be replayed; a
// streamed body cannot be, and its 401 reaches the client.
func TestProxyRetriesAfterInvalidToken(t *testing.T) {
	needCurl(t)
	c, api := proxyCLI(t, 0)
	p := startProxy(t, c)
	count := func() int { return c.fake.Count(providertest.Aikido, "") }
	base := count() // the token the proxy got at start

	api.refuse.Store(1)
	if body, code := curl(t, nil, "--unix-socket", p.where, "http://aikido/get"); code != "200" || body != "ok GET /get " {
		t.Fatalf("GET after one invalid_token: %s %q, want 200", code, body)
	}
	if n := count() - base; n != 1 {
		t.Fatalf("%d token requests for one invalid_token, want 1", n)
	}
	if toks := api.tokens(); len(toks) != 2 || toks[0] == toks[1] {
		t.Fatal("the retry did not carry a renewed token")
	}

	api.refuse.Store(1)
	if body, code := curl(t, nil, "--unix-socket", p.where, "--data-binary", "replay me", "http://aikido/post"); code != "200" || body != "ok POST /post replay me" {
		t.Fatalf("POST of a small body after one invalid_token: %s %q, want 200 and the body again", code, body)
	}
	if n := count() - base; n != 2 {
		t.Fatalf("%d token requests after two invalid_token, want 2", n)
	}

	// curl -T - streams stdin in chunks: no length, so no replay.
	api.refuse.Store(1)
	if _, code := curl(t, strings.NewReader("streamed"), "--unix-socket", p.where, "-T", "-", "http://aikido/put"); code != "401" {
		t.Fatalf("PUT of a streamed body after invalid_token: HTTP %s, want the 401 passed through", code)
	}
	if n := count() - base; n != 2 {
		t.Fatalf("%d token requests, want still 2: the streamed request is not retried", n)
	}
	// The refused token is not sent again: the next request renews.
	if body, code := curl(t, nil, "--unix-socket", p.where, "http://aikido/after"); code != "200" || body != "ok GET /after " {
		t.Fatalf("GET after the streamed 401: %s %q", code, body)
	}
	if n := count() - base; n != 3 {
		t.Fatalf("%d token requests, want 3: the refused token is renewed before the next request", n)
	}
	status, errOut := p.stop(syscall.SIGTERM)
	if status != 0 {
		t.Fatalf("exit %d: %s", status, errOut)
	}
	if !strings.Contains(errOut, "PUT /put 401 ") {
		t.Fatalf("the access log has no line for the 401:\n%s", errOut)
	}
	noSecrets(t, errOut, api)
}

func TestProxyRefusals(t *testing.T) {
	c, _ := proxyCLI(t, 0)
	for _, addr := range []string{"0.0.0.0:8080", ":8080", "[::]:8080", "192.0.2.1:80", "example.com:80", "127.0.0.1", "127.0.0.2:80"} {
		t.Run("listen "+addr, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run([]string{"--config", c.config, "--state", c.state, "proxy", "aikido", "--listen", addr}, strings.NewReader(""), &out, &errb)
			if code != exitUsage || !strings.Contains(errb.String(), "proxy --listen") {
				t.Fatalf("exit %d, stderr %q; want 2 and the address refused", code, errb.String())
			}
		})
	}
	if n := c.fake.Count(providertest.Aikido, ""); n != 0 {
		t.Fatalf("%d token requests: a refused address must be refused before any", n)
	}

	t.Run("no api_url or check_url", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "config.toml")
		conf := fmt.Sprintf("[connections.aikido]\nprovider = \"aikido\"\nclient_id = \"id\"\nclient_secret = \"s\"\ntoken_url = %q\n", c.fake.AikidoTokenURL())
		if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		code := run([]string{"--config", cfg, "--state", c.state, "proxy", "aikido"}, strings.NewReader(""), &out, &errb)
		if code != exitUsage || !strings.Contains(errb.String(), "aikido: no api_url") {
			t.Fatalf("exit %d, stderr %q; want 2 and the missing api_url said", code, errb.String())
		}
	})

	t.Run("signed out", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "config.toml")
		conf := fmt.Sprintf("[connections.aerion]\nprovider = \"aerion\"\ncompany_url = %q\nusername = %q\ntoken_url = %q\napi_url = \"http://127.0.0.1:9/\"\n",
			providertest.AerionTenant, providertest.AerionUser, c.fake.AerionTokenURL())
		if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		code := run([]string{"--config", cfg, "--state", c.state, "proxy", "aerion"}, strings.NewReader(""), &out, &errb)
		if code != exitAttention || !strings.Contains(errb.String(), "run tokentop login aerion") {
			t.Fatalf("exit %d, stderr %q; want 1 and the login to run", code, errb.String())
		}
		if _, err := os.Lstat(filepath.Join(filepath.Dir(c.state), "proxy-aerion.sock")); !os.IsNotExist(err) {
			t.Fatalf("a socket was made for a connection that needs a person (%v)", err)
		}
	})

	t.Run("a file in the way", func(t *testing.T) {
		sock := filepath.Join(filepath.Dir(c.state), "proxy-aikido.sock")
		if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(sock, []byte("keep me"), 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(sock)
		var out, errb bytes.Buffer
		code := run([]string{"--config", c.config, "--state", c.state, "proxy", "aikido"}, strings.NewReader(""), &out, &errb)
		if b, _ := os.ReadFile(sock); code != exitAttention || !strings.Contains(errb.String(), "is not a socket") || string(b) != "keep me" {
			t.Fatalf("exit %d, stderr %q, file %q; want 1, the file named and left alone", code, errb.String(), b)
		}
	})
}

// TestProxyReplacesStaleSocket: a socket a killed proxy left behind is
// removed; one a running proxy answers on is not taken over.
func TestProxyReplacesStaleSocket(t *testing.T) {
	c, _ := proxyCLI(t, 0)
	sock := filepath.Join(filepath.Dir(c.state), "proxy-aikido.sock")
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		t.Fatal(err)
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	p := startProxy(t, c)
	if p.where != sock {
		t.Fatalf("listens on %s, want %s", p.where, sock)
	}
	var out, errb bytes.Buffer
	code := run([]string{"--config", c.config, "--state", c.state, "proxy", "aikido"}, strings.NewReader(""), &out, &errb)
	if code != exitAttention || !strings.Contains(errb.String(), "in use") {
		t.Fatalf("a second proxy: exit %d, stderr %q; want 1 and the socket in use", code, errb.String())
	}
	if status, errOut := p.stop(syscall.SIGTERM); status != 0 {
		t.Fatalf("exit %d: %s", status, errOut)
	}
}
