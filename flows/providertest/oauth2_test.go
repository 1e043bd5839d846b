package providertest

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func TestOAuth2Discovery(t *testing.T) {
	s, _ := newTest(t, Options{})
	a := get(t, s.URL+oauth2IssuerPath+"/.well-known/openid-configuration")
	want := map[string]string{
		"issuer":                        s.URL + "/oauth2",
		"authorization_endpoint":        s.URL + oauth2AuthPath,
		"token_endpoint":                s.URL + oauth2TokenPath,
		"revocation_endpoint":           s.URL + oauth2RevokePath,
		"device_authorization_endpoint": s.URL + oauth2DevicePath,
		"userinfo_endpoint":             s.URL + oauth2UserInfoPath,
	}
	for k, v := range want {
		if a.str(k) != v {
			t.Errorf("%s = %q, want %q", k, a.str(k), v)
		}
	}
}

func TestOAuth2ClientAuth(t *testing.T) {
	s, _ := newTest(t, Options{})
	cc := url.Values{"grant_type": {"client_credentials"}}
	body := url.Values{"grant_type": {"client_credentials"}, "client_id": {OAuth2ClientID}, "client_secret": {oauth2ClientSecret}}
	basic := []string{"Authorization", basicHeader(OAuth2ClientID, oauth2ClientSecret)}
	tests := map[string]struct {
		form   url.Values
		header []string
		status int
		err    string
	}{
		"basic":             {cc, basic, 200, ""},
		"body":              {body, nil, 200, ""},
		"basic and body":    {body, basic, 400, "invalid_request"},
		"basic, id in body": {url.Values{"grant_type": {"client_credentials"}, "client_id": {OAuth2ClientID}}, basic, 200, ""},
		"basic, other id":   {url.Values{"grant_type": {"client_credentials"}, "client_id": {OAuth2PublicClientID}}, basic, 400, "invalid_request"},
		"raw basic":         {cc, []string{"Authorization", rawBasic(OAuth2ClientID, oauth2ClientSecret)}, 401, "invalid_client"},
		"wrong secret":      {url.Values{"grant_type": {"client_credentials"}, "client_id": {OAuth2ClientID}, "client_secret": {"x"}}, nil, 401, "invalid_client"},
		"public client":     {url.Values{"grant_type": {"client_credentials"}, "client_id": {OAuth2PublicClientID}}, nil, 400, "unauthorized_client"},
		"password grant":    {url.Values{"grant_type": {"password"}, "username": {oauth2User}, "password": {oauth2Password}}, basic, 200, ""},
		"wrong password":    {url.Values{"grant_type": {"password"}, "username": {oauth2User}, "password": {"x"}}, basic, 400, "invalid_grant"},
		"no grant_type":     {url.Values{}, basic, 400, "invalid_request"},
		"unsupported grant": {url.Values{"grant_type": {"implicit"}}, basic, 400, "unsupported_grant_type"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			a := post(t, s.URL+oauth2TokenPath, tt.form, tt.header...)
			if tt.err != "" {
				wantOAuthError(t, a, tt.status, tt.err)
				return
			}
			if a.Status != 200 || a.str("token_type") != "Bearer" || a.JSON["expires_in"] != 90.0 {
				t.Fatalf("got %d %s", a.Status, a.Body)
			}
			if u := bearerGet(t, s.URL+oauth2UserInfoPath, a.str("access_token")); u.Status != 200 {
				t.Fatalf("userinfo: %d", u.Status)
			}
		})
	}
}

func TestOAuth2PKCE(t *testing.T) {
	s, _ := newTest(t, Options{})
	v := verifier()
	s256q := url.Values{"code_challenge": {s256(v)}, "code_challenge_method": {"S256"}}
	exchange := func(code, v string) url.Values {
		f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {loopback}, "client_id": {OAuth2PublicClientID}}
		if v != "" {
			f.Set("code_verifier", v)
		}
		return f
	}
	codeOf := func(a answer) string {
		t.Helper()
		loc := location(t, a)
		if loc.Query().Get("code") == "" {
			t.Fatalf("no code in %s", loc)
		}
		return loc.Query().Get("code")
	}

	t.Run("S256", func(t *testing.T) {
		a := post(t, s.URL+oauth2TokenPath, exchange(codeOf(oauth2Authorize(t, s, OAuth2PublicClientID, s256q)), v))
		if a.Status != 200 || a.str("refresh_token") == "" || a.str("scope") != "openid" {
			t.Fatalf("got %d %s", a.Status, a.Body)
		}
	})
	t.Run("wrong verifier", func(t *testing.T) {
		code := codeOf(oauth2Authorize(t, s, OAuth2PublicClientID, s256q))
		wantOAuthError(t, post(t, s.URL+oauth2TokenPath, exchange(code, strings.Repeat("b", 43))), 400, "invalid_grant")
	})
	t.Run("missing verifier", func(t *testing.T) {
		code := codeOf(oauth2Authorize(t, s, OAuth2PublicClientID, s256q))
		wantOAuthError(t, post(t, s.URL+oauth2TokenPath, exchange(code, "")), 400, "invalid_grant")
	})
	t.Run("verifier without challenge", func(t *testing.T) {
		code := codeOf(oauth2Authorize(t, s, OAuth2ClientID, nil))
		f := exchange(code, v)
		f.Set("client_id", OAuth2ClientID)
		f.Set("client_secret", oauth2ClientSecret)
		wantOAuthError(t, post(t, s.URL+oauth2TokenPath, f), 400, "invalid_grant")
	})
	for name, q := range map[string]url.Values{
		"plain":                    {"code_challenge": {strings.Repeat("c", 43)}, "code_challenge_method": {"plain"}},
		"no method means plain":    {"code_challenge": {strings.Repeat("c", 43)}},
		"public client, no PKCE":   nil,
		"unsupported responseType": {"response_type": {"token"}},
	} {
		t.Run(name, func(t *testing.T) {
			loc := location(t, oauth2Authorize(t, s, OAuth2PublicClientID, q))
			if loc.Query().Get("error") == "" || loc.Query().Get("code") != "" || loc.Query().Get("state") != "st" {
				t.Fatalf("redirect %s", loc)
			}
		})
	}
	t.Run("unknown client is not redirected", func(t *testing.T) {
		if a := oauth2Authorize(t, s, "nobody", s256q); a.Status != 400 || a.Header.Get("Location") != "" {
			t.Fatalf("got %d %q", a.Status, a.Header.Get("Location"))
		}
	})
	t.Run("DenyNext", func(t *testing.T) {
		s.DenyNext(OAuth2, 1, "access_denied")
		loc := location(t, oauth2Authorize(t, s, OAuth2PublicClientID, s256q))
		if loc.Query().Get("error") != "access_denied" {
			t.Fatalf("redirect %s", loc)
		}
		codeOf(oauth2Authorize(t, s, OAuth2PublicClientID, s256q))
	})
}

func TestOAuth2RefreshAndRevoke(t *testing.T) {
	s, _ := newTest(t, Options{})
	basic := []string{"Authorization", basicHeader(OAuth2ClientID, oauth2ClientSecret)}
	a := post(t, s.URL+oauth2TokenPath, url.Values{"grant_type": {"password"}, "username": {oauth2User}, "password": {oauth2Password}}, basic...)
	rt := a.str("refresh_token")
	r := post(t, s.URL+oauth2TokenPath, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, basic...)
	if r.Status != 200 || r.str("refresh_token") == "" || r.str("refresh_token") == rt {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	}
	wantOAuthError(t, post(t, s.URL+oauth2TokenPath, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, basic...), 400, "invalid_grant")

	// RFC 7009: revoking the refresh token ends its access tokens too.
	if v := post(t, s.URL+oauth2RevokePath, url.Values{"token": {r.str("refresh_token")}, "token_type_hint": {"refresh_token"}}, basic...); v.Status != 200 {
		t.Fatalf("revoke: %d %s", v.Status, v.Body)
	}
	u := bearerGet(t, s.URL+oauth2UserInfoPath, r.str("access_token"))
	if u.Status != 401 || !strings.Contains(u.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("userinfo after revocation: %d %v", u.Status, u.Header)
	}
	wantOAuthError(t, post(t, s.URL+oauth2TokenPath, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.str("refresh_token")}}, basic...), 400, "invalid_grant")
	if v := post(t, s.URL+oauth2RevokePath, url.Values{"token": {"unknown"}}, basic...); v.Status != 200 {
		t.Fatalf("revoking an unknown token: %d", v.Status)
	}
	wantOAuthError(t, post(t, s.URL+oauth2RevokePath, url.Values{"token": {"x"}, "client_id": {OAuth2ClientID}, "client_secret": {"wrong"}}), 401, "invalid_client")
}

// TestInteropOAuth2PKCE checks the fake against golang.org/x/oauth2 as a
// client: Basic credentials encoded as RFC 6749 §2.3.1 says, PKCE, and
// renewal through its TokenSource.
func TestInteropOAuth2PKCE(t *testing.T) {
	s, _ := newTest(t, Options{})
	ctx := context.Background()
	redirect, codes := codeCatcher(t)
	cfg := oauth2.Config{ClientID: OAuth2ClientID, ClientSecret: oauth2ClientSecret, RedirectURL: redirect, Scopes: []string{"openid"},
		Endpoint: oauth2.Endpoint{AuthURL: s.URL + oauth2AuthPath, TokenURL: s.URL + oauth2TokenPath, AuthStyle: oauth2.AuthStyleInHeader}}
	v := oauth2.GenerateVerifier()
	if err := Browse(ctx, cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(v))); err != nil {
		t.Fatal(err)
	}
	q := <-codes
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	tok.Expiry = time.Now().Add(-time.Second)
	next, err := cfg.TokenSource(ctx, tok).Token()
	if err != nil || next.AccessToken == tok.AccessToken || next.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh: %v %+v", err, next)
	}
}

// TestOAuth2Iss: the metadata announces the iss parameter of RFC 9207 §3 and
// every authorization response, success or error, carries the issuer;
// IssNext replaces it or leaves it out for the next responses only;
// OAuth2WithoutIss is a server that predates RFC 9207.
func TestOAuth2Iss(t *testing.T) {
	s256q := url.Values{"code_challenge": {s256(verifier())}, "code_challenge_method": {"S256"}}
	issOf := func(a answer) (string, bool) {
		t.Helper()
		q := location(t, a).Query()
		_, has := q["iss"]
		return q.Get("iss"), has
	}
	s, _ := newTest(t, Options{})
	if a := get(t, s.URL+oauth2DiscoveryPath); a.JSON["authorization_response_iss_parameter_supported"] != true {
		t.Fatalf("metadata %s does not announce iss", a.Body)
	}
	s.IssNext(1, "https://evil.example")
	s.IssNext(1, "")
	for i, want := range []string{"https://evil.example", "", s.URL + "/oauth2"} {
		got, has := issOf(oauth2Authorize(t, s, OAuth2PublicClientID, s256q))
		if got != want || has != (want != "") {
			t.Errorf("response %d: iss %q (present %v), want %q", i, got, has, want)
		}
	}
	s.DenyNext(OAuth2, 1, "access_denied")
	a := oauth2Authorize(t, s, OAuth2PublicClientID, s256q)
	if q := location(t, a).Query(); q.Get("error") != "access_denied" || q.Get("iss") != s.URL+"/oauth2" {
		t.Errorf("error response %v, want error=access_denied with iss", q)
	}

	old, _ := newTest(t, Options{OAuth2WithoutIss: true})
	if a := get(t, old.URL+oauth2DiscoveryPath); a.JSON["authorization_response_iss_parameter_supported"] != nil {
		t.Fatalf("metadata %s announces iss", a.Body)
	}
	if got, has := issOf(oauth2Authorize(t, old, OAuth2PublicClientID, s256q)); has {
		t.Errorf("a server without iss sent iss=%q", got)
	}
	old.IssNext(1, "https://evil.example")
	if got, _ := issOf(oauth2Authorize(t, old, OAuth2PublicClientID, s256q)); got != "https://evil.example" {
		t.Errorf("IssNext on a server without iss: iss=%q", got)
	}
}
