package flows_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	fstorage "github.com/ory/fosite/storage"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/flows/fault"
	"tokentop/flows/oauth"
)

// fositeIntrospector runs github.com/ory/fosite in-process: its client
// credentials grant, RFC 7662 introspection and RFC 7009 revocation, an
// implementation tokentop's authors did not write. fosite v0.49.0, the
// newest on the module proxy, has no RFC 8693 token exchange handler
// (handler/rfc8693 is missing), so token exchange is tested against
// zitadel's OpenID Provider instead (exchange_interop_test.go).
type fositeIntrospector struct {
	*httptest.Server
	introspections atomic.Int32
}

const (
	fositeClientID     = "tokentop"
	fositeClientSecret = "fosite-secret-0123456789"
)

func newFositeIntrospector(t *testing.T) *fositeIntrospector {
	t.Helper()
	ctx := context.Background()
	cfg := &fosite.Config{
		GlobalSecret:        []byte("a-global-secret-of-32-bytes-0123"),
		HashCost:            4, // bcrypt's least: the test is not about hashing
		AccessTokenLifespan: time.Hour,
	}
	hash, err := (&fosite.BCrypt{Config: cfg}).Hash(ctx, []byte(fositeClientSecret))
	if err != nil {
		t.Fatal(err)
	}
	st := fstorage.NewMemoryStore()
	st.Clients[fositeClientID] = &fosite.DefaultClient{
		ID: fositeClientID, Secret: hash,
		GrantTypes: []string{"client_credentials"}, ResponseTypes: []string{"token"}, Scopes: []string{"repo", "read"},
	}
	p := compose.Compose(cfg, st, &compose.CommonStrategy{CoreStrategy: compose.NewOAuth2HMACStrategy(cfg)},
		compose.OAuth2ClientCredentialsGrantFactory, compose.OAuth2TokenIntrospectionFactory, compose.OAuth2TokenRevocationFactory)

	fs := &fositeIntrospector{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ar, err := p.NewAccessRequest(ctx, r, &fosite.DefaultSession{Subject: "service:" + fositeClientID})
		if err != nil {
			p.WriteAccessError(ctx, w, ar, err)
			return
		}
		for _, s := range ar.GetRequestedScopes() {
			ar.GrantScope(s)
		}
		resp, err := p.NewAccessResponse(ctx, ar)
		if err != nil {
			p.WriteAccessError(ctx, w, ar, err)
			return
		}
		p.WriteAccessResponse(ctx, w, ar, resp)
	})
	mux.HandleFunc("POST /introspect", func(w http.ResponseWriter, r *http.Request) {
		fs.introspections.Add(1)
		ctx := r.Context()
		ir, err := p.NewIntrospectionRequest(ctx, r, &fosite.DefaultSession{})
		if err != nil {
			p.WriteIntrospectionError(ctx, w, err)
			return
		}
		p.WriteIntrospectionResponse(ctx, w, ir)
	})
	mux.HandleFunc("POST /revoke", func(w http.ResponseWriter, r *http.Request) {
		p.WriteRevocationResponse(r.Context(), w, p.NewRevocationRequest(r.Context(), r))
	})
	fs.Server = httptest.NewServer(mux) // 127.0.0.1
	t.Cleanup(fs.Close)
	return fs
}

// revoke revokes an access token at fosite as another tool would.
func (fs *fositeIntrospector) revoke(t *testing.T, token string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, fs.URL+"/revoke", strings.NewReader(url.Values{"token": {token}, "token_type_hint": {"access_token"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(fositeClientID, fositeClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revocation answered %d", resp.StatusCode)
	}
}

func fositeConfig(t *testing.T, fs *fositeIntrospector, secret string) *flows.Config {
	t.Helper()
	cfg, err := config.Parse("fosite.toml", []byte(`
[connections.fosite]
provider = "oauth2"
flow = "client_credentials"
token_url = "`+fs.URL+`/token"
client_id = "`+fositeClientID+`"
client_secret = "`+secret+`"
scopes = ["repo"]
check = "introspect"
introspection_url = "`+fs.URL+`/introspect"
`))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestInteropFositeIntrospection: fosite's introspection endpoint says a
// token fosite issued is active, with its scope, client and expiry; once
// revoked, inactive, which the Service answers by renewing once and checking
// the new token.
func TestInteropFositeIntrospection(t *testing.T) {
	fs := newFositeIntrospector(t)
	cfg := fositeConfig(t, fs, fositeClientSecret)
	svc := flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: newMemStore()})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := svc.Token(ctx, "fosite", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	chk, err := svc.Check(ctx, "fosite")
	if err != nil {
		t.Fatal(err)
	}
	in := chk.Introspection
	if !chk.OK() || in == nil || !in.Active || in.Scope != "repo" || in.ClientID != fositeClientID || in.Subject != "service:"+fositeClientID {
		t.Fatalf("active check %+v, introspection %+v", chk, in)
	}
	if d := in.Expiry.Sub(tok.Expiry); d < -5*time.Second || d > 5*time.Second {
		t.Errorf("exp %v, token expiry %v", in.Expiry, tok.Expiry)
	}

	// Revoked: the provider's own client sees it inactive.
	fs.revoke(t, tok.AccessToken)
	cl, err := oauth.New(cfg.Connection("fosite"), flows.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	chk, err = cl.Check(ctx, tok)
	if !errors.Is(err, fault.ErrInvalidToken) || chk.Introspection == nil || chk.Introspection.Active || chk.OK() {
		t.Fatalf("revoked: err %v, check %+v", err, chk)
	}

	// The Service renews and checks the new token, which is active.
	before := fs.introspections.Load()
	chk, err = svc.Check(ctx, "fosite")
	if err != nil || !chk.Introspection.Active {
		t.Fatalf("after renewal: err %v, check %+v", err, chk)
	}
	st, _ := svc.State("fosite")
	if st.Token.AccessToken == tok.AccessToken || fs.introspections.Load()-before != 2 {
		t.Errorf("renewed %v, %d introspections", st.Token.AccessToken != tok.AccessToken, fs.introspections.Load()-before)
	}
}

// TestInteropFositeIntrospectionWrongClient: fosite refuses the client at
// its introspection endpoint with 401: one line, invalid_client.
func TestInteropFositeIntrospectionWrongClient(t *testing.T) {
	fs := newFositeIntrospector(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	good, err := oauth.New(fositeConfig(t, fs, fositeClientSecret).Connection("fosite"), flows.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := good.ClientCredentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := oauth.New(fositeConfig(t, fs, "not-the-secret").Connection("fosite"), flows.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	chk, err := bad.Check(ctx, tok)
	if err != nil || chk.Status != http.StatusUnauthorized || !strings.HasPrefix(chk.Err, "invalid_client: ") || strings.Contains(chk.Err, "\n") {
		t.Fatalf("err %v, check %+v", err, chk)
	}
	t.Logf("fosite 401: %s", chk.Err)
}
