package providertest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestOAuth2Discovery(t *testing.T) {
	s, _ := newTest(t, Options{})
	a := get(t, s.OAuth2Issuer()+"/.well-known/openid-configuration")
	want := map[string]string{
		"issuer":                        s.URL + "/oauth2",
		"authorization_endpoint":        s.OAuth2AuthURL(),
		"token_endpoint":                s.OAuth2TokenURL(),
		"revocation_endpoint":           s.OAuth2RevokeURL(),
		"device_authorization_endpoint": s.OAuth2DeviceURL(),
		"userinfo_endpoint":             s.OAuth2CheckURL(),
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
	body := url.Values{"grant_type": {"client_credentials"}, "client_id": {OAuth2ClientID}, "client_secret": {OAuth2ClientSecret}}
	basic := []string{"Authorization", basicHeader(OAuth2ClientID, OAuth2ClientSecret)}
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
		"raw basic":         {cc, []string{"Authorization", rawBasic(OAuth2ClientID, OAuth2ClientSecret)}, 401, "invalid_client"},
		"wrong secret":      {url.Values{"grant_type": {"client_credentials"}, "client_id": {OAuth2ClientID}, "client_secret": {"x"}}, nil, 401, "invalid_client"},
		"public client":     {url.Values{"grant_type": {"client_credentials"}, "client_id": {OAuth2PublicClientID}}, nil, 400, "unauthorized_client"},
		"password grant":    {url.Values{"grant_type": {"password"}, "username": {OAuth2User}, "password": {OAuth2Password}}, basic, 200, ""},
		"wrong password":    {url.Values{"grant_type": {"password"}, "username": {OAuth2User}, "password": {"x"}}, basic, 400, "invalid_grant"},
		"no grant_type":     {url.Values{}, basic, 400, "invalid_request"},
		"unsupported grant": {url.Values{"grant_type": {"implicit"}}, basic, 400, "unsupported_grant_type"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			a := post(t, s.OAuth2TokenURL(), tt.form, tt.header...)
			if tt.err != "" {
				wantOAuthError(t, a, tt.status, tt.err)
				return
			}
			if a.Status != 200 || a.str("token_type") != "Bearer" || a.JSON["expires_in"] != 90.0 {
				t.Fatalf("got %d %s", a.Status, a.Body)
			}
			if u := bearerGet(t, s.OAuth2CheckURL(), a.str("access_token")); u.Status != 200 {
				t.Fatalf("userinfo: %d", u.Status)
			}
		})
	}
}

func oauth2Authorize(t *testing.T, s *Server, client string, extra url.Values) answer {
	t.Helper()
	q := url.Values{"client_id": {client}, "redirect_uri": {loopback}, "response_type": {"code"}, "state": {"st"}, "scope": {"openid"}}
	for k, v := range extra {
		q[k] = v
	}
	return get(t, s.OAuth2AuthURL()+"?"+q.Encode())
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
		a := post(t, s.OAuth2TokenURL(), exchange(codeOf(oauth2Authorize(t, s, OAuth2PublicClientID, s256q)), v))
		if a.Status != 200 || a.str("refresh_token") == "" || a.str("scope") != "openid" {
			t.Fatalf("got %d %s", a.Status, a.Body)
		}
	})
	t.Run("wrong verifier", func(t *testing.T) {
		code := codeOf(oauth2Authorize(t, s, OAuth2PublicClientID, s256q))
		wantOAuthError(t, post(t, s.OAuth2TokenURL(), exchange(code, strings.Repeat("b", 43))), 400, "invalid_grant")
	})
	t.Run("missing verifier", func(t *testing.T) {
		code := codeOf(oauth2Authorize(t, s, OAuth2PublicClientID, s256q))
		wantOAuthError(t, post(t, s.OAuth2TokenURL(), exchange(code, "")), 400, "invalid_grant")
	})
	t.Run("verifier without challenge", func(t *testing.T) {
		code := codeOf(oauth2Authorize(t, s, OAuth2ClientID, nil))
		f := exchange(code, v)
		f.Set("client_id", OAuth2ClientID)
		f.Set("client_secret", OAuth2ClientSecret)
		wantOAuthError(t, post(t, s.OAuth2TokenURL(), f), 400, "invalid_grant")
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
	basic := []string{"Authorization", basicHeader(OAuth2ClientID, OAuth2ClientSecret)}
	a := post(t, s.OAuth2TokenURL(), url.Values{"grant_type": {"password"}, "username": {OAuth2User}, "password": {OAuth2Password}}, basic...)
	rt := a.str("refresh_token")
	r := post(t, s.OAuth2TokenURL(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, basic...)
	if r.Status != 200 || r.str("refresh_token") == "" || r.str("refresh_token") == rt {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	}
	wantOAuthError(t, post(t, s.OAuth2TokenURL(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, basic...), 400, "invalid_grant")

	// RFC 7009: revoking the refresh token ends its access tokens too.
	if v := post(t, s.OAuth2RevokeURL(), url.Values{"token": {r.str("refresh_token")}, "token_type_hint": {"refresh_token"}}, basic...); v.Status != 200 {
		t.Fatalf("revoke: %d %s", v.Status, v.Body)
	}
	u := bearerGet(t, s.OAuth2CheckURL(), r.str("access_token"))
	if u.Status != 401 || !strings.Contains(u.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("userinfo after revocation: %d %v", u.Status, u.Header)
	}
	wantOAuthError(t, post(t, s.OAuth2TokenURL(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.str("refresh_token")}}, basic...), 400, "invalid_grant")
	if v := post(t, s.OAuth2RevokeURL(), url.Values{"token": {"unknown"}}, basic...); v.Status != 200 {
		t.Fatalf("revoking an unknown token: %d", v.Status)
	}
	wantOAuthError(t, post(t, s.OAuth2RevokeURL(), url.Values{"token": {"x"}, "client_id": {OAuth2ClientID}, "client_secret": {"wrong"}}), 401, "invalid_client")
}

func deviceStart(t *testing.T, s *Server) answer {
	t.Helper()
	a := post(t, s.OAuth2DeviceURL(), url.Values{"client_id": {OAuth2PublicClientID}, "scope": {"openid"}})
	if a.Status != 200 {
		t.Fatalf("device: %d %s", a.Status, a.Body)
	}
	for _, k := range []string{"device_code", "user_code", "verification_uri", "verification_uri_complete"} {
		if a.str(k) == "" {
			t.Fatalf("%s missing: %s", k, a.Body)
		}
	}
	if a.JSON["expires_in"] != 600.0 || a.JSON["interval"] == nil {
		t.Fatalf("device answer %s", a.Body)
	}
	return a
}

func poll(t *testing.T, s *Server, deviceCode string) answer {
	t.Helper()
	return post(t, s.OAuth2TokenURL(), url.Values{"grant_type": {DeviceCodeGrant}, "device_code": {deviceCode}, "client_id": {OAuth2PublicClientID}})
}

func TestOAuth2Device(t *testing.T) {
	t.Run("pending once by default", func(t *testing.T) {
		s, _ := newTest(t, Options{})
		d := deviceStart(t, s)
		wantOAuthError(t, poll(t, s, d.str("device_code")), 400, "authorization_pending")
		if a := poll(t, s, d.str("device_code")); a.Status != 200 || a.str("refresh_token") == "" {
			t.Fatalf("second poll: %d %s", a.Status, a.Body)
		}
		wantOAuthError(t, poll(t, s, d.str("device_code")), 400, "invalid_grant")
		if n := s.Count(OAuth2, DeviceCodeGrant); n != 3 {
			t.Errorf("Count = %d", n)
		}
	})
	t.Run("knobs", func(t *testing.T) {
		s, _ := newTest(t, Options{DevicePending: -1})
		s.SetDeviceSlowDown(2)
		d := deviceStart(t, s)
		wantOAuthError(t, poll(t, s, d.str("device_code")), 400, "slow_down")
		wantOAuthError(t, poll(t, s, d.str("device_code")), 400, "slow_down")
		if a := poll(t, s, d.str("device_code")); a.Status != 200 {
			t.Fatalf("got %d %s", a.Status, a.Body)
		}
		s.SetDevicePending(3)
		s.SetDeviceInterval(4 * time.Second)
		d = deviceStart(t, s)
		if d.JSON["interval"] != 4.0 {
			t.Errorf("interval %v", d.JSON["interval"])
		}
		for range 3 {
			wantOAuthError(t, poll(t, s, d.str("device_code")), 400, "authorization_pending")
		}
		if a := poll(t, s, d.str("device_code")); a.Status != 200 {
			t.Fatalf("got %d %s", a.Status, a.Body)
		}
	})
	t.Run("verification_uri_complete approves", func(t *testing.T) {
		s, _ := newTest(t, Options{DevicePending: 5})
		d := deviceStart(t, s)
		if err := Browse(t.Context(), d.str("verification_uri_complete")); err != nil {
			t.Fatal(err)
		}
		if a := poll(t, s, d.str("device_code")); a.Status != 200 {
			t.Fatalf("got %d %s", a.Status, a.Body)
		}
	})
	t.Run("expired and denied", func(t *testing.T) {
		s, clk := newTest(t, Options{})
		d := deviceStart(t, s)
		clk.Add(DeviceCodeLifetime)
		wantOAuthError(t, poll(t, s, d.str("device_code")), 400, "expired_token")
		d = deviceStart(t, s)
		s.DenyNext(OAuth2, 1, "access_denied")
		wantOAuthError(t, poll(t, s, d.str("device_code")), 400, "access_denied")
	})
	t.Run("confidential client with basic", func(t *testing.T) {
		s, _ := newTest(t, Options{DevicePending: -1})
		basic := []string{"Authorization", basicHeader(OAuth2ClientID, OAuth2ClientSecret)}
		d := post(t, s.OAuth2DeviceURL(), url.Values{}, basic...)
		a := post(t, s.OAuth2TokenURL(), url.Values{"grant_type": {DeviceCodeGrant}, "device_code": {d.str("device_code")}}, basic...)
		if a.Status != http.StatusOK {
			t.Fatalf("got %d %s", a.Status, a.Body)
		}
	})
}

func TestRefreshLifetime(t *testing.T) {
	s, clk := newTest(t, Options{})
	s.SetRefreshLifetime(OAuth2, time.Hour)
	rt := s.SeedRefreshToken(OAuth2, OAuth2User)
	clk.Add(time.Hour)
	wantOAuthError(t, post(t, s.OAuth2TokenURL(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}},
		"Authorization", basicHeader(OAuth2ClientID, OAuth2ClientSecret)), 400, "invalid_grant")
}
