package callback

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

const testIssuer = "https://idp.example"

// TestIssuerCheck is RFC 9207 §2.4 on the parameters alone: simple string
// comparison, no normalisation, a missing iss refused only when the metadata
// promises it, and nothing checked without an issuer.
func TestIssuerCheck(t *testing.T) {
	tests := map[string]struct {
		iss     Issuer
		query   string
		wantErr string
	}{
		"right":                        {Issuer{ID: testIssuer, Required: true}, "iss=https%3A%2F%2Fidp.example", ""},
		"right, not announced":         {Issuer{ID: testIssuer}, "iss=https%3A%2F%2Fidp.example", ""},
		"missing, not announced":       {Issuer{ID: testIssuer}, "", ""},
		"no issuer known":              {Issuer{}, "iss=https%3A%2F%2Fevil", ""},
		"no issuer, no iss":            {Issuer{}, "", ""},
		"wrong":                        {Issuer{ID: testIssuer, Required: true}, "iss=https%3A%2F%2Fevil", `sign-in refused: the authorization response came from issuer "https://evil", not "https://idp.example" (RFC 9207 mix-up defence)`},
		"wrong, not announced":         {Issuer{ID: testIssuer}, "iss=https%3A%2F%2Fevil", `sign-in refused: the authorization response came from issuer "https://evil", not "https://idp.example" (RFC 9207 mix-up defence)`},
		"trailing slash":               {Issuer{ID: testIssuer}, "iss=https%3A%2F%2Fidp.example%2F", `sign-in refused: the authorization response came from issuer "https://idp.example/", not "https://idp.example" (RFC 9207 mix-up defence)`},
		"upper-case host":              {Issuer{ID: testIssuer}, "iss=https%3A%2F%2FIDP.example", `sign-in refused: the authorization response came from issuer "https://IDP.example", not "https://idp.example" (RFC 9207 mix-up defence)`},
		"empty":                        {Issuer{ID: testIssuer}, "iss=", `sign-in refused: the authorization response came from issuer "", not "https://idp.example" (RFC 9207 mix-up defence)`},
		"still percent-encoded":        {Issuer{ID: testIssuer}, "iss=https%253A%252F%252Fidp.example", `sign-in refused: the authorization response came from issuer "https%3A%2F%2Fidp.example", not "https://idp.example" (RFC 9207 mix-up defence)`},
		"missing, announced":           {Issuer{ID: testIssuer, Required: true}, "", `sign-in refused: the authorization response names no issuer, but "https://idp.example" announces the iss parameter (RFC 9207 mix-up defence)`},
		"other parameter":              {Issuer{ID: testIssuer, Required: true}, "issuer=https%3A%2F%2Fidp.example", `sign-in refused: the authorization response names no issuer, but "https://idp.example" announces the iss parameter (RFC 9207 mix-up defence)`},
		"long iss is cut":              {Issuer{ID: testIssuer}, "iss=" + strings.Repeat("a", 300), `sign-in refused: the authorization response came from issuer "` + strings.Repeat("a", maxIssuerShown) + `…", not "https://idp.example" (RFC 9207 mix-up defence)`},
		"unprintable iss is made safe": {Issuer{ID: testIssuer}, "iss=%E2%80%AEevil", `sign-in refused: the authorization response came from issuer "evil", not "https://idp.example" (RFC 9207 mix-up defence)`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			vals, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			ie := tc.iss.check(vals)
			switch {
			case tc.wantErr == "" && ie != nil:
				t.Fatalf("refused: %v", ie)
			case tc.wantErr != "" && ie == nil:
				t.Fatal("accepted")
			case tc.wantErr != "" && ie.Error() != tc.wantErr:
				t.Fatalf("error\n %s\nwant\n %s", ie, tc.wantErr)
			}
		})
	}
}

// TestIssuerRefusesRedirect: a redirect with the right state and the wrong
// (or a missing, required) iss ends the sign-in, in both modes, with an
// *IssuerError and no parameters; the browser is told why in the listener's
// own words, which quote nothing.
func TestIssuerRefusesRedirect(t *testing.T) {
	iss := Issuer{ID: testIssuer, Required: true}
	tests := map[string]struct {
		mode    Mode
		params  string
		missing bool
	}{
		"code, wrong":        {Code, "code=" + testCode + "&state=" + testState + "&iss=https%3A%2F%2Fevil", false},
		"code, missing":      {Code, "code=" + testCode + "&state=" + testState, true},
		"error, wrong":       {Code, "error=access_denied&state=" + testState + "&iss=https%3A%2F%2Fevil", false},
		"fragment, wrong":    {Fragment, "access_token=" + testToken + "&token_type=bearer&state=" + testState + "&iss=https%3A%2F%2Fevil", false},
		"fragment, missing":  {Fragment, "access_token=" + testToken + "&token_type=bearer&state=" + testState, true},
		"fragment, in query": {Fragment, "access_token=" + testToken + "&state=" + testState + "&iss=https%3A%2F%2Fevil", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := newHandler("/callback", testState, tc.mode, iss)
			var req *http.Request
			if tc.mode == Fragment && !strings.HasSuffix(name, "in query") {
				req = httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8766/callback", strings.NewReader(tc.params))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			} else {
				req = httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8766/callback?"+tc.params, nil)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), messages[wrongIssuer]) {
				t.Fatalf("answer %d %q, want 400 with %q", rec.Code, rec.Body.String(), messages[wrongIssuer])
			}
			assertNoSecrets(t, "the answer", rec.Body.String())
			if strings.Contains(rec.Body.String(), "evil") {
				t.Fatalf("the answer quotes the iss: %q", rec.Body.String())
			}
			r := <-h.results
			var ie *IssuerError
			if !errors.As(r.err, &ie) || ie.Missing != tc.missing || r.vals != nil {
				t.Fatalf("Wait would return %v, %v; want an *IssuerError (missing %v) and no values", r.vals, r.err, tc.missing)
			}
			assertNoSecrets(t, "the error", r.err.Error())
			// The state is spent: the right redirect cannot follow.
			again := "code=x"
			if tc.mode == Fragment {
				again = "access_token=x"
			}
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8766/callback?"+again+"&state="+testState+"&iss=https%3A%2F%2Fidp.example", nil))
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("a second redirect: %d", rec.Code)
			}
			assertNoResult(t, h)
		})
	}
}

// TestIssuerAccepted: the right iss, or none from a server that does not
// announce it, delivers the redirect with iss among its values.
func TestIssuerAccepted(t *testing.T) {
	for _, tc := range []struct {
		iss   Issuer
		query string
	}{
		{Issuer{ID: testIssuer, Required: true}, "code=" + testCode + "&state=" + testState + "&iss=https%3A%2F%2Fidp.example"},
		{Issuer{ID: testIssuer}, "code=" + testCode + "&state=" + testState},
		{Issuer{}, "code=" + testCode + "&state=" + testState + "&iss=https%3A%2F%2Fanother.example"},
	} {
		h := newHandler("/callback", testState, Code, tc.iss)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8766/callback?"+tc.query, nil))
		r := <-h.results
		if rec.Code != http.StatusOK || r.err != nil || r.vals.Get("code") != testCode {
			t.Fatalf("%+v %s: %d, %v", tc.iss, tc.query, rec.Code, r.err)
		}
	}
}

// TestIssuerPaste: a pasted redirect URL goes through the same check, and
// Paste returns what Wait does.
func TestIssuerPaste(t *testing.T) {
	s, err := Listen("", testState, Code, Issuer{ID: testIssuer, Required: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	err = s.Paste(redirectURL(s, "code="+testCode+"&state="+testState+"&iss=https%3A%2F%2Fevil"))
	want := `sign-in refused: the authorization response came from issuer "https://evil", not "https://idp.example" (RFC 9207 mix-up defence)`
	if err == nil || err.Error() != want {
		t.Fatalf("Paste = %v, want %s", err, want)
	}
	if v, err := waitNow(t, s); v != nil || err == nil || err.Error() != want {
		t.Fatalf("Wait = %v, %v; want %s", v, err, want)
	}
}
