package callback

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestHeaders checks the security headers on every kind of answer,
// and that none is a redirect.
func TestHeaders(t *testing.T) {
	code := start(t, Code)
	tok := start(t, Fragment)
	answers := map[string]func() response{
		"state mismatch": func() response { return get(t, redirectURL(code, "code=a&state=b")) },
		"not found":      func() response { return get(t, "http://"+hostport(code)+"/nope") },
		"method":         func() response { return post(t, redirectURL(code, ""), "text/plain", "x") },
		"relay page":     func() response { return get(t, redirectURL(tok, "")) },
		"relay refused":  func() response { return post(t, redirectURL(tok, ""), "application/x-www-form-urlencoded", "state=x") },
		"too large": func() response {
			return post(t, redirectURL(tok, ""), "application/x-www-form-urlencoded", strings.Repeat("a", maxBody+1))
		},
		"wrong type": func() response { return post(t, redirectURL(tok, ""), "application/json", "{}") },
		"success":    func() response { return get(t, redirectURL(code, "code=a&state="+testState)) },
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
			"Content-Security-Policy": csp,
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

// TestPageSelfContained checks that the relay page loads nothing from
// anywhere and that its inline script and style are exactly those the CSP
// allows, and nothing else inline is.
func TestPageSelfContained(t *testing.T) {
	s := start(t, Fragment)
	r := get(t, redirectURL(s, ""))
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
		if !strings.Contains(relayScript, want) {
			t.Errorf("relay script lacks %s", want)
		}
	}
}
