package providertest

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestAerionTokenRequests(t *testing.T) {
	s, _ := newTest(t, Options{})
	without := func(k string) url.Values { f := aerionPassword(); f.Del(k); return f }
	tests := map[string]struct {
		form   url.Values
		header []string
		status int
		err    string
	}{
		"companyurl":           {aerionPassword(), []string{"companyurl", AerionTenant}, 200, ""},
		"companyurl bare host": {aerionPassword(), []string{"companyurl", "ACME.aerion.app"}, 200, ""},
		"origin":               {aerionPassword(), []string{"Origin", AerionTenant}, 200, ""},
		"referer with a path":  {aerionPassword(), []string{"Referer", AerionTenant + "/login?x=1"}, 200, ""},
		"no tenant header":     {aerionPassword(), nil, 400, "invalid_request"},
		"unknown tenant":       {aerionPassword(), []string{"companyurl", "https://other.aerion.app"}, 400, "invalid_request"},
		"no client_id":         {without("client_id"), []string{"companyurl", AerionTenant}, 400, "invalid_request"},
		"no client_secret":     {without("client_secret"), []string{"companyurl", AerionTenant}, 400, "invalid_request"},
		"wrong password": {
			url.Values{"grant_type": {"password"}, "username": {AerionUser}, "password": {"x"}, "client_id": {"a"}, "client_secret": {"b"}},
			[]string{"companyurl", AerionTenant}, 400, "invalid_grant",
		},
		"client_credentials": {url.Values{"grant_type": {"client_credentials"}, "client_id": {"a"}, "client_secret": {"b"}}, []string{"companyurl", AerionTenant}, 400, "unsupported_grant_type"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			a := post(t, s.AerionTokenURL(), tt.form, tt.header...)
			if tt.err != "" {
				wantOAuthError(t, a, tt.status, tt.err)
				if name == "no tenant header" && !strings.Contains(a.str("error_description"), "unknown tenant") {
					t.Errorf("description %q", a.str("error_description"))
				}
				return
			}
			if a.Status != 200 || a.JSON["expires_in"] != 3600.0 || a.str("refresh_token") == "" {
				t.Fatalf("got %d %s", a.Status, a.Body)
			}
			me := bearerGet(t, s.AerionCheckURL(), a.str("access_token"))
			if me.Status != 200 || me.str("email") != AerionUser {
				t.Fatalf("me: %d %s", me.Status, me.Body)
			}
		})
	}
}

func TestAerionRefresh(t *testing.T) {
	s, _ := newTest(t, Options{lifetime: map[string]time.Duration{Aerion: time.Minute}})
	tenant := []string{"companyurl", AerionTenant}
	a := post(t, s.AerionTokenURL(), aerionPassword(), tenant...)
	if a.JSON["expires_in"] != 60.0 {
		t.Fatalf("lifetime knob: %s", a.Body)
	}
	refresh := func(rt string) url.Values {
		return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"my-app"}, "client_secret": {"x"}}
	}
	rt := a.str("refresh_token")
	wantOAuthError(t, post(t, s.AerionTokenURL(), refresh(rt)), 400, "invalid_request") // tenant header missing
	f := refresh(rt)
	f.Del("client_secret")
	wantOAuthError(t, post(t, s.AerionTokenURL(), f, tenant...), 400, "invalid_request")
	r := post(t, s.AerionTokenURL(), refresh(rt), tenant...)
	if r.Status != 200 || r.str("refresh_token") == rt {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	}
	wantOAuthError(t, post(t, s.AerionTokenURL(), refresh(rt), tenant...), 400, "invalid_grant")

	// A refresh token from a web SSO login seeds an integration.
	seeded := s.SeedRefreshToken(Aerion, AerionUser)
	if r := post(t, s.AerionTokenURL(), refresh(seeded), tenant...); r.Status != 200 {
		t.Fatalf("seeded: %d %s", r.Status, r.Body)
	}
	if got := s.Count(Aerion, "refresh_token"); got != 5 {
		t.Errorf("Count = %d, want 5", got)
	}
}

// FuzzTenantKey checks what the tenant check relies on: a companyurl,
// origin or referer header (any text) reduces to a lower-case host or to
// nothing, and a host names the same tenant whether it comes bare or as a
// URL, in any case, with a port, path, query or surrounding space.
func FuzzTenantKey(f *testing.F) {
	f.Add("https://acme.aerion.app/")
	f.Add("acme.aerion.app")
	f.Add("ACME.Aerion.App")
	f.Add("http://acme.aerion.app:8443/login?next=/")
	f.Add("://")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		k := tenantKey(raw)
		if k != strings.ToLower(k) || strings.ContainsAny(k, "/?#@ \t\n") {
			t.Fatalf("tenantKey(%q) = %q, not a lower-case host", raw, k)
		}

		// A host made of the input's letters, digits, dots and dashes.
		host := strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-':
				return r
			case r >= 'A' && r <= 'Z':
				return r + 'a' - 'A'
			}
			return -1
		}, raw)
		if host == "" {
			return
		}
		for _, form := range []string{
			host,
			strings.ToUpper(host),
			"https://" + host,
			"https://" + strings.ToUpper(host) + "/",
			"  http://" + host + ":8443/login?next=/#top\t",
		} {
			if got := tenantKey(form); got != host {
				t.Fatalf("tenantKey(%q) = %q, want %q", form, got, host)
			}
		}
	})
}
