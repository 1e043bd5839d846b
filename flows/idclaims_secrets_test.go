package flows_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"tokentop/flows"
	"tokentop/flows/providertest"
	"tokentop/flows/redact"
)

// TestIDClaimsQuotingTokensAreHidden: a provider whose verified id_token
// names the access token, the refresh token or the client secret in the
// claims tokentop keeps (sub, name, email, preferred_username) does not
// put them on the detail pane: the claims go through the redactor like
// every other text from the provider.
func TestIDClaimsQuotingTokensAreHidden(t *testing.T) {
	e, issuer := claimsEnv(t, "k1")
	tok, err := e.svc.Token(e.ctx, "claims", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	st := e.state("claims")
	if st.Token == nil || st.Token.Extra[flows.IDClaimPrefix+"iss"] != issuer {
		t.Fatalf("the id_token was not verified and kept: %v", st.Token)
	}
	if got := st.Token.Extra[flows.IDClaimPrefix+"name"]; got != "the "+redact.Placeholder {
		t.Errorf("name claim kept as %q, want it redacted", got)
	}
	for _, extra := range []map[string]string{tok.Extra, st.Token.Extra} {
		for k, v := range extra {
			for _, s := range claimsSecrets {
				if strings.Contains(v, s) {
					t.Errorf("Extra[%s] = %q holds a secret", k, v)
				}
			}
		}
	}
}

// TestIDTokenRefusalQuotingATokenIsHidden: an id_token whose kid is the
// access token of its own answer is refused with an error that does not
// show it, neither the one returned nor the one stored.
func TestIDTokenRefusalQuotingATokenIsHidden(t *testing.T) {
	e, _ := claimsEnv(t, claimsAccess)
	_, err := e.svc.Token(e.ctx, "claims", time.Minute)
	if err == nil || !strings.Contains(err.Error(), "is not in the issuer's JWKS") {
		t.Fatalf("error %v, want the unknown kid refused", err)
	}
	st := e.state("claims")
	for what, s := range map[string]string{"error": err.Error(), "LastError": st.LastError} {
		for _, sec := range claimsSecrets {
			if strings.Contains(s, sec) {
				t.Errorf("%s %q holds a secret", what, s)
			}
		}
	}
}

const (
	claimsAccess  = "SENTINEL-claims-access-token-1"
	claimsRefresh = "SENTINEL-claims-refresh-token-1"
	claimsSecret  = "SENTINEL-claims-client-secret-1"
)

var claimsSecrets = []string{claimsAccess, claimsRefresh, claimsSecret}

// claimsEnv is a client-credentials connection to an OpenID provider of
// its own whose token answers carry an id_token, signed with a key its JWKS
// publishes as "k1" but naming kid, whose claims quote the answer's tokens
// and the client secret. It returns the issuer URL too.
func claimsEnv(t *testing.T, kid string) (*env, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	var clk *clock // the env's, set below before any request
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "token_endpoint": srv.URL + "/token", "jwks_uri": srv.URL + "/jwks"})
		case "/jwks":
			json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
		case "/token":
			now := clk.Now()
			claims := map[string]any{"iss": srv.URL, "aud": "c", "sub": "user " + claimsRefresh, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
				"name": "the " + claimsAccess, "email": claimsSecret + "@idp.example", "preferred_username": claimsAccess}
			idt, err := jwt.Signed(signer).Claims(claims).Serialize()
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"access_token": claimsAccess, "refresh_token": claimsRefresh, "token_type": "Bearer", "expires_in": 3600, "id_token": idt})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	e := newEnv(t, providertest.Options{}, strings.ReplaceAll(`
[connections.claims]
provider = "oauth2"
flow = "client_credentials"
issuer = "{ISSUER}"
client_id = "c"
client_secret = "`+claimsSecret+`"
scopes = ["openid"]
`, "{ISSUER}", srv.URL))
	clk = e.clock
	return e, srv.URL
}
