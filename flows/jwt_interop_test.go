package flows_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	jose3 "github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/storage"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/flows/oauth"
	"tokentop/store"
)

// fositeServer runs github.com/ory/fosite's token endpoint in-process on
// 127.0.0.1: an authorization server tokentop's authors did not write, with
// its own RFC 7523 client authentication (client_authentication.go).
type fositeServer struct {
	*httptest.Server
	mu    sync.Mutex
	forms []url.Values // the token requests as received
}

func (fs *fositeServer) count() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return len(fs.forms)
}

func (fs *fositeServer) formsSince(n int) []url.Values {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]url.Values(nil), fs.forms[n:]...)
}

func (fs *fositeServer) lastForm() url.Values {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.forms[len(fs.forms)-1]
}

// newFositeServer registers, for client id "ci-" + alg, a private_key_jwt
// client with the public key as its JWKS (use "sig", the kid given), and
// "ci-HS256" as a client_secret_jwt one.
func newFositeServer(t *testing.T, keys map[string]crypto.PublicKey, kid string) *fositeServer {
	t.Helper()
	cfg := &fosite.Config{
		GlobalSecret:        []byte("fosite-global-secret-0123456789ab"),
		AccessTokenLifespan: time.Hour,
	}
	st := storage.NewMemoryStore()
	for alg, pub := range keys {
		st.Clients["ci-"+alg] = &fosite.DefaultOpenIDConnectClient{
			DefaultClient:                     &fosite.DefaultClient{ID: "ci-" + alg, GrantTypes: []string{"client_credentials"}, Scopes: []string{"ledger.read"}},
			JSONWebKeys:                       &jose3.JSONWebKeySet{Keys: []jose3.JSONWebKey{{Key: pub, KeyID: kid, Use: "sig", Algorithm: alg}}},
			TokenEndpointAuthMethod:           "private_key_jwt",
			TokenEndpointAuthSigningAlgorithm: alg,
		}
	}
	st.Clients["ci-HS256"] = &fosite.DefaultOpenIDConnectClient{
		DefaultClient:                     &fosite.DefaultClient{ID: "ci-HS256", GrantTypes: []string{"client_credentials"}, Scopes: []string{"ledger.read"}},
		TokenEndpointAuthMethod:           "client_secret_jwt",
		TokenEndpointAuthSigningAlgorithm: "HS256",
	}
	provider := compose.Compose(cfg, st, compose.NewOAuth2HMACStrategy(cfg), compose.OAuth2ClientCredentialsGrantFactory)
	fs := &fositeServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if err := r.ParseForm(); err == nil {
			fs.mu.Lock()
			fs.forms = append(fs.forms, r.PostForm)
			fs.mu.Unlock()
		}
		ar, err := provider.NewAccessRequest(ctx, r, &fosite.DefaultSession{})
		if err != nil {
			provider.WriteAccessError(ctx, w, ar, err)
			return
		}
		for _, s := range ar.GetRequestedScopes() {
			ar.GrantScope(s)
		}
		resp, err := provider.NewAccessResponse(ctx, ar)
		if err != nil {
			provider.WriteAccessError(ctx, w, ar, err)
			return
		}
		provider.WriteAccessResponse(ctx, w, ar, resp)
	})
	fs.Server = httptest.NewServer(mux)
	t.Cleanup(fs.Close)
	cfg.TokenURL = fs.URL + "/token" // the audience fosite demands
	return fs
}

// keyFile writes k as PKCS#8 PEM into a file only the test can read.
func keyFile(t *testing.T, k crypto.Signer) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "client.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// jwtService is a Service with one client_credentials connection "ci";
// its provider client's clock is skew off the real one.
func jwtService(t *testing.T, body string, skew time.Duration) *flows.Service {
	t.Helper()
	cfg, err := config.Parse("jwt.toml", []byte("[connections.ci]\nprovider = \"oauth2\"\nflow = \"client_credentials\"\nscopes = [\"ledger.read\"]\n"+body))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	newClient := func(c *flows.Connection, o flows.ClientOptions) (flows.Client, error) {
		o.Now = func() time.Time { return time.Now().Add(skew) }
		return oauth.New(c, o)
	}
	return flows.NewService(cfg, flows.Options{NewClient: newClient, Store: db})
}

// TestInteropFositeJWTClientAuth: fosite accepts tokentop's private_key_jwt
// assertions (RS256 and ES256, with kid) on the client_credentials grant run
// through the real Service, and refuses an expired one, one for another
// audience and a replayed one. fosite v0.49.0 has no client_secret_jwt
// (client_authentication.go: a client registered with it "only supports
// client authentication method 'client_secret_jwt', however that method is
// not supported by this server", and HS256 assertions are refused): the
// subtest records that refusal; the OAuth 2.0 fake of flows/providertest is
// where client_secret_jwt is accepted.
func TestInteropFositeJWTClientAuth(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srv := newFositeServer(t, map[string]crypto.PublicKey{"RS256": rsaKey.Public(), "ES256": ecKey.Public()}, "tokentop-2026")
	conn := func(alg, path, tokenURL string) string {
		return fmt.Sprintf("client_id = %q\nclient_auth = \"private_key_jwt\"\nprivate_key = \"file:%s\"\nkey_id = \"tokentop-2026\"\ntoken_url = %q\n", "ci-"+alg, path, tokenURL)
	}
	for alg, k := range map[string]crypto.Signer{"RS256": rsaKey, "ES256": ecKey} {
		t.Run("accepted "+alg, func(t *testing.T) {
			svc := jwtService(t, conn(alg, keyFile(t, k), srv.URL+"/token"), 0)
			tok, err := svc.Token(ctx, "ci", time.Minute)
			if err != nil {
				t.Fatalf("fosite refused the assertion: %v", err)
			}
			if tok.AccessToken == "" || !tok.HasExpiry() {
				t.Fatalf("token without value or expiry: %v", tok)
			}
			f := srv.lastForm()
			if f.Has("client_secret") || f.Get("client_id") != "ci-"+alg || f.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
				t.Errorf("token request fields %v", keys(f))
			}
		})
	}
	path := keyFile(t, rsaKey)
	refusals := map[string]struct {
		body string
		skew time.Duration
		want string
	}{
		// Two minutes of life, issued ten minutes ago.
		"other audience": {conn("RS256", path, srv.URL+"/token?tenant=other"), 0, "Claim 'audience' from 'client_assertion' must match"},
		"client_secret_jwt": {"client_id = \"ci-HS256\"\nclient_auth = \"client_secret_jwt\"\nclient_secret = \"hs256-client-secret-0123456789abcdef\"\ntoken_url = \"" + srv.URL + "/token\"\n",
			0, "This requested OAuth 2.0 client only supports client authentication method"},
	}
	for name, tc := range refusals {
		t.Run("refused "+name, func(t *testing.T) {
			svc := jwtService(t, tc.body, tc.skew)
			_, err := svc.Token(ctx, "ci", time.Minute)
			if err == nil || !strings.Contains(err.Error(), "invalid_client") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want invalid_client with %q", err, tc.want)
			}
		})
	}
	t.Run("refused expired", func(t *testing.T) {
		// Two minutes of life, issued ten minutes ago. fosite v0.49.0
		// returns the expiry as an unrecognised error, HTTP 500 (its
		// DefaultClientAuthenticationStrategy hands back the jwt
		// ValidationError's Inner as is), so tokentop retries it as a
		// server error: three attempts, each with its own assertion.
		svc := jwtService(t, conn("RS256", path, srv.URL+"/token"), -10*time.Minute)
		before := srv.count()
		_, err := svc.Token(ctx, "ci", time.Minute)
		if err == nil || !strings.Contains(err.Error(), "The error is unrecognizable") {
			t.Fatalf("err = %v, want fosite's refusal", err)
		}
		forms := srv.formsSince(before)
		seen := map[string]bool{}
		for _, f := range forms {
			seen[f.Get("client_assertion")] = true
		}
		if len(forms) != 3 || len(seen) != 3 {
			t.Errorf("%d attempts with %d distinct assertions, want 3 and 3", len(forms), len(seen))
		}
	})
	t.Run("refused replay", func(t *testing.T) {
		svc := jwtService(t, conn("ES256", keyFile(t, ecKey), srv.URL+"/token"), 0)
		if _, err := svc.Token(ctx, "ci", time.Minute); err != nil {
			t.Fatal(err)
		}
		resp, err := http.PostForm(srv.URL+"/token", srv.lastForm())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Fatalf("fosite accepted a replayed assertion: HTTP %d", resp.StatusCode)
		}
	})
}

func keys(f url.Values) []string {
	var ks []string
	for k := range f {
		ks = append(ks, k)
	}
	return ks
}
