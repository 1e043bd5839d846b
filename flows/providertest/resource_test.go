package providertest

import (
	"net/url"
	"reflect"
	"testing"
)

const (
	apiA = "https://api.example.com"
	apiB = "https://ledger.example.com/v1"
)

// TestOAuth2ResourceCode: the resources of the authorization request become
// the audience of the code's tokens, a token request may narrow them but
// not widen them, and a refresh keeps what the refresh token was granted.
func TestOAuth2ResourceCode(t *testing.T) {
	s, _ := newTest(t, Options{})
	code := func() string {
		t.Helper()
		loc := location(t, oauth2Authorize(t, s, OAuth2ClientID, url.Values{"resource": {apiA, apiB}}))
		if loc.Query().Get("code") == "" {
			t.Fatalf("no code: %s", loc)
		}
		return loc.Query().Get("code")
	}
	exchange := func(code string, resource ...string) answer {
		f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {loopback}}
		if resource != nil {
			f["resource"] = resource
		}
		return post(t, s.URL+oauth2TokenPath, f, "Authorization", basicHeader(OAuth2ClientID, oauth2ClientSecret))
	}

	a := exchange(code())
	if a.Status != 200 || !reflect.DeepEqual(a.JSON["aud"], []any{apiA, apiB}) {
		t.Fatalf("code without resource: %d %s, want aud [%s %s]", a.Status, a.Body, apiA, apiB)
	}
	refresh := post(t, s.URL+oauth2TokenPath, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {a.str("refresh_token")}, "resource": {apiB}},
		"Authorization", basicHeader(OAuth2ClientID, oauth2ClientSecret))
	if refresh.Status != 200 || refresh.JSON["aud"] != apiB {
		t.Fatalf("narrowing refresh: %d %s, want aud %q", refresh.Status, refresh.Body, apiB)
	}
	if a := exchange(code(), apiA); a.Status != 200 || a.JSON["aud"] != apiA {
		t.Fatalf("narrowed code: %d %s, want aud %q", a.Status, a.Body, apiA)
	}
	wantOAuthError(t, exchange(code(), "https://other.example.com"), 400, "invalid_target")
}

func TestOAuth2ResourceRefused(t *testing.T) {
	s, _ := newTest(t, Options{OAuth2Resources: []string{apiA}})
	cc := func(resource ...string) answer {
		return post(t, s.URL+oauth2TokenPath, url.Values{"grant_type": {"client_credentials"}, "resource": resource},
			"Authorization", basicHeader(OAuth2ClientID, oauth2ClientSecret))
	}
	for name, res := range map[string][]string{
		"relative":   {"api.example.com"},
		"fragment":   {apiA + "#x"},
		"repeated":   {apiA, apiA},
		"unknown":    {apiB},
		"one of two": {apiA, apiB},
	} {
		t.Run(name, func(t *testing.T) { wantOAuthError(t, cc(res...), 400, "invalid_target") })
	}
	if a := cc(apiA); a.Status != 200 || a.JSON["aud"] != apiA {
		t.Fatalf("known resource: %d %s", a.Status, a.Body)
	}
	if a := cc(); a.Status != 200 || a.JSON["aud"] != nil {
		t.Fatalf("no resource: %d %s, want no aud", a.Status, a.Body)
	}
	loc := location(t, oauth2Authorize(t, s, OAuth2ClientID, url.Values{"resource": {apiB}}))
	if loc.Query().Get("error") != "invalid_target" || loc.Query().Get("code") != "" {
		t.Fatalf("authorize with an unknown resource: %s", loc)
	}
	d := post(t, s.URL+oauth2DevicePath, url.Values{"client_id": {OAuth2PublicClientID}, "resource": {apiB}})
	wantOAuthError(t, d, 400, "invalid_target")
}

// TestOAuth2ResourceDevice: the device authorization's resources are the
// audience of the token its poll gets.
func TestOAuth2ResourceDevice(t *testing.T) {
	s, _ := newTest(t, Options{DevicePending: -1})
	d := post(t, s.URL+oauth2DevicePath, url.Values{"client_id": {OAuth2PublicClientID}, "resource": {apiA}})
	if d.Status != 200 {
		t.Fatalf("device: %d %s", d.Status, d.Body)
	}
	if a := poll(t, s, d.str("device_code")); a.Status != 200 || a.JSON["aud"] != apiA {
		t.Fatalf("poll: %d %s, want aud %q", a.Status, a.Body, apiA)
	}
}
