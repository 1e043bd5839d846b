package callback

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

// Distinctive values, so a test can tell if one of them leaks into a page or
// an error.
const (
	testState = "STATE-5f0c1e2d9a8b7c6d5e4f3a2b1c0d9e8f"
	testCode  = "CODE-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	testToken = "TOKEN-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
)

// client never follows a redirect, so a 3xx would show, and keeps no idle
// connection, so goroutine counts settle.
func client() *http.Client {
	return &http.Client{
		Transport:     &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
}

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

func get(t *testing.T, u string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

func post(t *testing.T, u, contentType, body string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return do(t, req)
}

func start(t *testing.T, mode Mode) *Server {
	t.Helper()
	s, err := Listen("", testState, mode, Issuer{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// assertNoResult fails if a redirect was handed to Wait.
func assertNoResult(t *testing.T, h *handler) {
	t.Helper()
	select {
	case r := <-h.results:
		t.Fatalf("a redirect ended the sign-in: %v", r.err)
	default:
	}
}

// waitNow calls Wait on a server that already has its result.
func waitNow(t *testing.T, s *Server) (url.Values, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Wait(ctx)
}

// assertRefused checks that nothing listens at addr any more.
func assertRefused(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections", addr)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial %s: %v, want connection refused", addr, err)
	}
}

// assertGoroutines waits, bounded, for the goroutine count to come back to
// base.
func assertGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			n := runtime.Stack(buf, true)
			t.Fatalf("%d goroutines, want at most %d:\n%s", runtime.NumGoroutine(), base, buf[:n])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func hostport(s *Server) string { return s.redirect.Host }

func redirectURL(s *Server, query string) string {
	u := s.RedirectURI()
	if query != "" {
		u += "?" + query
	}
	return u
}

func assertNoSecrets(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range []string{testState, testCode, testToken} {
		if strings.Contains(s, secret) {
			t.Fatalf("%s quotes a secret: %q", what, s)
		}
	}
}

// needIPv6 skips a test on a machine without an IPv6 loopback.
func needIPv6(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	l.Close()
}

// oracle says, independently of the handler, what a redirect's parameters
// must amount to: accepted only with one non-empty credential (code or
// access_token), exactly this state, no error, no repeated parameter and no
// control character.
func oracle(raw, credential string) (accepted bool) {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return false
	}
	for k, vs := range vals {
		if len(vs) != 1 {
			return false
		}
		for _, s := range []string{k, vs[0]} {
			if !utf8.ValidString(s) {
				return false
			}
			for _, r := range s {
				if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
					return false
				}
			}
		}
	}
	return vals.Get("state") == testState && !vals.Has("error") && vals.Get(credential) != ""
}

// takeResult returns whether the handler delivered a success.
func takeResult(h *handler) (delivered, ok bool) {
	select {
	case r := <-h.results:
		return true, r.err == nil
	default:
		return false, false
	}
}

// relayElement is the one script a page may hold: the relay page's own.
var relayElement = "<script>" + relayScript + "</script>"

// checkPage checks what every answer must be: never a redirect, no script
// but the relay's, none of the request's secrets.
func checkPage(t *testing.T, rec *httptest.ResponseRecorder, input string) {
	t.Helper()
	if rec.Code >= 300 && rec.Code < 400 || rec.Header().Get("Location") != "" {
		t.Fatalf("a redirect: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	for _, h := range []string{"Content-Security-Policy", "Referrer-Policy", "Cache-Control", "X-Frame-Options", "X-Content-Type-Options"} {
		if rec.Header().Get(h) == "" {
			t.Fatalf("no %s header", h)
		}
	}
	body := strings.Replace(rec.Body.String(), relayElement, "", 1)
	if strings.Contains(strings.ToLower(body), "<script") {
		t.Fatalf("a script from the input reached the page: %q", body)
	}
	if strings.Contains(body, testState) && !strings.Contains(input, "error") {
		t.Fatalf("the state is on the page: %q", body)
	}
}

// syncBuffer is a bytes.Buffer that the listener's goroutines may write
// while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}
