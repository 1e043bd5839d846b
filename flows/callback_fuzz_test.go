package flows

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// cbOracle says, independently of the handler, what a redirect's parameters
// must amount to: accepted only with one non-empty credential (code or
// access_token), exactly this state, no error, no repeated parameter and no
// control character.
func cbOracle(raw, credential string) (accepted bool) {
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
	return vals.Get("state") == cbTestState && !vals.Has("error") && vals.Get(credential) != ""
}

// cbTakeResult returns whether the handler delivered a success.
func cbTakeResult(h *callbackHandler) (delivered, ok bool) {
	select {
	case r := <-h.result:
		return true, r.err == nil
	default:
		return false, false
	}
}

// cbRelayElement is the one script a page may hold: the relay page's own.
var cbRelayElement = "<script>" + cbRelayScript + "</script>"

// cbCheckPage checks what every answer must be: never a redirect, no script
// but the relay's, none of the request's secrets.
func cbCheckPage(t *testing.T, rec *httptest.ResponseRecorder, input string) {
	t.Helper()
	if rec.Code >= 300 && rec.Code < 400 || rec.Header().Get("Location") != "" {
		t.Fatalf("a redirect: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	for _, h := range []string{"Content-Security-Policy", "Referrer-Policy", "Cache-Control", "X-Frame-Options", "X-Content-Type-Options"} {
		if rec.Header().Get(h) == "" {
			t.Fatalf("no %s header", h)
		}
	}
	body := strings.Replace(rec.Body.String(), cbRelayElement, "", 1)
	if strings.Contains(strings.ToLower(body), "<script") {
		t.Fatalf("a script from the input reached the page: %q", body)
	}
	if strings.Contains(body, cbTestState) && !strings.Contains(input, "error") {
		t.Fatalf("the state is on the page: %q", body)
	}
}

func FuzzCallbackHandler(f *testing.F) {
	good := "code=" + cbTestCode + "&state=" + cbTestState
	for _, seed := range []struct {
		path, query string
		token       bool
	}{
		{"/callback", good, false},
		{"/callback", good + "&account_subdomain=acme", false},
		{"/callback", "access_token=" + cbTestToken + "&state=" + cbTestState, true},
		{"/callback", "", true},
		{"/callback", "code=<script>alert(1)</script>&state=" + cbTestState, false},
		{"/callback", "state=" + cbTestState + "&error=<script>x</script>&error_description=%3Cscript%3Ealert(1)%3C/script%3E", false},
		{"/callback", "state=" + cbTestState + "&error=access_denied", true},
		{"/callback", "code=a&code=b&state=" + cbTestState, false},
		{"/callback", "code=a%00&state=" + cbTestState, false},
		{"/callback", "code=a&state=wrong<script>", false},
		{"/callback/../callback", good, false},
		{"/<script>", good, false},
		{"/callback", "code=a;state=" + cbTestState, false},
	} {
		f.Add(seed.path, seed.query, seed.token)
	}
	f.Fuzz(func(t *testing.T, path, query string, token bool) {
		mode, credential := callbackCode, "code"
		if token {
			mode, credential = callbackToken, "access_token"
		}
		h := newCallbackHandler("/callback", cbTestState, mode)
		req := &http.Request{
			Method: http.MethodGet,
			URL:    &url.URL{Path: path, RawQuery: query},
			Host:   "127.0.0.1:8766",
			Header: http.Header{},
			Body:   http.NoBody,
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		cbCheckPage(t, rec, path+query)

		want := path == "/callback" && cbOracle(query, credential)
		delivered, ok := cbTakeResult(h)
		if ok != want {
			t.Fatalf("accepted=%v, want %v (status %d)", ok, want, rec.Code)
		}
		if want && (rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), cbRelayElement)) {
			t.Fatalf("accepted with status %d", rec.Code)
		}
		if !delivered && rec.Code == http.StatusOK && !strings.Contains(rec.Body.String(), cbRelayElement) {
			t.Fatal("200 for a redirect that was not accepted")
		}
		if want {
			// The success page is fixed: it can quote nothing.
			var page bytes.Buffer
			if err := cbPageTemplate().Execute(&page, cbPageData{Message: cbMessages[cbAccepted]}); err != nil {
				t.Fatal(err)
			}
			if rec.Body.String() != page.String() {
				t.Fatalf("success page differs: %q", rec.Body.String())
			}
		}
	})
}

func FuzzImplicitRelay(f *testing.F) {
	good := "access_token=" + cbTestToken + "&token_type=bearer&expires_in=3600&state=" + cbTestState
	for _, seed := range []struct {
		body string
		pad  uint16
	}{
		{good, 0},
		{good + "&account_subdomain=acme&scope=read", 0},
		{"", 0},
		{"state=" + cbTestState, 0},
		{"access_token=<script>alert(1)</script>&state=" + cbTestState, 0},
		{"error=%3Cscript%3E&error_description=<script>x</script>&state=" + cbTestState, 0},
		{"error=access_denied&state=" + cbTestState, 0},
		{good + "&access_token=x", 0},
		{good + "&state=" + cbTestState, 0},
		{"access_token=a%00&state=" + cbTestState, 0},
		{good, cbMaxBody - uint16(len(good)) - 5}, // exactly at the limit
		{good, cbMaxBody}, // over it
	} {
		f.Add(seed.body, seed.pad)
	}
	// pad makes large bodies without large inputs: minimizing a 16 KiB
	// string would stall the fuzzer for its whole run.
	f.Fuzz(func(t *testing.T, body string, pad uint16) {
		if pad > 0 {
			body += "&pad=" + strings.Repeat("x", int(pad))
		}
		h := newCallbackHandler("/callback", cbTestState, callbackToken)
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8766/callback", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		cbCheckPage(t, rec, body)

		want := len(body) <= cbMaxBody && cbOracle(body, "access_token")
		if _, ok := cbTakeResult(h); ok != want {
			t.Fatalf("accepted=%v, want %v (status %d)", ok, want, rec.Code)
		}
		if (rec.Code == http.StatusOK) != want {
			t.Fatalf("status %d for accepted=%v", rec.Code, want)
		}
		if len(body) > cbMaxBody && rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d for a %d-byte body", rec.Code, len(body))
		}
		// The relay's answer is one of the listener's own sentences.
		got := strings.TrimSuffix(rec.Body.String(), "\n")
		known := got == "Request too large."
		for _, m := range cbMessages {
			known = known || got == m
		}
		if !known || strings.ContainsAny(got, "<>") {
			t.Fatalf("unexpected relay answer %q", got)
		}
	})
}
