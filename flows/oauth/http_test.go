package oauth

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	stdlog "log"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"tokentop/flows"
	"tokentop/flows/fault"
	"tokentop/flows/redact"
	"tokentop/flows/secret"
	"tokentop/flows/urlmatch"
)

// testNow is the fake local clock of every endpoint test.
var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// seenRequest is what a test server received.
type seenRequest struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

// recorder is an httptest server that records requests and answers with
// handle.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seenRequest
}

func (r *recorder) requests() []seenRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seenRequest(nil), r.reqs...)
}

func (r *recorder) last(t *testing.T) seenRequest {
	t.Helper()
	reqs := r.requests()
	if len(reqs) == 0 {
		t.Fatal("no request reached the server")
	}
	return reqs[len(reqs)-1]
}

func newRecorder(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, body []byte)) *recorder {
	t.Helper()
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, seenRequest{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
		rec.mu.Unlock()
		handle(w, r, body)
	}))
	t.Cleanup(rec.Close)
	return rec
}

// answer returns a handler writing status and a JSON body.
func answer(status int, body string) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

const okToken = `{"access_token":"new-access-token","token_type":"bearer","expires_in":3600,"refresh_token":"new-refresh-token"}`

// testEndpoint is an endpoint with a fake clock, a recorded fake sleep and a
// debug log through the Redactor into a buffer.
type testEndpoint struct {
	*endpoint
	logBuf *bytes.Buffer
	mu     sync.Mutex
	sleeps []time.Duration
}

func (te *testEndpoint) slept() []time.Duration {
	te.mu.Lock()
	defer te.mu.Unlock()
	return append([]time.Duration(nil), te.sleeps...)
}

func newTestEndpoint(t *testing.T, c *flows.Connection) *testEndpoint {
	t.Helper()
	red := redact.New()
	te := &testEndpoint{logBuf: &bytes.Buffer{}}
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: te.logBuf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e, err := newEndpoint(c, func() time.Time { return testNow }, log, red)
	if err != nil {
		t.Fatal(err)
	}
	e.sleep = func(ctx context.Context, d time.Duration) error {
		te.mu.Lock()
		te.sleeps = append(te.sleeps, d)
		te.mu.Unlock()
		return ctx.Err()
	}
	te.endpoint = e
	return te
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// assertNoSecrets fails when any of secrets appears in s.
func assertNoSecrets(t *testing.T, what, s string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			t.Errorf("%s contains secret %q: %s", what, sec, s)
		}
	}
}

func TestNewHTTPClientSettings(t *testing.T) {
	hc, err := newHTTPClient(&flows.Connection{})
	if err != nil {
		t.Fatal(err)
	}
	tr := hc.Transport.(*http.Transport)
	if tr.TLSHandshakeTimeout != 10*time.Second || tr.ResponseHeaderTimeout != 30*time.Second {
		t.Errorf("timeouts %v %v", tr.TLSHandshakeTimeout, tr.ResponseHeaderTimeout)
	}
	// Each request is bounded: by the Service's deadline when it gives
	// one, else by callTimeout.
	for give, want := range map[time.Duration]time.Duration{0: callTimeout, 3 * time.Second: 3 * time.Second} {
		c, err := New(&flows.Connection{}, flows.ClientOptions{Timeout: give})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.(*endpoint).timeout; got != want {
			t.Errorf("Timeout %v: requests bounded by %v, want %v", give, got, want)
		}
	}
	if hc.CheckRedirect(nil, nil) != http.ErrUseLastResponse {
		t.Error("redirects are followed")
	}
	if _, err := newHTTPClient(&flows.Connection{CAFile: filepath.Join(t.TempDir(), "none.pem")}); err == nil || !strings.Contains(err.Error(), "ca_file") {
		t.Errorf("missing ca_file: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	if _, err := newHTTPClient(&flows.Connection{CAFile: bad}); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("bad ca_file: %v", err)
	}
}

// TestTokenRedirectNotFollowed: a 3xx from a token endpoint is an error, and
// the password and client secret never reach the Location.
func TestTokenRedirectNotFollowed(t *testing.T) {
	elsewhere := newRecorder(t, answer(200, okToken))
	for _, code := range []int{301, 302, 307, 308} {
		src := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
			http.Redirect(w, r, elsewhere.URL+"/steal", code)
		})
		te := newTestEndpoint(t, &flows.Connection{Provider: flows.Aerion, ClientID: "tokentop", ClientSecret: secret.New("client-secret-redirect"), TokenURL: src.URL + "/oauth2/token"})
		_, err := te.Password(context.Background(), "me@example.com", "password-redirect")
		if err == nil || !strings.Contains(err.Error(), "token endpoint redirected to another location (HTTP ") || !strings.Contains(err.Error(), "not followed") {
			t.Errorf("%d: err = %v", code, err)
		}
		if len(src.requests()) != 1 {
			t.Errorf("%d: %d requests to the token endpoint", code, len(src.requests()))
		}
	}
	if n := len(elsewhere.requests()); n != 0 {
		t.Fatalf("the redirect target got %d requests", n)
	}
}

func TestRefusePlainHTTP(t *testing.T) {
	te := newTestEndpoint(t, &flows.Connection{ClientID: "id", ClientSecret: secret.New("secret-value"), TokenURL: "http://auth.example.com/token"})
	_, err := te.ClientCredentials(context.Background())
	if err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Fatalf("err = %v", err)
	}
	for _, u := range []string{"ftp://x/y", "https:///nohost", "javascript:alert(1)"} {
		te.conn.TokenURL = u
		if _, err := te.ClientCredentials(context.Background()); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	for host, ok := range map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true, "127.1.2.3": true, "example.com": false, "10.0.0.1": false, "localhost.example.com": false} {
		if urlmatch.IsLoopbackHost(host) != ok {
			t.Errorf("urlmatch.IsLoopbackHost(%s) != %v", host, ok)
		}
	}
}

func TestTLSErrors(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, okToken)
	}))
	srv.Config.ErrorLog = stdlog.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	tests := map[string]struct {
		conn flows.Connection
		url  string
		err  string
	}{
		"unknown authority": {flows.Connection{}, srv.URL, "certificate signed by unknown authority: set ca_file"},
		"ca_file":           {flows.Connection{CAFile: caFile}, srv.URL, ""},
		"insecure":          {flows.Connection{InsecureSkipVerify: true}, srv.URL, ""},
		"wrong host":        {flows.Connection{CAFile: caFile}, "https://localhost:" + strconv.Itoa(port), "not valid for this host name"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := tc.conn
			c.ClientID, c.ClientSecret, c.TokenURL = "id", secret.New("secret-value"), tc.url+"/token"
			te := newTestEndpoint(t, &c)
			tok, err := te.ClientCredentials(context.Background())
			if tc.err == "" {
				if err != nil || tok.AccessToken != "new-access-token" {
					t.Fatalf("tok %v err %v", tok, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
			checkOneLine(t, err.Error())
			if len(te.slept()) != 0 {
				t.Errorf("a certificate failure was retried: %v", te.slept())
			}
		})
	}
}

func TestTLSExpiredCertificate(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "expired"},
		NotBefore:             time.Now().Add(-48 * time.Hour),
		NotAfter:              time.Now().Add(-24 * time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.Config.ErrorLog = stdlog.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	te := newTestEndpoint(t, &flows.Connection{ClientID: "id", ClientSecret: secret.New("secret-value"), TokenURL: srv.URL + "/token", CAFile: caFile})
	_, err = te.ClientCredentials(context.Background())
	if err == nil || !strings.Contains(err.Error(), "certificate has expired") {
		t.Fatalf("err = %v", err)
	}
}

// TestSlowServerBounded: a server that trickles its body a byte at a time
// is cut off by the call deadline.
func TestSlowServerBounded(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		io.WriteString(w, `{"access_token":"`)
		w.(http.Flusher).Flush()
		// A byte at a time, forever: headers came long ago, so only the
		// call deadline can end this.
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-release:
				return
			case <-tick.C:
				io.WriteString(w, "a")
				w.(http.Flusher).Flush()
			}
		}
	})
	te := newTestEndpoint(t, &flows.Connection{Provider: flows.Aerion, ClientID: "c", ClientSecret: secret.New("secret-value"), TokenURL: srv.URL})
	te.timeout = 200 * time.Millisecond
	start := time.Now()
	_, err := te.Password(context.Background(), "u", "password-value")
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v", d)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v does not wrap the deadline", err)
	}
}

// TestCancelEndsCall: cancelling ctx ends a health check that is waiting
// on the server, and it is not retried.
func TestCancelEndsCall(t *testing.T) {
	arrived := make(chan struct{}, 4)
	release := make(chan struct{})
	defer close(release)
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	te := newTestEndpoint(t, &flows.Connection{ClientID: "c", TokenURL: srv.URL, CheckURL: srv.URL})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := te.Check(ctx, &flows.Token{AccessToken: "access-token-x"})
		done <- err
	}()
	<-arrived
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("call did not end after cancel")
	}
	if len(te.slept()) != 0 {
		t.Errorf("retried after cancel: %v", te.slept())
	}
}

// silentTLS is a TCP listener on loopback that accepts connections and
// never says a word: a TLS handshake with it hangs, so a request to it never
// leaves the machine.
func silentTLS(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return "https://" + ln.Addr().String() + "/token"
}

// TestCancelBeforeSendEndsTokenCall: a token request cancelled before it
// has a connection (here: stuck in the TLS handshake) ends at once, and the
// error says nothing was sent, so the refresh token is intact.
func TestCancelBeforeSendEndsTokenCall(t *testing.T) {
	url := silentTLS(t)
	calls := map[string]func(e *endpoint, ctx context.Context) error{
		"client_credentials": func(e *endpoint, ctx context.Context) error { _, err := e.ClientCredentials(ctx); return err },
		"refresh":            func(e *endpoint, ctx context.Context) error { _, err := e.Refresh(ctx, "refresh-token-x"); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			te := newTestEndpoint(t, &flows.Connection{ClientID: "c", ClientSecret: secret.New("secret-value"), TokenURL: url})
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- call(te.endpoint, ctx) }()
			select {
			case err := <-done:
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("err = %v", err)
				}
				var na *fault.NoAnswerError
				if !errors.As(err, &na) || na.Sent {
					t.Fatalf("err = %v: want a request that was not sent", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("call did not end after its caller gave up")
			}
			if len(te.slept()) != 0 {
				t.Errorf("retried after cancel: %v", te.slept())
			}
		})
	}
}

// TestCancelAfterSendIsAnswered: once a token request is on the wire, the
// caller's cancellation no longer stops it: the answer the provider sends is
// read and returned, since the refresh token it carried may be spent.
func TestCancelAfterSendIsAnswered(t *testing.T) {
	calls := map[string]func(e *endpoint, ctx context.Context) (*flows.Token, error){
		"client_credentials": func(e *endpoint, ctx context.Context) (*flows.Token, error) { return e.ClientCredentials(ctx) },
		"refresh":            func(e *endpoint, ctx context.Context) (*flows.Token, error) { return e.Refresh(ctx, "refresh-token-x") },
		"password": func(e *endpoint, ctx context.Context) (*flows.Token, error) {
			return e.Password(ctx, "u", "password-x")
		},
		"code": func(e *endpoint, ctx context.Context) (*flows.Token, error) {
			return e.ExchangeCode(ctx, e.Connection().TokenURL, "code-x", "http://127.0.0.1:1/cb", "", "")
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			arrived := make(chan struct{}, 1)
			release := make(chan struct{})
			srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
				arrived <- struct{}{}
				<-release
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, okToken)
			})
			te := newTestEndpoint(t, &flows.Connection{ClientID: "c", TokenURL: srv.URL + "/token"})
			ctx, cancel := context.WithCancel(context.Background())
			type result struct {
				tok *flows.Token
				err error
			}
			done := make(chan result, 1)
			go func() { tok, err := call(te.endpoint, ctx); done <- result{tok, err} }()
			<-arrived
			cancel()
			close(release)
			select {
			case r := <-done:
				if r.err != nil || r.tok == nil || r.tok.AccessToken != "new-access-token" {
					t.Fatalf("token %v, err %v: want the answer that was on its way", r.tok, r.err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("call did not end")
			}
		})
	}
}

func TestResponseTooLarge(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"`)
		chunk := strings.Repeat("a", 64<<10)
		for range 20 {
			io.WriteString(w, chunk)
		}
	})
	te := newTestEndpoint(t, &flows.Connection{Provider: flows.Aerion, ClientID: "c", ClientSecret: secret.New("secret-value"), TokenURL: srv.URL})
	_, err := te.Password(context.Background(), "u", "password-value")
	if err == nil || !strings.Contains(err.Error(), "response too large") {
		t.Fatalf("err = %v", err)
	}
}

// TestErrorEchoRedacted: a server answering 500 with the whole request
// (headers and body) leaks nothing into the error or the log.
func TestErrorEchoRedacted(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request, body []byte) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(500)
		// The body first: the excerpt is cut short, and the cut must not
		// be what hides the secrets.
		w.Write(body)
		io.WriteString(w, " ")
		r.Header.Write(w)
	}
	secrets := []string{"client-secret:%+ 42", "user-password-42", "refresh-token-42", "auth-code-42", "pkce-verifier-42-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}
	for _, auth := range []flows.ClientAuth{flows.ClientAuthBasic, flows.ClientAuthBody} {
		srv := newRecorder(t, echo)
		conn := &flows.Connection{Provider: flows.OAuth2, ClientID: "client-id", ClientSecret: secret.New(secrets[0]), ClientAuth: auth, TokenURL: srv.URL}
		te := newTestEndpoint(t, conn)
		var errs []error
		_, err := te.ClientCredentials(context.Background())
		errs = append(errs, err)
		_, err = te.Refresh(context.Background(), secrets[2])
		errs = append(errs, err)
		_, err = te.ExchangeCode(context.Background(), srv.URL, secrets[3], "http://127.0.0.1:1234/cb", secrets[4], "")
		errs = append(errs, err)
		conn2 := *conn
		conn2.Provider = flows.Aerion
		_, err = newTestEndpoint(t, &conn2).Password(context.Background(), "me", secrets[1])
		errs = append(errs, err)
		conn3 := *conn
		conn3.Provider = flows.Amino
		te3 := newTestEndpoint(t, &conn3)
		_, err = te3.Password(context.Background(), "me", secrets[1])
		errs = append(errs, err)
		for _, err := range errs {
			if err == nil {
				t.Fatal("no error from an echoing 500")
			}
			if !strings.Contains(err.Error(), "HTTP 500") {
				t.Errorf("error %q does not name the status", err)
			}
			assertNoSecrets(t, "error", err.Error(), secrets...)
			for _, sec := range secrets {
				assertNoSecrets(t, "error", err.Error(), secretForms("client-id", sec)...)
			}
			if !strings.Contains(err.Error(), redact.Placeholder) {
				t.Errorf("error %q shows no redaction: is the echo in it?", err)
			}
			checkOneLine(t, err.Error())
		}
		assertNoSecrets(t, "log", te.logBuf.String(), secrets...)
	}
}

// TestDebugLogNoSecrets: the debug log names method, URL without query,
// status and latency, and never a secret.
func TestDebugLogNoSecrets(t *testing.T) {
	srv := newRecorder(t, answer(200, `{"access_token":"sentinel-access-token","refresh_token":"sentinel-refresh-token","token_type":"bearer","expires_in":60}`))
	te := newTestEndpoint(t, &flows.Connection{Provider: flows.OAuth2, ClientID: "cid", ClientSecret: secret.New("sentinel-client-secret"), TokenURL: srv.URL + "/token?tenant=sentinel-query", CheckURL: srv.URL + "/me"})
	ctx := context.Background()
	if _, err := te.ClientCredentials(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := te.Refresh(ctx, "sentinel-old-refresh"); err != nil {
		t.Fatal(err)
	}
	if _, err := te.Check(ctx, &flows.Token{AccessToken: "sentinel-access-token"}); err != nil {
		t.Fatal(err)
	}
	out := te.logBuf.String()
	assertNoSecrets(t, "log", out, "sentinel")
	for _, want := range []string{"method=POST", "status=200", "latency=", "/token", "method=GET", "/me"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := map[string]time.Duration{
		"":                              0,
		"2":                             2 * time.Second,
		"-1":                            0,
		"86400":                         maxRetryAfter,
		"Thu, 01 Jan 2026 00:00:10 GMT": 10 * time.Second,
		"Thu, 01 Jan 2027 00:00:10 GMT": maxRetryAfter,
		"Wed, 31 Dec 2025 00:00:10 GMT": 0,
		"soon":                          0,
	}
	for in, want := range tests {
		if got := retryAfter(in, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

// hangup closes the connection without an answer.
func hangup(w http.ResponseWriter, _ *http.Request, _ []byte) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

// TestRetries: only idempotent calls retry on 5xx/429/no answer (at most 3
// attempts, with backoff through the fake sleep, Retry-After honoured and
// capped); refresh retries once and only on no answer; password and code
// exchange never.
func TestRetries(t *testing.T) {
	type call func(e *endpoint) error
	cc := func(e *endpoint) error { _, err := e.ClientCredentials(context.Background()); return err }
	pw := func(e *endpoint) error { _, err := e.Password(context.Background(), "u", "password-value"); return err }
	code := func(e *endpoint) error {
		_, err := e.ExchangeCode(context.Background(), e.conn.TokenURL, "code-value", "http://127.0.0.1/cb", "", "")
		return err
	}
	rf := func(e *endpoint) error { _, err := e.Refresh(context.Background(), "refresh-value"); return err }
	chk := func(e *endpoint) error {
		ck, err := e.Check(context.Background(), &flows.Token{AccessToken: "access-value"})
		if err == nil && !ck.OK() {
			return errors.New(ck.Err)
		}
		return err
	}
	seq := func(handlers ...func(http.ResponseWriter, *http.Request, []byte)) func(http.ResponseWriter, *http.Request, []byte) {
		var mu sync.Mutex
		i := 0
		return func(w http.ResponseWriter, r *http.Request, b []byte) {
			mu.Lock()
			h := handlers[min(i, len(handlers)-1)]
			i++
			mu.Unlock()
			h(w, r, b)
		}
	}
	busy := func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(429)
	}
	slowDown := func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(503)
	}
	ok := answer(200, okToken)
	tests := map[string]struct {
		call     call
		handler  func(http.ResponseWriter, *http.Request, []byte)
		requests int
		sleeps   []time.Duration
		err      string
		signIn   bool
	}{
		"cc 500 then ok":                    {cc, seq(answer(500, `{"error":"server_error"}`), ok), 2, []time.Duration{time.Second}, "", false},
		"cc 429 retry-after":                {cc, seq(busy, ok), 2, []time.Duration{7 * time.Second}, "", false},
		"cc retry-after past the deadline":  {cc, seq(slowDown, ok), 1, nil, "HTTP 503", false},
		"cc hangup then ok":                 {cc, seq(hangup, ok), 2, []time.Duration{time.Second}, "", false},
		"cc 500 three times":                {cc, answer(502, `{"error":"server_error","error_description":"down"}`), 3, []time.Duration{time.Second, 2 * time.Second}, "server_error: down", false},
		"cc 400 not retried":                {cc, answer(400, `{"error":"invalid_client"}`), 1, nil, "invalid_client", false},
		"check 503 then ok":                 {chk, seq(answer(503, ``), answer(200, `{}`)), 2, []time.Duration{time.Second}, "", false},
		"password 500 once":                 {pw, answer(500, `{"error":"server_error"}`), 1, nil, "server_error", false},
		"password hangup once":              {pw, hangup, 1, nil, "no answer", false},
		"code 503 once":                     {code, answer(503, ``), 1, nil, "HTTP 503", false},
		"code hangup once":                  {code, hangup, 1, nil, "no answer", false},
		"refresh 500 once":                  {rf, answer(500, `{"error":"server_error"}`), 1, nil, "server_error", false},
		"refresh invalid_grant once":        {rf, answer(400, `{"error":"invalid_grant","error_description":"refresh token expired"}`), 1, nil, "invalid_grant: refresh token expired", false},
		"refresh hangup then ok":            {rf, seq(hangup, ok), 2, []time.Duration{time.Second}, "", false},
		"refresh hangup twice":              {rf, hangup, 2, []time.Duration{time.Second}, "the refresh request was sent twice and never answered (connection closed before an answer); the provider may have rotated the refresh token", true},
		"refresh hangup then invalid_grant": {rf, seq(hangup, answer(400, `{"error":"invalid_grant"}`)), 2, []time.Duration{time.Second}, "invalid_grant", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newRecorder(t, tc.handler)
			te := newTestEndpoint(t, &flows.Connection{Provider: flows.OAuth2, ClientID: "c", ClientSecret: secret.New("secret-value"), TokenURL: srv.URL + "/token", CheckURL: srv.URL + "/me"})
			err := tc.call(te.endpoint)
			if n := len(srv.requests()); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
			if got := te.slept(); !equalDurations(got, tc.sleeps) {
				t.Errorf("slept %v, want %v", got, tc.sleeps)
			}
			if tc.err == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
			if errors.Is(err, flows.ErrSignInRequired) != tc.signIn {
				t.Errorf("errors.Is(ErrSignInRequired) = %v", !tc.signIn)
			}
			if strings.Contains(tc.err, "invalid_grant") && !fault.IsInvalidGrant(err) {
				t.Errorf("IsInvalidGrant false for %v", err)
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
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

// TestRefreshTimeoutTwice: a server that never answers a refresh gets two
// requests, each bounded by the call deadline, then ErrSignInRequired.
func TestRefreshTimeoutTwice(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	te := newTestEndpoint(t, &flows.Connection{Provider: flows.OAuth2, ClientID: "c", TokenURL: srv.URL})
	te.timeout = 100 * time.Millisecond
	_, err := te.Refresh(context.Background(), "refresh-value")
	if !errors.Is(err, flows.ErrSignInRequired) || !strings.Contains(err.Error(), "sent twice and never answered (timed out)") {
		t.Fatalf("err = %v", err)
	}
	if n := len(srv.requests()); n != 2 {
		t.Errorf("%d requests", n)
	}
}

func TestExpand(t *testing.T) {
	tests := map[string]struct {
		sub, url, want, err string
	}{
		"plain":       {"", "https://a.example/token", "https://a.example/token", ""},
		"subdomain":   {"acme", "https://{subdomain}.aha.io/oauth/token", "https://acme.aha.io/oauth/token", ""},
		"missing":     {"", "https://{subdomain}.aha.io/oauth/token", "", "needs a subdomain"},
		"host escape": {"evil.com/x", "https://{subdomain}.aha.io/oauth/token", "", "not a valid host name label"},
		"userinfo":    {"a@evil", "https://{subdomain}.aha.io/", "", "not a valid host name label"},
		"empty url":   {"acme", "", "", "token_url is not set"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := &endpoint{conn: &flows.Connection{Subdomain: tc.sub}}
			got, err := e.expand("token_url", tc.url)
			if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("expand = %q, %v", got, err)
			}
		})
	}
}

func TestClientSecretErrorNamesKey(t *testing.T) {
	srv := newRecorder(t, answer(200, okToken))
	te := newTestEndpoint(t, &flows.Connection{ClientID: "c", ClientSecret: secret.New("env:TOKENTOP_TEST_UNSET_SECRET"), TokenURL: srv.URL})
	_, err := te.ClientCredentials(context.Background())
	if err == nil || err.Error() != "client_secret: environment variable TOKENTOP_TEST_UNSET_SECRET is not set" {
		t.Fatalf("err = %v", err)
	}
	if len(srv.requests()) != 0 {
		t.Error("request sent without a secret")
	}
}

// TestSecretResolvedOnlyWhenNeeded: calls that send no client credentials
// (Amino's JSON:API, the health check) never resolve the client secret, and
// a nil logger is fine.
func TestSecretResolvedOnlyWhenNeeded(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if r.URL.Path == "/me" {
			w.WriteHeader(200)
			return
		}
		w.Header().Set("Content-Type", aminoMediaType)
		io.WriteString(w, aminoDoc(`"access_token":"amino-at","expires_at_timestamp":`+strconv.FormatInt(time.Now().Unix()+600, 10)))
	})
	c := &flows.Connection{Provider: flows.Amino, ClientSecret: secret.New("env:TOKENTOP_TEST_UNSET_SECRET"), TokenURL: srv.URL + "/api/auth/v1/access_tokens", CheckURL: srv.URL + "/me"}
	e, err := newEndpoint(c, func() time.Time { return testNow }, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Password(context.Background(), "u", "password-value"); err != nil {
		t.Fatal(err)
	}
	if ck, err := e.Check(context.Background(), &flows.Token{AccessToken: "amino-at"}); err != nil || !ck.OK() {
		t.Fatalf("check %v %v", ck, err)
	}
}

// secretForms lists the forms of s that must not show: as is, URL- and
// JSON-escaped, in a Basic pair made with id, and base64-encoded.
func secretForms(id, s string) []string {
	pair := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(s)))
	js, _ := json.Marshal(s)
	return []string{s, url.QueryEscape(s), url.PathEscape(s), string(js[1 : len(js)-1]), pair,
		base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte("x" + s))}
}
