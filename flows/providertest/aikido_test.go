package providertest

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

func TestAikidoClientAuth(t *testing.T) {
	s, _ := newTest(t, Options{})
	cc := url.Values{"grant_type": {"client_credentials"}}
	withBody := url.Values{"grant_type": {"client_credentials"}, "client_id": {AikidoClientID}, "client_secret": {AikidoClientSecret}}
	tests := map[string]struct {
		form   url.Values
		header []string
		status int
		err    string
	}{
		"basic, form-encoded":         {cc, []string{"Authorization", basicHeader(AikidoClientID, AikidoClientSecret)}, 200, ""},
		"basic without form-encoding": {cc, []string{"Authorization", rawBasic(AikidoClientID, AikidoClientSecret)}, 401, "invalid_client"},
		"credentials in the body":     {withBody, nil, 401, "invalid_client"},
		"basic and body":              {withBody, []string{"Authorization", basicHeader(AikidoClientID, AikidoClientSecret)}, 401, "invalid_client"},
		"no credentials":              {cc, nil, 401, "invalid_client"},
		"wrong secret":                {cc, []string{"Authorization", basicHeader(AikidoClientID, "nope")}, 401, "invalid_client"},
		"unknown grant":               {url.Values{"grant_type": {"password"}}, []string{"Authorization", basicHeader(AikidoClientID, AikidoClientSecret)}, 400, "unsupported_grant_type"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			a := post(t, s.AikidoTokenURL(), tt.form, tt.header...)
			if tt.err != "" {
				wantOAuthError(t, a, tt.status, tt.err)
				return
			}
			if a.Status != 200 || a.str("access_token") == "" || a.JSON["expires_in"] != 90.0 || a.str("refresh_token") != "" {
				t.Fatalf("got %d %s", a.Status, a.Body)
			}
			if got := bearerGet(t, s.AikidoCheckURL(), a.str("access_token")); got.Status != 200 {
				t.Fatalf("workspace: %d %s", got.Status, got.Body)
			}
		})
	}
}

func TestAikidoSpecialCharacterCredentials(t *testing.T) {
	id, secret := "id with:colon%25+plus", "sec ret:%+/x"
	s, _ := newTest(t, Options{AikidoClients: map[string]string{id: secret}})
	a := post(t, s.AikidoTokenURL(), url.Values{"grant_type": {"client_credentials"}}, "Authorization", basicHeader(id, secret))
	if a.Status != 200 {
		t.Fatalf("got %d %s", a.Status, a.Body)
	}
	rec := s.Requests(Aikido)[0]
	if !rec.Basic || rec.BasicUser != id || rec.BasicPassword != secret {
		t.Errorf("recorded Basic %v %q %q", rec.Basic, rec.BasicUser, rec.BasicPassword)
	}
}

func TestAikidoAuthorizationCode(t *testing.T) {
	s, clk := newTest(t, Options{})
	auth := []string{"Authorization", basicHeader(AikidoClientID, AikidoClientSecret)}
	loc := location(t, get(t, s.AikidoAuthURL()+"?"+url.Values{"client_id": {AikidoClientID}, "state": {"xy"}, "redirect_uri": {loopback}}.Encode()))
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != loopback || loc.Query().Get("state") != "xy" || loc.Query().Get("code") == "" {
		t.Fatalf("redirect %s", loc)
	}
	code := loc.Query().Get("code")
	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {loopback}}
	a := post(t, s.AikidoTokenURL(), exchange, auth...)
	if a.Status != 200 || a.str("refresh_token") == "" || a.JSON["expires_in"] != 90.0 {
		t.Fatalf("exchange: %d %s", a.Status, a.Body)
	}
	t.Run("refresh rotates", func(t *testing.T) {
		rt := a.str("refresh_token")
		r1 := post(t, s.AikidoTokenURL(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, auth...)
		if r1.Status != 200 || r1.str("refresh_token") == "" || r1.str("refresh_token") == rt {
			t.Fatalf("refresh: %d %s", r1.Status, r1.Body)
		}
		wantOAuthError(t, post(t, s.AikidoTokenURL(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, auth...), 400, "invalid_grant")
		if got := s.Count(Aikido, "refresh_token"); got != 2 {
			t.Errorf("Count(refresh_token) = %d, want 2", got)
		}

		at := r1.str("access_token")
		if got := bearerGet(t, s.AikidoCheckURL(), at); got.Status != 200 {
			t.Fatalf("fresh token: %d", got.Status)
		}
		clk.Add(90 * time.Second)
		got := bearerGet(t, s.AikidoCheckURL(), at)
		if got.Status != 401 || !strings.Contains(got.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Fatalf("expired token: %d %q", got.Status, got.Header.Get("WWW-Authenticate"))
		}
	})

	t.Run("code is single-use and reuse revokes its tokens", func(t *testing.T) {
		loc := location(t, get(t, s.AikidoAuthURL()+"?"+url.Values{"client_id": {AikidoClientID}, "state": {"s"}, "redirect_uri": {loopback}}.Encode()))
		exchange := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {loopback}}
		a := post(t, s.AikidoTokenURL(), exchange, auth...)
		if got := bearerGet(t, s.AikidoCheckURL(), a.str("access_token")); got.Status != 200 {
			t.Fatalf("first exchange: %d %s", got.Status, a.Body)
		}
		wantOAuthError(t, post(t, s.AikidoTokenURL(), exchange, auth...), 400, "invalid_grant")
		if got := bearerGet(t, s.AikidoCheckURL(), a.str("access_token")); got.Status != 401 {
			t.Fatalf("token of a reused code still works: %d", got.Status)
		}
		refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {a.str("refresh_token")}}
		wantOAuthError(t, post(t, s.AikidoTokenURL(), refresh, auth...), 400, "invalid_grant")
	})

	t.Run("redirect_uri must match", func(t *testing.T) {
		loc := location(t, get(t, s.AikidoAuthURL()+"?"+url.Values{"client_id": {AikidoClientID}, "state": {"s"}, "redirect_uri": {loopback}}.Encode()))
		wrong := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {"http://127.0.0.1:1/other"}}
		wantOAuthError(t, post(t, s.AikidoTokenURL(), wrong, auth...), 400, "invalid_grant")
	})
}

func TestAikidoRegisteredRedirect(t *testing.T) {
	s, _ := newTest(t, Options{aikidoRedirectURI: loopback})
	// The document's authorize URL has only client_id and state.
	loc := location(t, get(t, s.AikidoAuthURL()+"?client_id="+url.QueryEscape(AikidoClientID)+"&state=xy"))
	if !strings.HasPrefix(loc.String(), loopback+"?") {
		t.Fatalf("redirect %s", loc)
	}
	a := get(t, s.AikidoAuthURL()+"?"+url.Values{"client_id": {AikidoClientID}, "redirect_uri": {"http://127.0.0.1:9/x"}}.Encode())
	if a.Status != http.StatusBadRequest || a.Header.Get("Location") != "" {
		t.Fatalf("mismatched redirect_uri: %d %s", a.Status, a.Header.Get("Location"))
	}
}

func TestAikidoRotationOff(t *testing.T) {
	s, _ := newTest(t, Options{})
	s.setRotation(Aikido, false)
	rt := s.SeedRefreshToken(Aikido, "someone")
	auth := []string{"Authorization", basicHeader(AikidoClientID, AikidoClientSecret)}
	for i := range 2 {
		a := post(t, s.AikidoTokenURL(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, auth...)
		if a.Status != 200 || a.str("access_token") == "" {
			t.Fatalf("refresh %d: %d %s", i, a.Status, a.Body)
		}
		if _, ok := a.JSON["refresh_token"]; ok {
			t.Fatalf("refresh %d: a refresh_token without rotation: %s", i, a.Body)
		}
	}
}

// TestInteropAikidoClientCredentials checks the fake against
// golang.org/x/oauth2's clientcredentials: Basic credentials encoded as RFC
// 6749 §2.3.1 says are taken, the same credentials in the body refused.
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
