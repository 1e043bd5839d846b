package flows_test

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"tokentop/flows"
	"tokentop/flows/callback"
	"tokentop/flows/providertest"
)

// browserAttempt runs a browser sign-in with the fake browser and returns
// what Wait and the browser got, without failing on either.
func (e *env) browserAttempt(name string) (*flows.Token, error, error) {
	e.t.Helper()
	p, err := e.svc.BeginLogin(e.ctx, name)
	if err != nil {
		e.t.Fatalf("begin: %v", err)
	}
	b, ok := p.(flows.BrowserSignIn)
	if !ok {
		e.t.Fatalf("sign-in %T, want a browser sign-in", p)
	}
	browsed := make(chan error, 1)
	go func() { browsed <- providertest.Browse(e.ctx, b.URL()) }()
	tok, err := p.Wait(e.ctx)
	return tok, err, <-browsed
}

// wire is the method and path of every request the OAuth 2.0 fake saw, and
// the grant of each token request.
func wire(e *env) []string {
	var out []string
	for _, r := range e.fake.Requests(providertest.OAuth2) {
		s := strings.TrimPrefix(r.Path, "/oauth2")
		if r.Grant != "" {
			s += " " + r.Grant
		}
		out = append(out, s)
	}
	return out
}

// TestMixUpDefence is RFC 9207 end to end against the OAuth 2.0 fake: the
// authorization response's iss must be the connection's issuer (which
// discovery confirmed), and a response from another issuer, or without iss
// from a server that announces it, ends the sign-in before any token
// request.
func TestMixUpDefence(t *testing.T) {
	// The id_token of the openid scope is verified with the issuer's JWKS.
	signedIn := []string{"/.well-known/openid-configuration", "/authorize", "/token authorization_code", "/jwks"}
	refused := []string{"/.well-known/openid-configuration", "/authorize"}
	tests := map[string]struct {
		opts    providertest.Options
		iss     []string // IssNext values
		err     string   // after "idp: "; {ISSUER} is the fake's issuer
		missing bool
		wire    []string
	}{
		"right iss": {wire: signedIn},
		"wrong iss": {
			iss:  []string{"https://evil.example"},
			err:  `sign-in refused: the authorization response came from issuer "https://evil.example", not "{ISSUER}" (RFC 9207 mix-up defence)`,
			wire: refused,
		},
		"issuer with a trailing slash": {
			iss:  []string{"{ISSUER}/"},
			err:  `sign-in refused: the authorization response came from issuer "{ISSUER}/", not "{ISSUER}" (RFC 9207 mix-up defence)`,
			wire: refused,
		},
		"missing iss, announced": {
			iss:     []string{""},
			err:     `sign-in refused: the authorization response names no issuer, but "{ISSUER}" announces the iss parameter (RFC 9207 mix-up defence)`,
			missing: true,
			wire:    refused,
		},
		"no iss, not announced": {opts: providertest.Options{OAuth2WithoutIss: true}, wire: signedIn},
		"wrong iss, not announced": {
			opts: providertest.Options{OAuth2WithoutIss: true},
			iss:  []string{"https://evil.example"},
			err:  `sign-in refused: the authorization response came from issuer "https://evil.example", not "{ISSUER}" (RFC 9207 mix-up defence)`,
			wire: refused,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, tc.opts, idpConf+`flow = "authorization_code"`)
			issuer := e.fake.URL + "/oauth2"
			for _, v := range tc.iss {
				e.fake.IssNext(1, strings.ReplaceAll(v, "{ISSUER}", issuer))
			}
			tok, err, browseErr := e.browserAttempt("idp")
			if got := wire(e); !slices.Equal(got, tc.wire) {
				t.Errorf("requests %q, want %q", got, tc.wire)
			}
			if tc.err == "" {
				if err != nil || browseErr != nil {
					t.Fatalf("sign-in: %v; browser failed: %v", err, browseErr != nil)
				}
				if r := e.lastRequest(providertest.OAuth2, "authorization_code"); r.Form.Get("code") == "" || r.Form.Get("code_verifier") == "" {
					t.Fatalf("token request %v", r.Form)
				}
				if st := e.state("idp"); st.Token == nil || st.Token.AccessToken != tok.AccessToken {
					t.Fatal("the token was not saved")
				}
				return
			}
			want := "idp: " + strings.ReplaceAll(tc.err, "{ISSUER}", issuer)
			if err == nil || err.Error() != want {
				t.Fatalf("sign-in error\n %v\nwant\n %s", err, want)
			}
			var ie *callback.IssuerError
			if !errors.As(err, &ie) || ie.Missing != tc.missing {
				t.Fatalf("error %T does not wrap an *IssuerError (missing %v)", err, tc.missing)
			}
			if tok != nil {
				t.Fatal("a token despite the refusal")
			}
			if n := e.fake.Count(providertest.OAuth2, ""); n != 0 {
				t.Fatalf("%d token requests after a refused response, want 0", n)
			}
			// The browser is answered 400 (the page's words are
			// package callback's test). Browse's error quotes the
			// redirect, code and state: it is not printed.
			if browseErr == nil || !strings.Contains(browseErr.Error(), "/callback?") || !strings.Contains(browseErr.Error(), "answered 400 Bad Request") {
				t.Fatal("the browser was not answered 400 by the listener")
			}
			if st := e.state("idp"); st.Token != nil {
				t.Fatal("a token was saved")
			}
		})
	}
}

// TestMixUpPaste: a pasted redirect URL from another issuer is refused the
// same way, and Paste says so.
func TestMixUpPaste(t *testing.T) {
	e := newEnv(t, providertest.Options{}, idpConf+`flow = "authorization_code"`)
	p, err := e.svc.BeginLogin(e.ctx, "idp")
	if err != nil {
		t.Fatal(err)
	}
	b := p.(flows.BrowserSignIn)
	au, err := url.Parse(b.URL())
	if err != nil {
		t.Fatal(err)
	}
	q := au.Query()
	pasted := q.Get("redirect_uri") + "?" + url.Values{"code": {"evil-code"}, "state": {q.Get("state")}, "iss": {"https://evil.example"}}.Encode()
	want := `idp: sign-in refused: the authorization response came from issuer "https://evil.example", not "` + e.fake.URL + `/oauth2" (RFC 9207 mix-up defence)`
	if err := b.Paste(pasted); err == nil || err.Error() != want {
		t.Fatalf("Paste = %v\nwant %s", err, want)
	}
	if _, err := p.Wait(e.ctx); err == nil || err.Error() != want {
		t.Fatalf("Wait = %v\nwant %s", err, want)
	}
	if n := e.fake.Count(providertest.OAuth2, ""); n != 0 {
		t.Fatalf("%d token requests, want 0", n)
	}
}
