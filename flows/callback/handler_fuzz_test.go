package callback

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func FuzzHandler(f *testing.F) {
	good := "code=" + testCode + "&state=" + testState
	for _, seed := range []struct {
		path, query string
		token       bool
	}{
		{"/callback", good, false},
		{"/callback", good + "&account_subdomain=acme", false},
		{"/callback", "access_token=" + testToken + "&state=" + testState, true},
		{"/callback", "", true},
		{"/callback", "code=<script>alert(1)</script>&state=" + testState, false},
		{"/callback", "state=" + testState + "&error=<script>x</script>&error_description=%3Cscript%3Ealert(1)%3C/script%3E", false},
		{"/callback", "state=" + testState + "&error=access_denied", true},
		{"/callback", "code=a&code=b&state=" + testState, false},
		{"/callback", "code=a%00&state=" + testState, false},
		{"/callback", "code=a&state=wrong<script>", false},
		{"/callback/../callback", good, false},
		{"/<script>", good, false},
		{"/callback", "code=a;state=" + testState, false},
	} {
		f.Add(seed.path, seed.query, seed.token)
	}
	f.Fuzz(func(t *testing.T, path, query string, token bool) {
		mode, credential := Code, "code"
		if token {
			mode, credential = Fragment, "access_token"
		}
		h := newHandler("/callback", testState, mode, Issuer{})
		req := &http.Request{
			Method: http.MethodGet,
			URL:    &url.URL{Path: path, RawQuery: query},
			Host:   "127.0.0.1:8766",
			Header: http.Header{},
			Body:   http.NoBody,
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		checkPage(t, rec, path+query)

		want := path == "/callback" && oracle(query, credential)
		delivered, ok := takeResult(h)
		if ok != want {
			t.Fatalf("accepted=%v, want %v (status %d)", ok, want, rec.Code)
		}
		if want && (rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), relayElement)) {
			t.Fatalf("accepted with status %d", rec.Code)
		}
		if !delivered && rec.Code == http.StatusOK && !strings.Contains(rec.Body.String(), relayElement) {
			t.Fatal("200 for a redirect that was not accepted")
		}
		if want {
			// The success page is fixed: it can quote nothing.
			var page bytes.Buffer
			if err := pageTemplate().Execute(&page, pageData{Message: messages[accepted]}); err != nil {
				t.Fatal(err)
			}
			if rec.Body.String() != page.String() {
				t.Fatalf("success page differs: %q", rec.Body.String())
			}
		}
	})
}

func FuzzImplicitRelay(f *testing.F) {
	good := "access_token=" + testToken + "&token_type=bearer&expires_in=3600&state=" + testState
	for _, seed := range []struct {
		body string
		pad  uint16
	}{
		{good, 0},
		{good + "&account_subdomain=acme&scope=read", 0},
		{"", 0},
		{"state=" + testState, 0},
		{"access_token=<script>alert(1)</script>&state=" + testState, 0},
		{"error=%3Cscript%3E&error_description=<script>x</script>&state=" + testState, 0},
		{"error=access_denied&state=" + testState, 0},
		{good + "&access_token=x", 0},
		{good + "&state=" + testState, 0},
		{"access_token=a%00&state=" + testState, 0},
		{good, maxBody - uint16(len(good)) - 5}, // exactly at the limit
		{good, maxBody},                         // over it
	} {
		f.Add(seed.body, seed.pad)
	}
	// pad makes large bodies without large inputs: minimizing a 16 KiB
	// string would stall the fuzzer for its whole run.
	f.Fuzz(func(t *testing.T, body string, pad uint16) {
		if pad > 0 {
			body += "&pad=" + strings.Repeat("x", int(pad))
		}
		h := newHandler("/callback", testState, Fragment, Issuer{})
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8766/callback", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		checkPage(t, rec, body)

		want := len(body) <= maxBody && oracle(body, "access_token")
		if _, ok := takeResult(h); ok != want {
			t.Fatalf("accepted=%v, want %v (status %d)", ok, want, rec.Code)
		}
		if (rec.Code == http.StatusOK) != want {
			t.Fatalf("status %d for accepted=%v", rec.Code, want)
		}
		if len(body) > maxBody && rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d for a %d-byte body", rec.Code, len(body))
		}
		// The relay's answer is one of the listener's own sentences.
		got := strings.TrimSuffix(rec.Body.String(), "\n")
		known := got == "Request too large."
		for _, m := range messages {
			known = known || got == m
		}
		if !known || strings.ContainsAny(got, "<>") {
			t.Fatalf("unexpected relay answer %q", got)
		}
	})
}
