package flows_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-oauth2/oauth2/v4/generates"
	"github.com/go-oauth2/oauth2/v4/manage"
	"github.com/go-oauth2/oauth2/v4/models"
	"github.com/go-oauth2/oauth2/v4/server"
	oastore "github.com/go-oauth2/oauth2/v4/store"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/flows/oauth"
	"tokentop/store"
)

// interopServer runs github.com/go-oauth2/oauth2/v4's server in-process: an
// OAuth 2.0 implementation tokentop's authors did not write.
type interopServer struct {
	*httptest.Server
	tokenRequests atomic.Int32
}

const (
	interopClientID     = "interop-client"
	interopClientSecret = "interop-secret-0123456789"
	interopUser         = "alice"
	interopPassword     = "alice-password-0123456789"
)

func newInteropServer(t *testing.T, clientAuth string) *interopServer {
	t.Helper()
	manager := manage.NewDefaultManager()
	manager.SetAuthorizeCodeTokenCfg(manage.DefaultAuthorizeCodeTokenCfg)
	manager.SetPasswordTokenCfg(manage.DefaultPasswordTokenCfg)
	manager.SetRefreshTokenCfg(&manage.RefreshingConfig{
		IsGenerateRefresh:  true, // rotate
		IsRemoveAccess:     true,
		IsRemoveRefreshing: true,
	})
	manager.MustTokenStorage(oastore.NewMemoryTokenStore())
	manager.MapAccessGenerate(generates.NewAccessGenerate())
	clients := oastore.NewClientStore()
	if err := clients.Set(interopClientID, &models.Client{ID: interopClientID, Secret: interopClientSecret, Domain: "http://127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	manager.MapClientStorage(clients)
	manager.SetValidateURIHandler(func(base, redirect string) error {
		u, err := url.Parse(redirect)
		if err != nil || u.Hostname() != "127.0.0.1" {
			return fmt.Errorf("redirect %q is not loopback", redirect)
		}
		return nil
	})

	srv := server.NewServer(server.NewConfig(), manager)
	srv.SetAllowedGrantType("authorization_code", "password", "client_credentials", "refresh_token")
	if clientAuth == "body" {
		srv.SetClientInfoHandler(server.ClientFormHandler)
	} else {
		srv.SetClientInfoHandler(server.ClientBasicHandler)
	}
	srv.SetPasswordAuthorizationHandler(func(_ context.Context, _, username, password string) (string, error) {
		if username == interopUser && password == interopPassword {
			return "alice-id", nil
		}
		return "", fmt.Errorf("invalid username or password")
	})
	srv.SetUserAuthorizationHandler(func(http.ResponseWriter, *http.Request) (string, error) {
		return "alice-id", nil // approve at once: no browser in tests
	})
	is := &interopServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		if err := srv.HandleAuthorizeRequest(w, r); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		is.tokenRequests.Add(1)
		if err := srv.HandleTokenRequest(w, r); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("/check", func(w http.ResponseWriter, r *http.Request) {
		if _, err := srv.ValidationBearerToken(r); err != nil {
			http.Error(w, "invalid token", http.StatusUnauthorized)
			return
		}
		fmt.Fprintln(w, `{"ok":true}`)
	})
	is.Server = httptest.NewServer(mux)
	t.Cleanup(is.Close)
	return is
}

func newInteropService(t *testing.T, srv *interopServer, flow, clientAuth string, extra string) *flows.Service {
	t.Helper()
	cfgText := fmt.Sprintf(`
[connections.interop]
provider = "oauth2"
flow = %q
client_auth = %q
client_id = %q
client_secret = %q
auth_url = "%s/authorize"
token_url = "%s/token"
check_url = "%s/check"
username = %q
%s
`, flow, clientAuth, interopClientID, interopClientSecret, srv.URL, srv.URL, srv.URL, interopUser, extra)
	cfg, err := config.Parse("interop.toml", []byte(cfgText))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: db})
}

// browse plays the browser: it follows the authorize URL's redirect to the
// loopback listener.
func browse(t *testing.T, u string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Errorf("browser: %v", err)
		return
	}
	resp.Body.Close()
}

func TestInteropGoOAuth2Server(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, auth := range []string{"basic", "body"} {
		t.Run("client_credentials/"+auth, func(t *testing.T) {
			srv := newInteropServer(t, auth)
			svc := newInteropService(t, srv, "client_credentials", auth, "")
			tok, err := svc.Token(ctx, "interop", time.Minute)
			if err != nil {
				t.Fatalf("token: %v", err)
			}
			if tok.AccessToken == "" || !tok.HasExpiry() {
				t.Fatalf("token without value or expiry: %v", tok)
			}
			if chk, err := svc.Check(ctx, "interop"); err != nil || !chk.OK() {
				t.Fatalf("check: %v %+v", err, chk)
			}
		})
	}
	t.Run("password and refresh", func(t *testing.T) {
		srv := newInteropServer(t, "basic")
		svc := newInteropService(t, srv, "password", "basic", "")
		p, err := svc.BeginLogin(ctx, "interop")
		if err != nil {
			t.Fatal(err)
		}
		pw, ok := p.(flows.PasswordSignIn)
		if !ok || pw.Username() != interopUser {
			t.Fatalf("sign-in %T, want a password sign-in for %s", p, interopUser)
		}
		if err := pw.SubmitPassword(interopPassword); err != nil {
			t.Fatal(err)
		}
		first, err := p.Wait(ctx)
		if err != nil {
			t.Fatalf("password sign-in: %v", err)
		}
		if first.RefreshToken == "" {
			t.Fatal("no refresh token from the password grant")
		}
		second, err := svc.Renew(ctx, "interop")
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken {
			t.Fatal("refresh did not rotate the tokens")
		}
		if chk, err := svc.Check(ctx, "interop"); err != nil || !chk.OK() {
			t.Fatalf("check with the refreshed token: %v %+v", err, chk)
		}
		// The server removed the old refresh token: a second renewal must
		// send the new one, or it would fail.
		if _, err := svc.Renew(ctx, "interop"); err != nil {
			t.Fatalf("second refresh: %v", err)
		}
	})
	t.Run("authorization_code with PKCE", func(t *testing.T) {
		srv := newInteropServer(t, "basic")
		svc := newInteropService(t, srv, "authorization_code", "basic", "pkce = true")
		p, err := svc.BeginLogin(ctx, "interop")
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(p.(flows.BrowserSignIn).URL())
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 {
			t.Fatalf("authorize URL lacks a PKCE S256 challenge: %v", strings.Join([]string{q.Get("code_challenge_method")}, ""))
		}
		go browse(t, p.(flows.BrowserSignIn).URL())
		tok, err := p.Wait(ctx)
		if err != nil {
			t.Fatalf("authorization code sign-in: %v", err)
		}
		if tok.AccessToken == "" || tok.RefreshToken == "" {
			t.Fatal("missing tokens after code exchange")
		}
		if _, err := svc.Renew(ctx, "interop"); err != nil {
			t.Fatalf("refresh after code exchange: %v", err)
		}
	})
}
