package providertest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func TestAhaCodeFlow(t *testing.T) {
	s, _ := newTest(t, Options{})
	loc := ahaAuthorize(t, s, AhaAccount, "code", loopback)
	if loc.Query().Has("account_subdomain") || loc.Query().Get("state") != "st" {
		t.Fatalf("redirect %s", loc)
	}
	a := post(t, s.ahaURL(AhaAccount)+"/oauth/token", ahaExchange(loc.Query().Get("code"), loopback))
	if a.Status != 200 {
		t.Fatalf("exchange: %d %s", a.Status, a.Body)
	}
	// Exactly the document's answer: no expiry, no refresh token.
	var keys []string
	for k := range a.JSON {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"access_token", "token_type"}) || a.str("token_type") != "bearer" {
		t.Fatalf("answer %s", a.Body)
	}
	if me := bearerGet(t, s.ahaURL(AhaAccount)+"/api/v1/me", a.str("access_token")); me.Status != 200 {
		t.Fatalf("me: %d %s", me.Status, me.Body)
	}
	if me := bearerGet(t, s.ahaURL("other")+"/api/v1/me", a.str("access_token")); me.Status != 404 {
		t.Fatalf("me at another subdomain: %d", me.Status)
	}
}

func TestAhaSecureSwitchesSubdomain(t *testing.T) {
	s, _ := newTest(t, Options{})
	loc := ahaAuthorize(t, s, "secure", "code", loopback)
	if got := loc.Query().Get("account_subdomain"); got != AhaAccount {
		t.Fatalf("account_subdomain = %q in %s", got, loc)
	}
	form := ahaExchange(loc.Query().Get("code"), loopback)
	wantOAuthError(t, post(t, s.ahaURL("secure")+"/oauth/token", form), 400, "invalid_grant")
	if a := post(t, s.ahaURL(AhaAccount)+"/oauth/token", form); a.Status != 200 {
		t.Fatalf("exchange at the account: %d %s", a.Status, a.Body)
	}
}

func TestAhaTokenRefusals(t *testing.T) {
	s, _ := newTest(t, Options{})
	tokenURL := s.ahaURL(AhaAccount) + "/oauth/token"
	tests := map[string]struct {
		form   func(code string) url.Values
		header []string
		status int
		err    string
	}{
		"basic auth": {
			form: func(code string) url.Values {
				f := ahaExchange(code, loopback)
				f.Del("client_id")
				f.Del("client_secret")
				return f
			},
			header: []string{"Authorization", basicHeader(AhaClientID, AhaClientSecret)},
			status: 401, err: "invalid_client",
		},
		"missing redirect_uri": {
			form:   func(code string) url.Values { f := ahaExchange(code, loopback); f.Del("redirect_uri"); return f },
			status: 400, err: "invalid_request",
		},
		"other redirect_uri": {
			form:   func(code string) url.Values { return ahaExchange(code, "http://127.0.0.1:1/x") },
			status: 400, err: "invalid_grant",
		},
		"wrong secret": {
			form:   func(code string) url.Values { f := ahaExchange(code, loopback); f.Set("client_secret", "x"); return f },
			status: 401, err: "invalid_client",
		},
		"refresh grant": {
			form: func(code string) url.Values {
				f := ahaExchange(code, loopback)
				f.Set("grant_type", "refresh_token")
				return f
			},
			status: 400, err: "unsupported_grant_type",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			code := ahaAuthorize(t, s, AhaAccount, "code", loopback).Query().Get("code")
			wantOAuthError(t, post(t, tokenURL, tt.form(code), tt.header...), tt.status, tt.err)
		})
	}
	t.Run("reused code", func(t *testing.T) {
		form := ahaExchange(ahaAuthorize(t, s, AhaAccount, "code", loopback).Query().Get("code"), loopback)
		if a := post(t, tokenURL, form); a.Status != 200 {
			t.Fatal(a.Body)
		}
		wantOAuthError(t, post(t, tokenURL, form), 400, "invalid_grant")
	})
}

func TestAhaAuthorizeRefusals(t *testing.T) {
	s, _ := newTest(t, Options{ahaRedirectURI: loopback})
	base := s.ahaURL(AhaAccount) + "/oauth/authorize?"
	tests := map[string]struct {
		url    string
		status int
	}{
		"no redirect_uri":   {base + url.Values{"client_id": {AhaClientID}, "response_type": {"code"}}.Encode(), 400},
		"other redirect":    {base + url.Values{"client_id": {AhaClientID}, "response_type": {"code"}, "redirect_uri": {"http://127.0.0.1:2/cb"}}.Encode(), 400},
		"unknown client":    {base + url.Values{"client_id": {"x"}, "response_type": {"code"}, "redirect_uri": {loopback}}.Encode(), 400},
		"unknown subdomain": {s.ahaURL("nope") + "/oauth/authorize?" + url.Values{"client_id": {AhaClientID}, "response_type": {"code"}, "redirect_uri": {loopback}}.Encode(), 404},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if a := get(t, tt.url); a.Status != tt.status || a.Header.Get("Location") != "" {
				t.Fatalf("got %d, Location %q", a.Status, a.Header.Get("Location"))
			}
		})
	}
	if loc := ahaAuthorize(t, s, AhaAccount, "code", loopback); loc.Query().Get("code") == "" {
		t.Fatalf("registered redirect refused: %s", loc)
	}
}

func TestAhaImplicit(t *testing.T) {
	s, _ := newTest(t, Options{})
	for _, sub := range []string{AhaAccount, "secure"} {
		t.Run(sub, func(t *testing.T) {
			loc := ahaAuthorize(t, s, sub, "token", loopback)
			if loc.RawQuery != "" || loc.Fragment == "" {
				t.Fatalf("redirect %s: want the token in the fragment only", loc)
			}
			f, err := url.ParseQuery(loc.Fragment)
			if err != nil {
				t.Fatal(err)
			}
			if f.Get("token_type") != "bearer" || f.Get("state") != "st" || f.Get("access_token") == "" {
				t.Fatalf("fragment %q", loc.Fragment)
			}
			if want := map[bool]string{true: AhaAccount}[sub == "secure"]; f.Get("account_subdomain") != want {
				t.Fatalf("account_subdomain %q, want %q", f.Get("account_subdomain"), want)
			}
			if me := bearerGet(t, s.ahaURL(AhaAccount)+"/api/v1/me", f.Get("access_token")); me.Status != 200 {
				t.Fatalf("me: %d", me.Status)
			}
		})
	}
}

func TestAhaAPIKeysAndSilentExpiry(t *testing.T) {
	s, clk := newTest(t, Options{})
	me := s.ahaURL(AhaAccount) + "/api/v1/me"
	a := bearerGet(t, me, AhaAPIKey)
	var body struct {
		User struct{ Email string } `json:"user"`
	}
	if err := json.Unmarshal([]byte(a.Body), &body); a.Status != 200 || err != nil || body.User.Email != ahaUserEmail {
		t.Fatalf("API key: %d %s", a.Status, a.Body)
	}
	a = bearerGet(t, me, "not-a-key")
	if a.Status != 401 || !strings.Contains(a.Header.Get("WWW-Authenticate"), "invalid_token") {
		t.Fatalf("bad key: %d %v", a.Status, a.Header)
	}
	if a := get(t, me); a.Status != 401 || a.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("no key: %d", a.Status)
	}

	s.SetLifetime(Aha, time.Hour)
	code := ahaAuthorize(t, s, AhaAccount, "code", loopback).Query().Get("code")
	tok := post(t, s.ahaURL(AhaAccount)+"/oauth/token", ahaExchange(code, loopback))
	if _, ok := tok.JSON["expires_in"]; ok {
		t.Fatalf("expires_in announced: %s", tok.Body)
	}
	clk.Add(time.Hour)
	if a := bearerGet(t, me, tok.str("access_token")); a.Status != http.StatusUnauthorized {
		t.Fatalf("after the silent lifetime: %d", a.Status)
	}
}

// TestInteropAha checks the fake against golang.org/x/oauth2 as a client:
// it sends the secret in the body and exchanges at the account_subdomain.
func TestInteropAha(t *testing.T) {
	s, _ := newTest(t, Options{})
	ctx := context.Background()
	redirect, codes := codeCatcher(t)
	cfg := oauth2.Config{ClientID: AhaClientID, ClientSecret: AhaClientSecret, RedirectURL: redirect,
		Endpoint: oauth2.Endpoint{AuthURL: s.ahaURL("secure") + "/oauth/authorize", TokenURL: s.ahaURL("secure") + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams}}
	if err := Browse(ctx, cfg.AuthCodeURL("st")); err != nil {
		t.Fatal(err)
	}
	q := <-codes
	cfg.Endpoint.TokenURL = s.ahaURL(q.Get("account_subdomain")) + "/oauth/token"
	tok, err := cfg.Exchange(ctx, q.Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Expiry.IsZero() || tok.RefreshToken != "" {
		t.Errorf("token %+v", tok)
	}
}
