package callback

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzIssuer feeds redirects with any iss, against any issuer, through the
// handler: a redirect is delivered exactly when the parameters are good
// (oracle) and the iss passes RFC 9207 §2.4 as issOracle reads it; one
// refused for its iss ends the sign-in with an *IssuerError that is one
// printable, bounded line; and no answer quotes the request.
func FuzzIssuer(f *testing.F) {
	good := "code=" + testCode + "&state=" + testState
	for _, seed := range []struct {
		params, issuer string
		required, frag bool
	}{
		{good + "&iss=https%3A%2F%2Fidp.example", testIssuer, true, false},
		{good + "&iss=https%3A%2F%2Fevil", testIssuer, true, false},
		{good, testIssuer, true, false},
		{good, testIssuer, false, false},
		{good + "&iss=https%3A%2F%2Fidp.example%2F", testIssuer, false, false},
		{good + "&iss=", testIssuer, false, false},
		{good + "&iss=a&iss=a", "a", false, false},
		{good + "&iss=%E2%80%AE%1B%5B2J", testIssuer, false, false},
		{good + "&iss=https%3A%2F%2Fevil", "", true, false},
		{"error=access_denied&state=" + testState + "&iss=https%3A%2F%2Fevil", testIssuer, false, false},
		{"access_token=" + testToken + "&state=" + testState + "&iss=https%3A%2F%2Fidp.example", testIssuer, true, true},
		{"access_token=" + testToken + "&state=" + testState, testIssuer, true, true},
	} {
		f.Add(seed.params, seed.issuer, seed.required, seed.frag)
	}
	f.Fuzz(func(t *testing.T, params, issuer string, required, frag bool) {
		mode, credential := Code, "code"
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8766/callback", nil)
		if frag {
			mode, credential = Fragment, "access_token"
			req = httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8766/callback", strings.NewReader(params))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req.URL.RawQuery = params
		}
		h := newHandler("/callback", testState, mode, Issuer{ID: issuer, Required: required})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		checkPage(t, rec, params)

		// A good redirect from another issuer is refused; an error
		// redirect from another issuer is refused as well.
		goodParams := oracle(params, credential) && (!frag || len(params) <= maxBody)
		vals, _ := url.ParseQuery(params)
		issOK := issOracle(vals, issuer, required)
		want := goodParams && issOK
		var r outcome
		var delivered bool
		select {
		case r = <-h.results:
			delivered = true
		default:
		}
		if got := delivered && r.err == nil; got != want {
			t.Fatalf("accepted=%v, want %v (status %d, err %v)", got, want, rec.Code, r.err)
		}
		var ie *IssuerError
		if errors.As(r.err, &ie) {
			if issOK {
				t.Fatalf("refused for its issuer, which passes: %v", r.err)
			}
			msg := r.err.Error()
			if !utf8.ValidString(msg) || strings.ContainsFunc(msg, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) {
				t.Fatalf("unprintable error %q", msg)
			}
			if n := utf8.RuneCountInString(ie.Got); n > maxIssuerShown+1 {
				t.Fatalf("error quotes %d characters of the iss", n)
			}
			// It quotes the iss, and nothing else of the request.
			for _, secret := range []string{testState, testCode, testToken} {
				if strings.Contains(msg, secret) && !strings.Contains(vals.Get("iss"), secret) {
					t.Fatalf("the error quotes a secret: %q", msg)
				}
			}
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status %d for a refused issuer", rec.Code)
			}
		}
	})
}

// issOracle says, apart from Issuer.check, whether a redirect's iss passes
// RFC 9207 §2.4.
func issOracle(vals url.Values, issuer string, required bool) bool {
	if issuer == "" {
		return true
	}
	if vs, ok := vals["iss"]; ok {
		return len(vs) == 1 && vs[0] == issuer
	}
	return !required
}
