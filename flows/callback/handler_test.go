package callback

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
)

// TestReplayRefused checks that the state is single-use even before
// the listener closes: a second redirect with it is refused and not delivered.
func TestReplayRefused(t *testing.T) {
	h := newHandler("/callback", testState, Code, Issuer{})
	target := "/callback?" + url.Values{"code": {testCode}, "state": {testState}}.Encode()
	for i, want := range []int{http.StatusOK, http.StatusBadRequest} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Host = "127.0.0.1:8766"
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Fatalf("request %d: status %d, want %d", i, rec.Code, want)
		}
	}
	<-h.results
	assertNoResult(t, h)
	s := start(t, Code)
	get(t, redirectURL(s, "code=x&state="+testState))
	if err := s.Paste(redirectURL(s, "code=y&state="+testState)); err == nil || err.Error() != "this sign-in already finished" {
		t.Fatalf("Paste of a replay = %v", err)
	}
}

// TestStrayRequests sends requests that are not this sign-in's
// redirect: each is refused, none ends the sign-in, and the right redirect
// still works afterwards.
func TestStrayRequests(t *testing.T) {
	tests := map[string]struct {
		method, path, query string
		host                string
		status              int
		text                string
	}{
		"wrong state":     {query: "code=" + testCode + "&state=other", status: 400, text: "(state mismatch)"},
		"missing state":   {query: "code=" + testCode, status: 400, text: "(state mismatch)"},
		"empty state":     {query: "code=" + testCode + "&state=", status: 400, text: "(state mismatch)"},
		"no query":        {status: 400, text: "(state mismatch)"},
		"state prefix":    {query: "code=x&state=" + testState[:20], status: 400, text: "(state mismatch)"},
		"error no state":  {query: "error=access_denied", status: 400, text: "(state mismatch)"},
		"two codes":       {query: "code=a&code=b&state=" + testState, status: 400, text: "(malformed parameters)"},
		"two states":      {query: "code=a&state=" + testState + "&state=" + testState, status: 400, text: "(malformed parameters)"},
		"NUL in code":     {query: "code=a%00b&state=" + testState, status: 400, text: "(malformed parameters)"},
		"newline in code": {query: "code=a%0Ab&state=" + testState, status: 400, text: "(malformed parameters)"},
		"ESC in state":    {query: "code=a&state=%1B" + testState, status: 400, text: "(malformed parameters)"},
		"C1 control":      {query: "code=a%C2%85&state=" + testState, status: 400, text: "(malformed parameters)"},
		"invalid UTF-8":   {query: "code=a%FF&state=" + testState, status: 400, text: "(malformed parameters)"},
		"bad escape":      {query: "code=a%zz&state=" + testState, status: 400, text: "(malformed parameters)"},
		"semicolon":       {query: "code=a;state=" + testState, status: 400, text: "(malformed parameters)"},
		"other path":      {path: "/other", query: "code=a&state=" + testState, status: 404, text: "Not found."},
		"path prefix":     {path: "/callback/x", query: "code=a&state=" + testState, status: 404, text: "Not found."},
		"root":            {path: "/", status: 404, text: "Not found."},
		"favicon":         {path: "/favicon.ico", status: 404, text: "Not found."},
		"POST":            {method: http.MethodPost, query: "code=a&state=" + testState, status: 405, text: "Method not allowed."},
		"HEAD":            {method: http.MethodHead, query: "code=a&state=" + testState, status: 405},
		"foreign Host":    {host: "evil.example:80", query: "code=a&state=" + testState, status: 421, text: "Not found."},
	}
	s := start(t, Code)
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
			r := do(t, req)
			if r.status != tc.status || !strings.Contains(r.body, tc.text) {
				t.Fatalf("got %d %q, want %d with %q", r.status, r.body, tc.status, tc.text)
			}
			assertNoSecrets(t, "page", r.body)
			assertNoResult(t, s.handler)
		})
	}
	r := get(t, redirectURL(s, "code="+testCode+"&state="+testState))
	if r.status != http.StatusOK {
		t.Fatalf("the real redirect after stray ones: %d %q", r.status, r.body)
	}
	if vals, err := waitNow(t, s); err != nil || vals.Get("code") != testCode {
		t.Fatalf("Wait = %v, %v", vals, err)
	}
}

// TestProviderErrors covers redirects that carry the state and end
// the sign-in without a code (RFC 6749 §4.1.2.1).
func TestProviderErrors(t *testing.T) {
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
			is:      errNoCode,
			errText: "authorization failed: the redirect has no code",
			page:    "holds no code or token",
		},
		"empty code": {
			query:   url.Values{"code": {""}},
			is:      errNoCode,
			errText: "authorization failed: the redirect has no code",
			page:    "holds no code or token",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			base := runtime.NumGoroutine()
			s, err := Listen("", testState, Code, Issuer{})
			if err != nil {
				t.Fatal(err)
			}
			tc.query.Set("state", testState)
			r := get(t, redirectURL(s, tc.query.Encode()))
			if r.status != http.StatusBadRequest || !strings.Contains(r.body, tc.page) {
				t.Fatalf("page %d %q, want %q", r.status, r.body, tc.page)
			}
			if strings.Contains(r.body, "<script>") {
				t.Fatalf("provider text not escaped: %q", r.body)
			}
			vals, err := waitNow(t, s)
			if err == nil || vals != nil {
				t.Fatalf("Wait = %v, %v; want an error", vals, err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("Wait error %v is not %v", err, tc.is)
			}
			if err.Error() != tc.errText {
				t.Fatalf("Wait error %q, want %q", err, tc.errText)
			}
			assertNoSecrets(t, "error", err.Error())
			assertRefused(t, hostport(s))
			assertGoroutines(t, base)
		})
	}
}

// TestImplicitRelay follows the relay: GET the page, POST the
// fragment to the same path.
func TestImplicitRelay(t *testing.T) {
	base := runtime.NumGoroutine()
	s, err := Listen("", testState, Fragment, Issuer{})
	if err != nil {
		t.Fatal(err)
	}
	page := get(t, redirectURL(s, ""))
	if page.status != http.StatusOK || !strings.Contains(page.body, "<script>") {
		t.Fatalf("relay page: %d %q", page.status, page.body)
	}
	fragment := "access_token=" + testToken + "&token_type=bearer&expires_in=3600&scope=read+write&state=" + testState + "&account_subdomain=acme"
	r := post(t, redirectURL(s, ""), "application/x-www-form-urlencoded", fragment)
	if r.status != http.StatusOK || strings.TrimSpace(r.body) != "Signed in. You can close this tab and return to tokentop." {
		t.Fatalf("relay: %d %q", r.status, r.body)
	}
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("relay answer type %q", r.header.Get("Content-Type"))
	}
	vals, err := waitNow(t, s)
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"access_token": {testToken}, "token_type": {"bearer"}, "expires_in": {"3600"}, "scope": {"read write"}, "state": {testState}, "account_subdomain": {"acme"}}
	if fmt.Sprint(vals) != fmt.Sprint(want) {
		t.Fatalf("Wait = %v, want %v", vals, want)
	}
	assertRefused(t, hostport(s))
	assertGoroutines(t, base)
}

// TestImplicitRefused sends relayed bodies that must not end the
// sign-in.
func TestImplicitRefused(t *testing.T) {
	good := "access_token=" + testToken + "&token_type=bearer&state=" + testState
	tests := map[string]struct {
		contentType, body, query, origin string
		status                           int
	}{
		"wrong state":       {body: "access_token=" + testToken + "&state=x", status: 400},
		"no state":          {body: "access_token=" + testToken, status: 400},
		"empty body":        {body: "", status: 400},
		"two tokens":        {body: good + "&access_token=other", status: 400},
		"two states":        {body: good + "&state=" + testState, status: 400},
		"NUL in token":      {body: "access_token=a%00b&state=" + testState, status: 400},
		"too large":         {body: good + "&pad=" + strings.Repeat("x", maxBody), status: 413},
		"text/plain":        {contentType: "text/plain", body: good, status: 415},
		"no content type":   {contentType: "-", body: good, status: 415},
		"query on the POST": {body: good, query: "x=1", status: 400},
		"foreign origin":    {body: good, origin: "https://evil.example", status: 403},
		"null origin":       {body: good, origin: "null", status: 403},
	}
	s := start(t, Fragment)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, redirectURL(s, tc.query), strings.NewReader(tc.body))
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
			r := do(t, req)
			if r.status != tc.status {
				t.Fatalf("got %d %q, want %d", r.status, r.body, tc.status)
			}
			assertNoSecrets(t, "relay answer", r.body)
			assertNoResult(t, s.handler)
		})
	}
	// Our own page's origin is welcome.
	req, _ := http.NewRequest(http.MethodPost, redirectURL(s, ""), strings.NewReader(good))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	req.Header.Set("Origin", "http://"+hostport(s))
	if r := do(t, req); r.status != http.StatusOK {
		t.Fatalf("the real relay after refused ones: %d %q", r.status, r.body)
	}
	if vals, err := waitNow(t, s); err != nil || vals.Get("access_token") != testToken {
		t.Fatalf("Wait = %v, %v", vals, err)
	}
}

// TestImplicitErrors: error=… and a missing token, relayed with the
// right state, end the sign-in like in code mode (RFC 6749 §4.2.2.1).
func TestImplicitErrors(t *testing.T) {
	tests := map[string]struct {
		body string
		is   error
		text string
	}{
		"denied":   {body: "error=access_denied&state=" + testState, is: ErrAccessDenied, text: "Sign-in failed: you declined access."},
		"no token": {body: "token_type=bearer&state=" + testState, is: errNoToken, text: "holds no code or token"},
		"other":    {body: "error=unsupported_response_type&error_description=%3Cscript%3E&state=" + testState, text: "Sign-in failed: the provider reported an error."},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := start(t, Fragment)
			r := post(t, redirectURL(s, ""), "application/x-www-form-urlencoded", tc.body)
			if r.status != http.StatusBadRequest || !strings.Contains(r.body, tc.text) || strings.Contains(r.body, "<") {
				t.Fatalf("relay answer %d %q", r.status, r.body)
			}
			_, err := waitNow(t, s)
			if err == nil || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Fatalf("Wait error %v, want %v", err, tc.is)
			}
			if tc.is == nil && err.Error() != "authorization failed: unsupported_response_type: <script>" {
				t.Fatalf("Wait error %q", err)
			}
		})
	}
}

// TestImplicitQuery: Aha!'s document speaks of an access_token
// "parameter", so a token in the query is accepted with the same checks.
func TestImplicitQuery(t *testing.T) {
	s := start(t, Fragment)
	if r := get(t, redirectURL(s, "access_token="+testToken+"&state=wrong")); r.status != http.StatusBadRequest {
		t.Fatalf("wrong state: %d", r.status)
	}
	// A query without a token (say a subdomain beside a fragment) gets the
	// relay page.
	if r := get(t, redirectURL(s, "account_subdomain=acme")); r.status != http.StatusOK || !strings.Contains(r.body, "<script>") {
		t.Fatalf("query without token: %d %q", r.status, r.body)
	}
	assertNoResult(t, s.handler)
	r := get(t, redirectURL(s, "access_token="+testToken+"&state="+testState))
	if r.status != http.StatusOK || strings.Contains(r.body, "<script>") {
		t.Fatalf("token in query: %d %q", r.status, r.body)
	}
	assertNoSecrets(t, "page", r.body)
	if vals, err := waitNow(t, s); err != nil || vals.Get("access_token") != testToken {
		t.Fatalf("Wait = %v, %v", vals, err)
	}
}

// TestConcurrentRedirects: many copies of the right redirect at once
// (a double click, a replay racing the original): exactly one is accepted.
func TestConcurrentRedirects(t *testing.T) {
	s := start(t, Code)
	const n = 16
	statuses := make(chan int, n)
	start := make(chan struct{})
	for range n {
		go func() {
			<-start
			res, err := client().Get(redirectURL(s, "code="+testCode+"&state="+testState))
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
	if vals, err := waitNow(t, s); err != nil || vals.Get("code") != testCode {
		t.Fatalf("Wait = %v, %v", vals, err)
	}
}
