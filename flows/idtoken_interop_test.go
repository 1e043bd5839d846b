package flows_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/openid"
	fositestorage "github.com/ory/fosite/storage"
	fositejwt "github.com/ory/fosite/token/jwt"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/flows/oauth"
	"tokentop/store"
)

// fositeOIDC runs github.com/ory/fosite in-process as an OpenID Connect
// provider: compose.ComposeAllEnabled with an RSA key, the authorization
// code flow with PKCE for a public client, and the discovery document and
// JWKS that fosite leaves to its host, served here.
type fositeOIDC struct {
	*httptest.Server
	jwksRequests atomic.Int32
	nonces       chan string // the nonce of each authorization request
}

const (
	fositeOIDCClient = "tokentop-fosite"
	fositeKid        = "fosite-rsa-1"
	fositeSubject    = "peter"
)

func newFositeOIDC(t *testing.T) *fositeOIDC {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	fs := &fositeOIDC{nonces: make(chan string, 4)}
	fs.Server = httptest.NewUnstartedServer(nil)
	issuer := "http://" + fs.Listener.Addr().String()
	cfg := &fosite.Config{
		GlobalSecret:  []byte("fosite-global-secret-0123456789abcdef"),
		IDTokenIssuer: issuer,
	}
	st := fositestorage.NewMemoryStore()
	st.Clients[fositeOIDCClient] = &fosite.DefaultClient{
		ID:            fositeOIDCClient,
		Public:        true,
		RedirectURIs:  []string{"http://127.0.0.1/callback"}, // any port: RFC 8252 §7.3
		ResponseTypes: []string{"code"},
		GrantTypes:    []string{"authorization_code", "refresh_token"},
		Scopes:        []string{"openid", "offline_access"},
	}
	provider := compose.ComposeAllEnabled(cfg, st, key)
	session := func() *openid.DefaultSession {
		return &openid.DefaultSession{
			Claims:  &fositejwt.IDTokenClaims{Subject: fositeSubject, Issuer: issuer, AuthTime: time.Now().UTC(), RequestedAt: time.Now().UTC()},
			Headers: &fositejwt.Headers{Extra: map[string]any{"kid": fositeKid}},
			Subject: fositeSubject,
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeTestJSON(w, map[string]any{
			"issuer": issuer, "authorization_endpoint": issuer + "/authorize", "token_endpoint": issuer + "/token",
			"jwks_uri": issuer + "/jwks", "response_types_supported": []string{"code"},
			"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		fs.jwksRequests.Add(1)
		writeTestJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: fositeKid, Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ar, err := provider.NewAuthorizeRequest(ctx, r)
		if err != nil {
			provider.WriteAuthorizeError(ctx, w, ar, err)
			return
		}
		fs.nonces <- r.URL.Query().Get("nonce")
		for _, s := range ar.GetRequestedScopes() {
			ar.GrantScope(s)
		}
		resp, err := provider.NewAuthorizeResponse(ctx, ar, session())
		if err != nil {
			provider.WriteAuthorizeError(ctx, w, ar, err)
			return
		}
		provider.WriteAuthorizeResponse(ctx, w, ar, resp)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ar, err := provider.NewAccessRequest(ctx, r, session())
		if err != nil {
			provider.WriteAccessError(ctx, w, ar, err)
			return
		}
		resp, err := provider.NewAccessResponse(ctx, ar)
		if err != nil {
			provider.WriteAccessError(ctx, w, ar, err)
			return
		}
		provider.WriteAccessResponse(ctx, w, ar, resp)
	})
	fs.Config.Handler = mux
	fs.Start()
	t.Cleanup(fs.Close)
	return fs
}

func writeTestJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// TestInteropFositeIDToken: a real authorization-code sign-in with openid
// against fosite, which puts tokentop's nonce in the id_token it signs;
// tokentop verifies it with the JWKS and keeps the claims as verified. The
// refresh's new id_token (fosite's OpenIDConnectRefreshFactory) is verified
// too, with the cached JWKS.
func TestInteropFositeIDToken(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fs := newFositeOIDC(t)
	cfgText := fmt.Sprintf(`
[connections.fosite]
provider = "oauth2"
flow = "authorization_code"
issuer = %q
client_id = %q
pkce = true
scopes = ["openid", "offline_access"]
`, fs.URL, fositeOIDCClient)
	cfg, err := config.Parse("interop.toml", []byte(cfgText))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: db})
	p, err := svc.BeginLogin(ctx, "fosite")
	if err != nil {
		t.Fatal(err)
	}
	go browse(t, p.(flows.BrowserSignIn).URL())
	tok, err := p.Wait(ctx)
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	if nonce := <-fs.nonces; len(nonce) != 43 {
		t.Fatalf("nonce %q sent to fosite, want 43 characters", nonce)
	}
	id := func(tok *flows.Token, k string) string { return tok.Extra[flows.IDClaimPrefix+k] }
	if id(tok, "sub") != fositeSubject || id(tok, "iss") != fs.URL || id(tok, "aud") != fositeOIDCClient {
		t.Fatalf("verified claims %q", tok.Extra)
	}
	if n := fs.jwksRequests.Load(); n != 1 {
		t.Fatalf("%d JWKS requests, want 1", n)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token with offline_access")
	}
	renewed, err := svc.Renew(ctx, "fosite")
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if id(renewed, "sub") != fositeSubject || renewed.AccessToken == tok.AccessToken {
		t.Fatalf("renewal: claims %q", renewed.Extra)
	}
	if n := fs.jwksRequests.Load(); n != 1 {
		t.Fatalf("%d JWKS requests after the refresh, want 1 (cached)", n)
	}
	for k, v := range renewed.Extra {
		if strings.HasPrefix(v, "eyJ") {
			t.Fatalf("Extra[%s] holds a JWT", k)
		}
	}
}
