package providertest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// The fakes must agree with a well-known client on the standard parts of the
// wire format: golang.org/x/oauth2 encodes Basic credentials as RFC 6749
// §2.3.1 says, sends PKCE and polls the device flow.

func TestInteropAikidoClientCredentials(t *testing.T) {
	s, _ := newTest(t, Options{})
	cfg := clientcredentials.Config{ClientID: AikidoClientID, ClientSecret: AikidoClientSecret, TokenURL: s.AikidoTokenURL(), AuthStyle: oauth2.AuthStyleInHeader}
	tok, err := cfg.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken != "" || tok.Expiry.IsZero() {
		t.Errorf("token %+v", tok)
	}
	cfg.AuthStyle = oauth2.AuthStyleInParams
	if _, err := cfg.Token(context.Background()); err == nil {
		t.Error("credentials in the body were accepted")
	}
}

// codeCatcher is a loopback redirect target that hands over the query.
func codeCatcher(t *testing.T) (string, <-chan url.Values) {
	ch := make(chan url.Values, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case ch <- r.URL.Query():
		default:
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/callback", ch
}

func TestInteropAuthorizationCodes(t *testing.T) {
	s, _ := newTest(t, Options{})
	ctx := context.Background()
	redirect, codes := codeCatcher(t)

	t.Run("aha via secure", func(t *testing.T) {
		cfg := oauth2.Config{ClientID: AhaClientID, ClientSecret: AhaClientSecret, RedirectURL: redirect,
			Endpoint: oauth2.Endpoint{AuthURL: s.AhaURL("secure") + "/oauth/authorize", TokenURL: s.AhaURL("secure") + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams}}
		if err := Browse(ctx, cfg.AuthCodeURL("st")); err != nil {
			t.Fatal(err)
		}
		q := <-codes
		cfg.Endpoint.TokenURL = s.AhaURL(q.Get("account_subdomain")) + "/oauth/token"
		tok, err := cfg.Exchange(ctx, q.Get("code"))
		if err != nil {
			t.Fatal(err)
		}
		if !tok.Expiry.IsZero() || tok.RefreshToken != "" {
			t.Errorf("token %+v", tok)
		}
	})
	t.Run("oauth2 with PKCE", func(t *testing.T) {
		cfg := oauth2.Config{ClientID: OAuth2ClientID, ClientSecret: OAuth2ClientSecret, RedirectURL: redirect, Scopes: []string{"openid"},
			Endpoint: oauth2.Endpoint{AuthURL: s.OAuth2AuthURL(), TokenURL: s.OAuth2TokenURL(), AuthStyle: oauth2.AuthStyleInHeader}}
		v := oauth2.GenerateVerifier()
		if err := Browse(ctx, cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(v))); err != nil {
			t.Fatal(err)
		}
		q := <-codes
		tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		// Renewal through x/oauth2's TokenSource.
		tok.Expiry = time.Now().Add(-time.Second)
		next, err := cfg.TokenSource(ctx, tok).Token()
		if err != nil || next.AccessToken == tok.AccessToken || next.RefreshToken == tok.RefreshToken {
			t.Fatalf("refresh: %v %+v", err, next)
		}
	})
}

func TestInteropDevice(t *testing.T) {
	s, _ := newTest(t, Options{DevicePending: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := oauth2.Config{ClientID: OAuth2PublicClientID, Scopes: []string{"openid"},
		Endpoint: oauth2.Endpoint{DeviceAuthURL: s.OAuth2DeviceURL(), TokenURL: s.OAuth2TokenURL(), AuthStyle: oauth2.AuthStyleInParams}}
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cfg.DeviceAccessToken(ctx, da)
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("%v %+v", err, tok)
	}
}
