package flows

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Distinctive values, so a test can tell if one of them leaks into a page or
// an error.
const (
	cbTestState = "STATE-5f0c1e2d9a8b7c6d5e4f3a2b1c0d9e8f"
	cbTestCode  = "CODE-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	cbTestToken = "TOKEN-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
)

// cbClient never follows a redirect, so a 3xx would show, and keeps no idle
// connection, so goroutine counts settle.
func cbClient() *http.Client {
	return &http.Client{
		Transport:     &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
}

type cbResp struct {
	status int
	header http.Header
	body   string
}

func cbDo(t *testing.T, req *http.Request) cbResp {
	t.Helper()
	res, err := cbClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return cbResp{status: res.StatusCode, header: res.Header, body: string(b)}
}

func cbGet(t *testing.T, u string) cbResp {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cbDo(t, req)
}

func cbPost(t *testing.T, u, contentType, body string) cbResp {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return cbDo(t, req)
}

func cbStart(t *testing.T, mode callbackMode) *callbackServer {
	t.Helper()
	s, err := listenCallback("test", "", cbTestState, mode)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// cbNoResult fails if a redirect was handed to Wait.
func cbNoResult(t *testing.T, h *callbackHandler) {
	t.Helper()
	select {
	case r := <-h.result:
		t.Fatalf("a redirect ended the sign-in: %v", r.err)
	default:
	}
}

// cbWaitNow calls Wait on a server that already has its result.
func cbWaitNow(t *testing.T, s *callbackServer) (url.Values, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Wait(ctx)
}

// cbAssertRefused checks that nothing listens at addr any more.
func cbAssertRefused(t *testing.T, addr string) {
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

// cbAssertGoroutines waits, bounded, for the goroutine count to come back to
// base.
func cbAssertGoroutines(t *testing.T, base int) {
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

func cbAddr(s *callbackServer) string { return s.redirect.Host }

func cbURL(s *callbackServer, query string) string {
	u := s.RedirectURI()
	if query != "" {
		u += "?" + query
	}
	return u
}

func cbAssertNoSecrets(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range []string{cbTestState, cbTestCode, cbTestToken} {
		if strings.Contains(s, secret) {
			t.Fatalf("%s quotes a secret: %q", what, s)
		}
	}
}

func TestCallbackCodeAccepted(t *testing.T) {
	base := runtime.NumGoroutine()
	s := cbStart(t, callbackCode)
	if !strings.HasPrefix(s.RedirectURI(), "http://127.0.0.1:") || !strings.HasSuffix(s.RedirectURI(), "/callback") {
		t.Fatalf("RedirectURI() = %q, want http://127.0.0.1:<port>/callback", s.RedirectURI())
	}
	q := url.Values{"code": {cbTestCode}, "state": {cbTestState}, "account_subdomain": {"acme"}}
	r := cbGet(t, cbURL(s, q.Encode()))
	if r.status != http.StatusOK || !strings.Contains(r.body, "Signed in. You can close this tab and return to tokentop.") {
		t.Fatalf("got %d %q", r.status, r.body)
	}
	cbAssertNoSecrets(t, "success page", r.body)

	vals, err := cbWaitNow(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if vals.Get("code") != cbTestCode || vals.Get("state") != cbTestState || vals.Get("account_subdomain") != "acme" {
		t.Fatalf("Wait = %v", vals)
	}
	// The listener is gone: a replay cannot even connect.
	cbAssertRefused(t, cbAddr(s))
	cbAssertGoroutines(t, base)
}

// TestCallbackReplayRefused checks that the state is single-use even before
// the listener closes: a second redirect with it is refused and not delivered.
func TestCallbackReplayRefused(t *testing.T) {
	h := newCallbackHandler("/callback", cbTestState, callbackCode)
	target := "/callback?" + url.Values{"code": {cbTestCode}, "state": {cbTestState}}.Encode()
	for i, want := range []int{http.StatusOK, http.StatusBadRequest} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Host = "127.0.0.1:8766"
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Fatalf("request %d: status %d, want %d", i, rec.Code, want)
		}
	}
	<-h.result
	cbNoResult(t, h)
	s := cbStart(t, callbackCode)
	cbGet(t, cbURL(s, "code=x&state="+cbTestState))
	if err := s.Paste(cbURL(s, "code=y&state="+cbTestState)); err == nil || err.Error() != "this sign-in already finished" {
		t.Fatalf("Paste of a replay = %v", err)
	}
}

// TestCallbackStrayRequests sends requests that are not this sign-in's
// redirect: each is refused, none ends the sign-in, and the right redirect
// still works afterwards.
func TestCallbackStrayRequests(t *testing.T) {
	tests := map[string]struct {
		method, path, query string
		host                string
		status              int
		text                string
	}{
		"wrong state":     {query: "code=" + cbTestCode + "&state=other", status: 400, text: "(state mismatch)"},
		"missing state":   {query: "code=" + cbTestCode, status: 400, text: "(state mismatch)"},
		"empty state":     {query: "code=" + cbTestCode + "&state=", status: 400, text: "(state mismatch)"},
		"no query":        {status: 400, text: "(state mismatch)"},
		"state prefix":    {query: "code=x&state=" + cbTestState[:20], status: 400, text: "(state mismatch)"},
		"error no state":  {query: "error=access_denied", status: 400, text: "(state mismatch)"},
		"two codes":       {query: "code=a&code=b&state=" + cbTestState, status: 400, text: "(malformed parameters)"},
		"two states":      {query: "code=a&state=" + cbTestState + "&state=" + cbTestState, status: 400, text: "(malformed parameters)"},
		"NUL in code":     {query: "code=a%00b&state=" + cbTestState, status: 400, text: "(malformed parameters)"},
		"newline in code": {query: "code=a%0Ab&state=" + cbTestState, status: 400, text: "(malformed parameters)"},
		"ESC in state":    {query: "code=a&state=%1B" + cbTestState, status: 400, text: "(malformed parameters)"},
		"C1 control":      {query: "code=a%C2%85&state=" + cbTestState, status: 400, text: "(malformed parameters)"},
		"invalid UTF-8":   {query: "code=a%FF&state=" + cbTestState, status: 400, text: "(malformed parameters)"},
		"bad escape":      {query: "code=a%zz&state=" + cbTestState, status: 400, text: "(malformed parameters)"},
		"semicolon":       {query: "code=a;state=" + cbTestState, status: 400, text: "(malformed parameters)"},
		"other path":      {path: "/other", query: "code=a&state=" + cbTestState, status: 404, text: "Not found."},
		"path prefix":     {path: "/callback/x", query: "code=a&state=" + cbTestState, status: 404, text: "Not found."},
		"root":            {path: "/", status: 404, text: "Not found."},
		"favicon":         {path: "/favicon.ico", status: 404, text: "Not found."},
		"POST":            {method: http.MethodPost, query: "code=a&state=" + cbTestState, status: 405, text: "Method not allowed."},
		"HEAD":            {method: http.MethodHead, query: "code=a&state=" + cbTestState, status: 405},
		"foreign Host":    {host: "evil.example:80", query: "code=a&state=" + cbTestState, status: 421, text: "Not found."},
	}
	s := cbStart(t, callbackCode)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			u := *s.redirect
			if tc.path != "" {
				u.Path = tc.path
			}
			u.RawQuery = tc.query
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			req, err := http.NewRequest(method, u.String(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.host != "" {
				req.Host = tc.host
			}
			r := cbDo(t, req)
			if r.status != tc.status || !strings.Contains(r.body, tc.text) {
				t.Fatalf("got %d %q, want %d with %q", r.status, r.body, tc.status, tc.text)
			}
			cbAssertNoSecrets(t, "page", r.body)
			cbNoResult(t, s.handler)
		})
	}
	r := cbGet(t, cbURL(s, "code="+cbTestCode+"&state="+cbTestState))
	if r.status != http.StatusOK {
		t.Fatalf("the real redirect after stray ones: %d %q", r.status, r.body)
	}
	if vals, err := cbWaitNow(t, s); err != nil || vals.Get("code") != cbTestCode {
		t.Fatalf("Wait = %v, %v", vals, err)
	}
}

// TestCallbackProviderErrors covers redirects that carry the state and end
// the sign-in without a code (RFC 6749 §4.1.2.1).
func TestCallbackProviderErrors(t *testing.T) {
	tests := map[string]struct {
		query   url.Values
		is      error
		errText string
		page    string
	}{
		"access denied": {
			query:   url.Values{"error": {"access_denied"}, "error_description": {"The user said no"}},
			is:      ErrAccessDenied,
			errText: "you declined access",
			page:    "Sign-in failed: you declined access.",
		},
		"other error, hostile description": {
			query:   url.Values{"error": {"invalid_scope"}, "error_description": {"bad <script>alert(1)</script> scope\u202e"}},
			errText: "authorization failed: invalid_scope: bad <script>alert(1)</script> scope",
			page:    "invalid_scope: bad &lt;script&gt;alert(1)&lt;/script&gt; scope",
		},
		"error without description": {
			query:   url.Values{"error": {"server_error"}},
			errText: "authorization failed: server_error",
			page:    "Sign-in failed: the provider reported an error.",
		},
		"no code": {
			query:   url.Values{"account_subdomain": {"acme"}},
			is:      errCbNoCode,
			errText: "authorization failed: the redirect has no code",
			page:    "holds no code or token",
		},
		"empty code": {
			query:   url.Values{"code": {""}},
			is:      errCbNoCode,
			errText: "authorization failed: the redirect has no code",
			page:    "holds no code or token",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			base := runtime.NumGoroutine()
			s, err := listenCallback("test", "", cbTestState, callbackCode)
			if err != nil {
				t.Fatal(err)
			}
			tc.query.Set("state", cbTestState)
			r := cbGet(t, cbURL(s, tc.query.Encode()))
			if r.status != http.StatusBadRequest || !strings.Contains(r.body, tc.page) {
				t.Fatalf("page %d %q, want %q", r.status, r.body, tc.page)
			}
			if strings.Contains(r.body, "<script>") {
				t.Fatalf("provider text not escaped: %q", r.body)
			}
			vals, err := cbWaitNow(t, s)
			if err == nil || vals != nil {
				t.Fatalf("Wait = %v, %v; want an error", vals, err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("Wait error %v is not %v", err, tc.is)
			}
			if err.Error() != tc.errText {
				t.Fatalf("Wait error %q, want %q", err, tc.errText)
			}
			cbAssertNoSecrets(t, "error", err.Error())
			cbAssertRefused(t, cbAddr(s))
			cbAssertGoroutines(t, base)
		})
	}
}

// TestCallbackHeaders checks the security headers on every kind of answer,
// and that none is a redirect.
func TestCallbackHeaders(t *testing.T) {
	code := cbStart(t, callbackCode)
	tok := cbStart(t, callbackToken)
	answers := map[string]func() cbResp{
		"state mismatch": func() cbResp { return cbGet(t, cbURL(code, "code=a&state=b")) },
		"not found":      func() cbResp { return cbGet(t, "http://"+cbAddr(code)+"/nope") },
		"method":         func() cbResp { return cbPost(t, cbURL(code, ""), "text/plain", "x") },
		"relay page":     func() cbResp { return cbGet(t, cbURL(tok, "")) },
		"relay refused":  func() cbResp { return cbPost(t, cbURL(tok, ""), "application/x-www-form-urlencoded", "state=x") },
		"too large": func() cbResp {
			return cbPost(t, cbURL(tok, ""), "application/x-www-form-urlencoded", strings.Repeat("a", cbMaxBody+1))
		},
		"wrong type": func() cbResp { return cbPost(t, cbURL(tok, ""), "application/json", "{}") },
		"success":    func() cbResp { return cbGet(t, cbURL(code, "code=a&state="+cbTestState)) },
	}
	for _, name := range []string{"state mismatch", "not found", "method", "relay page", "relay refused", "too large", "wrong type", "success"} {
		r := answers[name]()
		if r.status >= 300 && r.status < 400 {
			t.Errorf("%s: a redirect (%d)", name, r.status)
		}
		for h, want := range map[string]string{
			"Referrer-Policy":         "no-referrer",
			"Cache-Control":           "no-store",
			"X-Content-Type-Options":  "nosniff",
			"X-Frame-Options":         "DENY",
			"Content-Security-Policy": cbCSP,
		} {
			if got := r.header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", name, h, got, want)
			}
		}
		if ct := r.header.Get("Content-Type"); !strings.HasSuffix(ct, "; charset=utf-8") {
			t.Errorf("%s: Content-Type %q", name, ct)
		}
		if r.header.Get("Location") != "" {
			t.Errorf("%s: Location header", name)
		}
	}
}

// TestCallbackPageSelfContained checks that the relay page loads nothing from
// anywhere and that its inline script and style are exactly those the CSP
// allows, and nothing else inline is.
func TestCallbackPageSelfContained(t *testing.T) {
	s := cbStart(t, callbackToken)
	r := cbGet(t, cbURL(s, ""))
	if r.status != http.StatusOK {
		t.Fatalf("relay page: %d", r.status)
	}
	csp := r.header.Get("Content-Security-Policy")
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "*", "http:", "https:"} {
		if strings.Contains(csp, bad) {
			t.Errorf("CSP allows %q: %s", bad, csp)
		}
	}
	for _, re := range []*regexp.Regexp{regexp.MustCompile(`(?s)<script>(.*?)</script>`), regexp.MustCompile(`(?s)<style>(.*?)</style>`)} {
		m := re.FindAllStringSubmatch(r.body, -1)
		if len(m) != 1 {
			t.Fatalf("%d matches of %s", len(m), re)
		}
		sum := sha256.Sum256([]byte(m[0][1]))
		if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, h) {
			t.Errorf("CSP %q lacks %s", csp, h)
		}
	}
	for _, bad := range []string{"src=", "href=", "@import", "url(", "<form", "<iframe"} {
		if strings.Contains(r.body, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	// The relay protocol the fake browser follows: POST the fragment, as a
	// form body, to the same path.
	for _, want := range []string{`location.hash.substring(1)`, `"application/x-www-form-urlencoded"`, `fetch(location.pathname`, `method: "POST"`} {
		if !strings.Contains(cbRelayScript, want) {
			t.Errorf("relay script lacks %s", want)
		}
	}
}

// TestCallbackImplicitRelay follows the relay: GET the page, POST the
// fragment to the same path.
func TestCallbackImplicitRelay(t *testing.T) {
	base := runtime.NumGoroutine()
	s, err := listenCallback("test", "", cbTestState, callbackToken)
	if err != nil {
		t.Fatal(err)
	}
	page := cbGet(t, cbURL(s, ""))
	if page.status != http.StatusOK || !strings.Contains(page.body, "<script>") {
		t.Fatalf("relay page: %d %q", page.status, page.body)
	}
	fragment := "access_token=" + cbTestToken + "&token_type=bearer&expires_in=3600&scope=read+write&state=" + cbTestState + "&account_subdomain=acme"
	r := cbPost(t, cbURL(s, ""), "application/x-www-form-urlencoded", fragment)
	if r.status != http.StatusOK || strings.TrimSpace(r.body) != "Signed in. You can close this tab and return to tokentop." {
		t.Fatalf("relay: %d %q", r.status, r.body)
	}
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("relay answer type %q", r.header.Get("Content-Type"))
	}
	vals, err := cbWaitNow(t, s)
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"access_token": {cbTestToken}, "token_type": {"bearer"}, "expires_in": {"3600"}, "scope": {"read write"}, "state": {cbTestState}, "account_subdomain": {"acme"}}
	if fmt.Sprint(vals) != fmt.Sprint(want) {
		t.Fatalf("Wait = %v, want %v", vals, want)
	}
	cbAssertRefused(t, cbAddr(s))
	cbAssertGoroutines(t, base)
}

// TestCallbackImplicitRefused sends relayed bodies that must not end the
// sign-in.
func TestCallbackImplicitRefused(t *testing.T) {
	good := "access_token=" + cbTestToken + "&token_type=bearer&state=" + cbTestState
	tests := map[string]struct {
		contentType, body, query, origin string
		status                           int
	}{
		"wrong state":       {body: "access_token=" + cbTestToken + "&state=x", status: 400},
		"no state":          {body: "access_token=" + cbTestToken, status: 400},
		"empty body":        {body: "", status: 400},
		"two tokens":        {body: good + "&access_token=other", status: 400},
		"two states":        {body: good + "&state=" + cbTestState, status: 400},
		"NUL in token":      {body: "access_token=a%00b&state=" + cbTestState, status: 400},
		"too large":         {body: good + "&pad=" + strings.Repeat("x", cbMaxBody), status: 413},
		"text/plain":        {contentType: "text/plain", body: good, status: 415},
		"no content type":   {contentType: "-", body: good, status: 415},
		"query on the POST": {body: good, query: "x=1", status: 400},
		"foreign origin":    {body: good, origin: "https://evil.example", status: 403},
		"null origin":       {body: good, origin: "null", status: 403},
	}
	s := cbStart(t, callbackToken)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, cbURL(s, tc.query), strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			switch tc.contentType {
			case "":
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			case "-":
			default:
				req.Header.Set("Content-Type", tc.contentType)
			}
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			r := cbDo(t, req)
			if r.status != tc.status {
				t.Fatalf("got %d %q, want %d", r.status, r.body, tc.status)
			}
			cbAssertNoSecrets(t, "relay answer", r.body)
			cbNoResult(t, s.handler)
		})
	}
	// Our own page's origin is welcome.
	req, _ := http.NewRequest(http.MethodPost, cbURL(s, ""), strings.NewReader(good))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	req.Header.Set("Origin", "http://"+cbAddr(s))
	if r := cbDo(t, req); r.status != http.StatusOK {
		t.Fatalf("the real relay after refused ones: %d %q", r.status, r.body)
	}
	if vals, err := cbWaitNow(t, s); err != nil || vals.Get("access_token") != cbTestToken {
		t.Fatalf("Wait = %v, %v", vals, err)
	}
}

// TestCallbackImplicitErrors: error=… and a missing token, relayed with the
// right state, end the sign-in like in code mode (RFC 6749 §4.2.2.1).
func TestCallbackImplicitErrors(t *testing.T) {
	tests := map[string]struct {
		body string
		is   error
		text string
	}{
		"denied":   {body: "error=access_denied&state=" + cbTestState, is: ErrAccessDenied, text: "Sign-in failed: you declined access."},
		"no token": {body: "token_type=bearer&state=" + cbTestState, is: errCbNoToken, text: "holds no code or token"},
		"other":    {body: "error=unsupported_response_type&error_description=%3Cscript%3E&state=" + cbTestState, text: "Sign-in failed: the provider reported an error."},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := cbStart(t, callbackToken)
			r := cbPost(t, cbURL(s, ""), "application/x-www-form-urlencoded", tc.body)
			if r.status != http.StatusBadRequest || !strings.Contains(r.body, tc.text) || strings.Contains(r.body, "<") {
				t.Fatalf("relay answer %d %q", r.status, r.body)
			}
			_, err := cbWaitNow(t, s)
			if err == nil || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Fatalf("Wait error %v, want %v", err, tc.is)
			}
			if tc.is == nil && err.Error() != "authorization failed: unsupported_response_type: <script>" {
				t.Fatalf("Wait error %q", err)
			}
		})
	}
}

// TestCallbackImplicitQuery: Aha!'s document speaks of an access_token
// "parameter", so a token in the query is accepted with the same checks.
func TestCallbackImplicitQuery(t *testing.T) {
	s := cbStart(t, callbackToken)
	if r := cbGet(t, cbURL(s, "access_token="+cbTestToken+"&state=wrong")); r.status != http.StatusBadRequest {
		t.Fatalf("wrong state: %d", r.status)
	}
	// A query without a token (say a subdomain beside a fragment) gets the
	// relay page.
	if r := cbGet(t, cbURL(s, "account_subdomain=acme")); r.status != http.StatusOK || !strings.Contains(r.body, "<script>") {
		t.Fatalf("query without token: %d %q", r.status, r.body)
	}
	cbNoResult(t, s.handler)
	r := cbGet(t, cbURL(s, "access_token="+cbTestToken+"&state="+cbTestState))
	if r.status != http.StatusOK || strings.Contains(r.body, "<script>") {
		t.Fatalf("token in query: %d %q", r.status, r.body)
	}
	cbAssertNoSecrets(t, "page", r.body)
	if vals, err := cbWaitNow(t, s); err != nil || vals.Get("access_token") != cbTestToken {
		t.Fatalf("Wait = %v, %v", vals, err)
	}
}

func TestCallbackListenAddress(t *testing.T) {
	tests := map[string]struct {
		redirect string
		bindIP   string
		uri      string // RedirectURI with PORT for the bound port
	}{
		"default":       {redirect: "", bindIP: "127.0.0.1", uri: "http://127.0.0.1:PORT/callback"},
		"ipv4 no port":  {redirect: "http://127.0.0.1/cb", bindIP: "127.0.0.1", uri: "http://127.0.0.1:PORT/cb"},
		"ipv4 port 0":   {redirect: "http://127.0.0.1:0/oauth/cb", bindIP: "127.0.0.1", uri: "http://127.0.0.1:PORT/oauth/cb"},
		"localhost":     {redirect: "http://localhost/callback", bindIP: "127.0.0.1", uri: "http://localhost:PORT/callback"},
		"ipv6":          {redirect: "http://[::1]:0/callback", bindIP: "::1", uri: "http://[::1]:PORT/callback"},
		"no path":       {redirect: "http://127.0.0.1:0", bindIP: "127.0.0.1", uri: "http://127.0.0.1:PORT/"},
		"upper-case IP": {redirect: "http://LOCALHOST:0/x", bindIP: "127.0.0.1", uri: "http://LOCALHOST:PORT/x"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if tc.bindIP == "::1" {
				l, err := net.Listen("tcp", "[::1]:0")
				if err != nil {
					t.Skip("no IPv6 loopback here")
				}
				l.Close()
			}
			s, err := listenCallback("c", tc.redirect, cbTestState, callbackCode)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			addr := s.bound
			if !addr.IP.Equal(net.ParseIP(tc.bindIP)) {
				t.Fatalf("bound to %s, want %s", addr.IP, tc.bindIP)
			}
			if want := strings.Replace(tc.uri, "PORT", fmt.Sprint(addr.Port), 1); s.RedirectURI() != want {
				t.Fatalf("RedirectURI() = %q, want %q", s.RedirectURI(), want)
			}
			r := cbGet(t, s.RedirectURI()+"?code=a&state="+cbTestState)
			if r.status != http.StatusOK {
				t.Fatalf("redirect to %s: %d", s.RedirectURI(), r.status)
			}
		})
	}
}

func TestCallbackRedirectRefused(t *testing.T) {
	for _, redirect := range []string{
		"http://0.0.0.0:8766/callback",
		"http://[::]:8766/callback",
		"http://192.168.1.10:8766/callback",
		"http://example.com/callback",
		"http://localhost.evil.example/callback",
		"https://127.0.0.1:8766/callback",
		"myapp://callback",
		"http://127.0.0.1:8766/callback?x=1",
		"http://127.0.0.1:8766/callback#f",
		"http://user@127.0.0.1:8766/callback",
		"http://127.0.0.1:99999/callback",
		"127.0.0.1:8766",
		"::",
	} {
		s, err := listenCallback("c", redirect, cbTestState, callbackCode)
		if err == nil {
			s.Close()
			t.Errorf("%s: listening", redirect)
			continue
		}
		if !strings.HasSuffix(err.Error(), "(connections.c.redirect_uri)") {
			t.Errorf("%s: error %q does not name the config key", redirect, err)
		}
	}
}

func TestCallbackPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	for _, host := range []string{"127.0.0.1", "localhost"} {
		start := time.Now()
		s, err := listenCallback("aha", fmt.Sprintf("http://%s:%d/callback", host, port), cbTestState, callbackCode)
		if err == nil {
			s.Close()
			t.Fatalf("%s: listening on a taken port", host)
		}
		if want := fmt.Sprintf("127.0.0.1:%d is in use by another program (connections.aha.redirect_uri)", port); err.Error() != want {
			t.Fatalf("error %q, want %q", err, want)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("took %s to fail", d)
		}
	}
}

// cbNeedIPv6 skips a test on a machine without an IPv6 loopback.
func cbNeedIPv6(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	l.Close()
}

// TestCallbackLocalhostBothAddresses: a localhost redirect URI is listened
// on at 127.0.0.1 and at ::1 on the same port, ephemeral or fixed, so the
// redirect reaches the sign-in whichever address the browser tries (RFC
// 8252 §8.3), and Close stops both.
func TestCallbackLocalhostBothAddresses(t *testing.T) {
	cbNeedIPv6(t)
	hosts := []string{"127.0.0.1", "[::1]"}
	fixed := 0
	for _, port := range []string{"0", "fixed"} {
		for i, carrier := range hosts {
			t.Run(port+" "+carrier, func(t *testing.T) {
				redirect := "http://localhost:0/callback"
				if port == "fixed" {
					redirect = fmt.Sprintf("http://localhost:%d/callback", fixed)
				}
				s, err := listenCallback("c", redirect, cbTestState, callbackCode)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				p := s.bound.Port
				if port == "0" {
					fixed = p // free on both a moment ago: the fixed runs reuse it
				} else if p != fixed {
					t.Fatalf("listening on port %d, want %d", p, fixed)
				}
				if want := fmt.Sprintf("http://localhost:%d/callback", p); s.RedirectURI() != want {
					t.Fatalf("RedirectURI() = %q, want %q", s.RedirectURI(), want)
				}
				// The other address answers too: the sign-in's own handler,
				// which refuses a wrong state.
				other := hosts[1-i]
				if r := cbGet(t, fmt.Sprintf("http://%s:%d/callback?code=a&state=wrong", other, p)); r.status != http.StatusBadRequest || !strings.Contains(r.body, "state mismatch") {
					t.Fatalf("%s: %d %q", other, r.status, r.body)
				}
				if r := cbGet(t, fmt.Sprintf("http://%s:%d/callback?code=a&state=%s", carrier, p, cbTestState)); r.status != http.StatusOK {
					t.Fatalf("%s: %d %q", carrier, r.status, r.body)
				}
				if vals, err := cbWaitNow(t, s); err != nil || vals.Get("code") != "a" {
					t.Fatalf("Wait = %v, %v", vals, err)
				}
				for _, h := range hosts {
					cbAssertRefused(t, fmt.Sprintf("%s:%d", h, p))
				}
			})
		}
	}
}

// TestCallbackLocalhostAddressTaken: for a localhost redirect URI, another
// program on either loopback address at that port is an error that names
// the address, and the address that was free is let go again.
func TestCallbackLocalhostAddressTaken(t *testing.T) {
	cbNeedIPv6(t)
	for _, taken := range []string{"[::1]", "127.0.0.1"} {
		t.Run(taken, func(t *testing.T) {
			l, err := net.Listen("tcp", taken+":0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			port := l.Addr().(*net.TCPAddr).Port
			free := "127.0.0.1"
			if taken == free {
				free = "[::1]"
			}
			if probe, err := net.Listen("tcp", fmt.Sprintf("%s:%d", free, port)); err != nil {
				t.Skipf("%s:%d is taken by someone else too", free, port)
			} else {
				probe.Close()
			}
			s, err := listenCallback("aha", fmt.Sprintf("http://localhost:%d/callback", port), cbTestState, callbackCode)
			if err == nil {
				s.Close()
				t.Fatalf("listening although %s:%d is taken", taken, port)
			}
			if want := fmt.Sprintf("%s:%d is in use by another program (connections.aha.redirect_uri)", taken, port); err.Error() != want {
				t.Fatalf("error %q, want %q", err, want)
			}
			again, err := net.Listen("tcp", fmt.Sprintf("%s:%d", free, port))
			if err != nil {
				t.Fatalf("the failed sign-in still holds %s:%d: %v", free, port, err)
			}
			again.Close()
		})
	}
}

// TestCallbackEnds checks every way Wait ends: each closes the listener and
// leaves no goroutine behind.
func TestCallbackEnds(t *testing.T) {
	tests := map[string]struct {
		act  func(t *testing.T, s *callbackServer) context.Context
		want func(vals url.Values, err error) bool
	}{
		"success": {
			act: func(t *testing.T, s *callbackServer) context.Context {
				cbGet(t, cbURL(s, "code=a&state="+cbTestState))
				return context.Background()
			},
			want: func(v url.Values, err error) bool { return err == nil && v.Get("code") == "a" },
		},
		"provider error": {
			act: func(t *testing.T, s *callbackServer) context.Context {
				cbGet(t, cbURL(s, "error=access_denied&state="+cbTestState))
				return context.Background()
			},
			want: func(_ url.Values, err error) bool { return errors.Is(err, ErrAccessDenied) },
		},
		"timeout": {
			act: func(t *testing.T, s *callbackServer) context.Context {
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				t.Cleanup(cancel)
				return ctx
			},
			want: func(_ url.Values, err error) bool { return errors.Is(err, context.DeadlineExceeded) },
		},
		"cancel": {
			act: func(t *testing.T, s *callbackServer) context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			},
			want: func(_ url.Values, err error) bool { return errors.Is(err, context.Canceled) },
		},
		"Close during Wait": {
			act: func(t *testing.T, s *callbackServer) context.Context {
				go s.Close()
				return context.Background()
			},
			want: func(_ url.Values, err error) bool { return errors.Is(err, context.Canceled) },
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			base := runtime.NumGoroutine()
			s, err := listenCallback("test", "", cbTestState, callbackCode)
			if err != nil {
				t.Fatal(err)
			}
			ctx := tc.act(t, s)
			vals, err := s.Wait(ctx)
			if !tc.want(vals, err) {
				t.Fatalf("Wait = %v, %v", vals, err)
			}
			if err != nil {
				cbAssertNoSecrets(t, "error", err.Error())
			}
			cbAssertRefused(t, cbAddr(s))
			if err := s.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			cbAssertGoroutines(t, base)
		})
	}
}

// TestCallbackSlowClient: a client that never finishes its request is cut
// off by ReadHeaderTimeout, and cannot hold Close up either.
func TestCallbackSlowClient(t *testing.T) {
	base := runtime.NumGoroutine()
	lim := cbDefaultLimits
	lim.readHeader, lim.grace = 200*time.Millisecond, 200*time.Millisecond
	s, err := listenCallbackWith("test", "", cbTestState, callbackCode, lim)
	if err != nil {
		t.Fatal(err)
	}
	slow, err := net.Dial("tcp", cbAddr(s))
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if _, err := io.WriteString(slow, "GET /callback?state=x HTTP/1.1\r\nHost: 127.0.0.1\r\n"); err != nil {
		t.Fatal(err)
	}
	slow.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, slow); err != nil {
		t.Fatalf("the server did not cut the slow client off: %v", err)
	}

	// A second one, silent, open while Close runs.
	idle, err := net.Dial("tcp", cbAddr(s))
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	start := time.Now()
	s.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Close took %s", d)
	}
	cbAssertRefused(t, cbAddr(s))
	idle.Close()
	cbAssertGoroutines(t, base)
}

func TestCallbackLimitsSet(t *testing.T) {
	s := cbStart(t, callbackCode)
	if s.srv.ReadHeaderTimeout <= 0 || s.srv.ReadTimeout <= 0 || s.srv.WriteTimeout <= 0 || s.srv.MaxHeaderBytes <= 0 || s.srv.IdleTimeout <= 0 {
		t.Fatalf("unbounded server: %+v", s.srv)
	}
	// A request line past MaxHeaderBytes is refused before the handler.
	r := cbGet(t, cbURL(s, "state="+cbTestState+"&code="+strings.Repeat("a", 2*cbMaxHeaderBytes)))
	if r.status != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("huge request: %d", r.status)
	}
	cbNoResult(t, s.handler)
}

func TestCallbackPaste(t *testing.T) {
	s := cbStart(t, callbackCode)
	other := *s.redirect
	other.Host = "127.0.0.1:1"
	refused := map[string]string{
		"not a URL":     "%%%",
		"relative":      "/callback?code=a&state=" + cbTestState,
		"foreign host":  "http://evil.example" + s.redirect.Path + "?code=" + cbTestCode + "&state=" + cbTestState,
		"wrong port":    other.String() + "?code=" + cbTestCode + "&state=" + cbTestState,
		"wrong path":    "http://" + cbAddr(s) + "/other?code=" + cbTestCode + "&state=" + cbTestState,
		"https":         "https://" + cbAddr(s) + "/callback?code=" + cbTestCode + "&state=" + cbTestState,
		"wrong state":   cbURL(s, "code="+cbTestCode+"&state=STATE-other"),
		"no state":      cbURL(s, "code="+cbTestCode),
		"no parameters": cbURL(s, ""),
		"two codes":     cbURL(s, "code="+cbTestCode+"&code=b&state="+cbTestState),
		"NUL":           cbURL(s, "code=a%00&state="+cbTestState),
	}
	for name, raw := range refused {
		err := s.Paste(raw)
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		cbAssertNoSecrets(t, name, err.Error())
		cbNoResult(t, s.handler)
	}
	if err := s.Paste("  " + cbURL(s, "code="+cbTestCode+"&state="+cbTestState+"&account_subdomain=acme") + "\n"); err != nil {
		t.Fatal(err)
	}
	vals, err := cbWaitNow(t, s)
	if err != nil || vals.Get("code") != cbTestCode || vals.Get("account_subdomain") != "acme" {
		t.Fatalf("Wait = %v, %v", vals, err)
	}
	if err := s.Paste(cbURL(s, "code="+cbTestCode+"&state="+cbTestState)); err == nil {
		t.Fatal("Paste after the end accepted")
	}
}

func TestCallbackPasteImplicit(t *testing.T) {
	s := cbStart(t, callbackToken)
	if err := s.Paste(s.RedirectURI() + "#access_token=" + cbTestToken + "&state=wrong"); err == nil {
		t.Fatal("wrong state accepted")
	}
	if err := s.Paste(s.RedirectURI()); err == nil {
		t.Fatal("URL without fragment accepted")
	}
	cbNoResult(t, s.handler)
	if err := s.Paste(s.RedirectURI() + "#access_token=" + cbTestToken + "&token_type=bearer&state=" + cbTestState); err != nil {
		t.Fatal(err)
	}
	vals, err := cbWaitNow(t, s)
	if err != nil || vals.Get("access_token") != cbTestToken || vals.Get("token_type") != "bearer" {
		t.Fatalf("Wait = %v, %v", vals, err)
	}
}

func TestCallbackPasteDenied(t *testing.T) {
	s := cbStart(t, callbackCode)
	if err := s.Paste(cbURL(s, "error=access_denied&state="+cbTestState)); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("Paste = %v", err)
	}
	if _, err := cbWaitNow(t, s); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("Wait = %v", err)
	}
}

// TestCallbackLogsNothing: nothing the listener does reaches the standard
// logger (the dashboard's terminal), not even for garbage on the wire.
func TestCallbackLogsNothing(t *testing.T) {
	var buf bytes.Buffer
	prev := log.Writer()
	log.SetOutput(&buf)
	defer log.SetOutput(prev)
	s := cbStart(t, callbackCode)
	c, err := net.Dial("tcp", cbAddr(s))
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "\x16\x03\x01 not http at all "+cbTestCode+"\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	io.Copy(io.Discard, c)
	c.Close()
	cbGet(t, cbURL(s, "code="+cbTestCode+"&state=x"))
	cbGet(t, cbURL(s, "code="+cbTestCode+"&state="+cbTestState))
	cbWaitNow(t, s)
	if buf.Len() > 0 {
		t.Fatalf("logged: %q", buf.String())
	}
}

// TestCallbackConcurrentRedirects: many copies of the right redirect at once
// (a double click, a replay racing the original): exactly one is accepted.
func TestCallbackConcurrentRedirects(t *testing.T) {
	s := cbStart(t, callbackCode)
	const n = 16
	statuses := make(chan int, n)
	start := make(chan struct{})
	for range n {
		go func() {
			<-start
			res, err := cbClient().Get(cbURL(s, "code="+cbTestCode+"&state="+cbTestState))
			if err != nil {
				statuses <- 0
				return
			}
			res.Body.Close()
			statuses <- res.StatusCode
		}()
	}
	close(start)
	ok := 0
	for range n {
		switch st := <-statuses; st {
		case http.StatusOK:
			ok++
		case http.StatusBadRequest:
		default:
			t.Errorf("status %d", st)
		}
	}
	if ok != 1 {
		t.Fatalf("%d redirects accepted, want 1", ok)
	}
	if vals, err := cbWaitNow(t, s); err != nil || vals.Get("code") != cbTestCode {
		t.Fatalf("Wait = %v, %v", vals, err)
	}
}
