package flows_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/providertest"
)

// idpCodeConf is the OAuth 2.0 fake as an OpenID Connect provider: the
// openid scope, the authorization code flow.
const idpCodeConf = idpConf + `flow = "authorization_code"` + "\n"

// TestIDTokenVerified: a sign-in with openid sends a fresh 256-bit nonce
// (OIDC Core §3.1.2.1); the id_token the fake returns with it is verified
// with the JWKS of the discovery document, and its claims are kept as
// verified, never the raw id_token.
func TestIDTokenVerified(t *testing.T) {
	e := newEnv(t, providertest.Options{}, idpCodeConf)
	tok := e.signInBrowser("idp")
	want := []string{"/.well-known/openid-configuration", "/authorize", "/token authorization_code", "/jwks"}
	if got := wire(e); !slices.Equal(got, want) {
		t.Fatalf("requests %q, want %q", got, want)
	}
	issuer := e.fake.URL + "/oauth2"
	claims := map[string]string{}
	for k, v := range tok.Extra {
		if name, ok := strings.CutPrefix(k, flows.IDClaimPrefix); ok {
			claims[name] = v
		}
	}
	exp := e.clock.Now().Add(providertest.IDTokenLifetime).UTC().Format(time.RFC3339)
	wantClaims := map[string]string{
		"iss": issuer, "sub": "dev@idp.example", "aud": providertest.OAuth2PublicClientID, "exp": exp,
		"auth_time": e.clock.Now().UTC().Format(time.RFC3339),
		"email":     "dev@idp.example", "name": "Dev Eloper", "preferred_username": "dev@idp.example",
	}
	if len(claims) != len(wantClaims) {
		t.Errorf("claims %q, want %q", claims, wantClaims)
	}
	for k, v := range wantClaims {
		if claims[k] != v {
			t.Errorf("claim %s = %q, want %q", k, claims[k], v)
		}
	}
	st := e.state("idp")
	if st.Token == nil || st.Token.Extra[flows.IDClaimPrefix+"sub"] != "dev@idp.example" {
		t.Fatalf("the verified claims were not saved: %v", st.Token.Extra)
	}
	for k, v := range st.Token.Extra {
		if strings.Count(v, ".") == 2 && len(v) > 100 {
			t.Errorf("Extra[%s] looks like a raw JWT", k)
		}
	}

	// The nonce: on the authorize request, 43 base64url characters (256
	// bits), new for every sign-in.
	e.signInBrowser("idp")
	var nonces []string
	for _, r := range e.fake.Requests(providertest.OAuth2) {
		if r.Path == "/oauth2/authorize" {
			nonces = append(nonces, r.Query.Get("nonce"))
		}
	}
	if len(nonces) != 2 || len(nonces[0]) != 43 || strings.Trim(nonces[0], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" || nonces[0] == nonces[1] {
		t.Fatalf("nonces %q: want two different 43-character base64url values", nonces)
	}
	// The second sign-in's JWKS came from the cache.
	if n := e.fake.JWKSRequests(); n != 1 {
		t.Fatalf("%d JWKS requests for two sign-ins, want 1 (cached)", n)
	}
}

// TestIDTokenNoNonceWithoutOpenID: without the openid scope there is no
// nonce and no id_token.
func TestIDTokenNoNonceWithoutOpenID(t *testing.T) {
	e := newEnv(t, providertest.Options{}, strings.Replace(idpCodeConf, `"openid", `, "", 1))
	tok := e.signInBrowser("idp")
	for _, r := range e.fake.Requests(providertest.OAuth2) {
		if r.Path == "/oauth2/authorize" && r.Query.Has("nonce") {
			t.Fatalf("nonce sent without openid: %q", r.Query)
		}
	}
	if tok.Extra[flows.IDClaimPrefix+"sub"] != "" || e.fake.JWKSRequests() != 0 {
		t.Fatalf("id claims %v, %d JWKS requests", tok.Extra, e.fake.JWKSRequests())
	}
}

// TestIDTokenRefused: every wrong id_token ends the sign-in with one line
// naming the connection and the check that failed; nothing is saved, and
// the tokens of the discarded answer are revoked (RFC 7009), refresh token
// first.
func TestIDTokenRefused(t *testing.T) {
	withKeys := []string{"/.well-known/openid-configuration", "/authorize", "/token authorization_code", "/jwks", "/revoke", "/revoke"}
	withoutKeys := []string{"/.well-known/openid-configuration", "/authorize", "/token authorization_code", "/revoke", "/revoke"}
	tests := map[providertest.IDTokenFault]struct {
		err  string
		wire []string
	}{
		providertest.IDWrongNonce:   {"id_token nonce does not match", withKeys},
		providertest.IDNoNonce:      {"id_token has no nonce", withKeys},
		providertest.IDWrongAud:     {"id_token aud does not name the client", withKeys},
		providertest.IDSeveralAud:   {"id_token azp is not the client", withKeys},
		providertest.IDWrongIss:     {"id_token iss is not the connection's issuer", withKeys},
		providertest.IDExpired:      {"id_token has expired", withKeys},
		providertest.IDFutureIat:    {"id_token iat is in the future", withKeys},
		providertest.IDBadSignature: {"id_token signature is not valid", withKeys},
		providertest.IDUnknownKid: {`id_token key kid "bogus-kid" is not in the issuer's JWKS`,
			append(withKeys[:4:4], "/jwks", "/revoke", "/revoke")},
		providertest.IDAlgNone: {"id_token is unsigned (alg none)", withoutKeys},
		providertest.IDHS256:   {"id_token is signed with HS256, a shared-secret algorithm, and no client_secret is configured", withoutKeys},
	}
	for fault, tc := range tests {
		t.Run(string(fault), func(t *testing.T) {
			e := newEnv(t, providertest.Options{}, idpCodeConf)
			e.fake.IDTokenNext(1, fault)
			tok, err, browseErr := e.browserAttempt("idp")
			if browseErr != nil {
				t.Fatalf("browser: %v", browseErr)
			}
			want := "idp: sign-in refused: " + tc.err
			if err == nil || err.Error() != want {
				t.Fatalf("sign-in error\n %v\nwant\n %s", err, want)
			}
			if tok != nil {
				t.Fatal("a token despite the refusal")
			}
			if got := wire(e); !slices.Equal(got, tc.wire) {
				t.Errorf("requests %q, want %q", got, tc.wire)
			}
			st := e.state("idp")
			if st.Token != nil {
				t.Fatal("a token was saved")
			}
			if !strings.Contains(st.LastError, tc.err) {
				t.Errorf("last error %q", st.LastError)
			}
			revokes := 0
			for _, r := range e.fake.Requests(providertest.OAuth2) {
				if r.Path == "/oauth2/revoke" {
					hint := []string{"refresh_token", "access_token"}[revokes]
					if r.Form.Get("token_type_hint") != hint || r.Form.Get("token") == "" {
						t.Errorf("revocation %d: %q", revokes, r.Form.Get("token_type_hint"))
					}
					revokes++
				}
			}
			// The revoked refresh token no longer works at the fake.
			if revokes != 2 {
				t.Fatalf("%d revocations, want 2", revokes)
			}
		})
	}
}

// TestIDTokenKeyRotation: a token signed with a key the cached JWKS does
// not have makes one refetch, which finds a rotated key; a bogus kid makes
// at most one refetch per oidc.MinRefetch, however many tokens carry it.
func TestIDTokenKeyRotation(t *testing.T) {
	e := newEnv(t, providertest.Options{}, idpCodeConf)
	e.signInBrowser("idp")
	e.fake.RotateIDKey()
	e.signInBrowser("idp")
	if n := e.fake.JWKSRequests(); n != 2 {
		t.Fatalf("%d JWKS requests after a rotation, want 2", n)
	}
	e.fake.IDTokenNext(3, providertest.IDUnknownKid)
	for i := range 3 {
		if _, err, _ := e.browserAttempt("idp"); err == nil || !strings.Contains(err.Error(), `kid "bogus-kid" is not in the issuer's JWKS`) {
			t.Fatalf("bogus kid %d: %v", i, err)
		}
		if i == 1 {
			e.clock.Advance(59 * time.Second)
		}
	}
	if n := e.fake.JWKSRequests(); n != 2 {
		t.Fatalf("%d JWKS requests after three bogus kids within a minute of the last refetch, want still 2", n)
	}
	e.clock.Advance(2 * time.Second)
	e.fake.IDTokenNext(1, providertest.IDUnknownKid)
	e.browserAttempt("idp")
	if n := e.fake.JWKSRequests(); n != 3 {
		t.Fatalf("%d JWKS requests a minute later, want 3", n)
	}
}

// TestIDTokenOnRefresh: a renewal's new id_token is verified too, without a
// nonce (OIDC Core §12.2), and must name the sign-in's subject; a wrong one
// discards the answer and asks for a sign-in.
func TestIDTokenOnRefresh(t *testing.T) {
	t.Run("verified", func(t *testing.T) {
		e := newEnv(t, providertest.Options{}, idpCodeConf)
		e.signInBrowser("idp")
		e.clock.Advance(2 * time.Hour)
		tok, err := e.svc.Token(e.ctx, "idp", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		exp := e.clock.Now().Add(providertest.IDTokenLifetime).UTC().Format(time.RFC3339)
		if got := tok.Extra[flows.IDClaimPrefix+"exp"]; got != exp {
			t.Fatalf("id exp after the renewal %q, want the new token's %q", got, exp)
		}
	})
	for fault, want := range map[providertest.IDTokenFault]string{
		providertest.IDOtherSub:     "idp: renewal refused: the new id_token's sub is not the sign-in's: sign-in required",
		providertest.IDBadSignature: "idp: renewal refused: id_token signature is not valid",
		providertest.IDWrongAud:     "idp: renewal refused: id_token aud does not name the client",
	} {
		t.Run(string(fault), func(t *testing.T) {
			e := newEnv(t, providertest.Options{}, idpCodeConf)
			first := e.signInBrowser("idp")
			e.clock.Advance(2 * time.Hour)
			e.fake.IDTokenNext(1, fault)
			_, err := e.svc.Token(e.ctx, "idp", time.Minute)
			if err == nil || err.Error() != want {
				t.Fatalf("renewal error\n %v\nwant\n %s", err, want)
			}
			if fault == providertest.IDOtherSub && !errors.Is(err, flows.ErrSignInRequired) {
				t.Fatal("another subject does not ask for a sign-in")
			}
			// The discarded answer's tokens are revoked, refresh token first.
			var revoked []string
			for _, r := range e.fake.Requests(providertest.OAuth2) {
				if r.Path == "/oauth2/revoke" {
					revoked = append(revoked, r.Form.Get("token_type_hint"))
				}
			}
			if !slices.Equal(revoked, []string{"refresh_token", "access_token"}) {
				t.Fatalf("revoked %q, want the refresh then the access token", revoked)
			}
			if st := e.state("idp"); st.Token == nil || st.Token.AccessToken != first.AccessToken {
				t.Fatal("the refused renewal's token was saved")
			}
		})
	}
}
