package providertest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func aerionPassword() url.Values {
	return url.Values{"grant_type": {"password"}, "username": {AerionUser}, "password": {AerionPassword}, "client_id": {"my-app"}, "client_secret": {"anything"}}
}

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
	s, _ := newTest(t, Options{Lifetime: map[string]time.Duration{Aerion: time.Minute}})
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

func aminoPost(t *testing.T, s *Server, contentType, body string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.AminoTokenURL(), strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	return do(t, req)
}

func aminoSignIn(user, password string) string {
	b, _ := json.Marshal(map[string]any{"data": map[string]any{"type": "AuthenticationTokens", "attributes": map[string]string{"username": user, "password": password}}})
	return string(b)
}

func aminoRenew(rt string) string {
	b, _ := json.Marshal(map[string]any{"data": map[string]any{"type": "AuthenticationTokens", "attributes": map[string]string{"grant_type": "refresh_token", "refresh_token": rt}}})
	return string(b)
}

type aminoAnswer struct {
	Data []struct {
		Type       string
		ID         string
		Attributes map[string]any
	}
	Errors []map[string]string
}

func decodeAmino(t *testing.T, a answer) aminoAnswer {
	t.Helper()
	var out aminoAnswer
	if err := json.Unmarshal([]byte(a.Body), &out); err != nil {
		t.Fatalf("%v: %s", err, a.Body)
	}
	if ct := a.Header.Get("Content-Type"); ct != AminoContentType {
		t.Errorf("Content-Type %q", ct)
	}
	return out
}

func TestAminoSignInAndRenewal(t *testing.T) {
	s, clk := newTest(t, Options{})
	now := clk.Now()
	a := aminoPost(t, s, AminoContentType, aminoSignIn(AminoUser, AminoPassword))
	got := decodeAmino(t, a)
	if a.Status != 200 || len(got.Data) != 1 || got.Data[0].Type != "AuthenticationTokens" || len(got.Data[0].ID) != 36 {
		t.Fatalf("sign-in: %d %s", a.Status, a.Body)
	}
	at := got.Data[0].Attributes
	if at["expires_at_timestamp"] != float64(now.Add(DefaultLifetime).Unix()) || at["login_timestamp"] != float64(now.Unix()) ||
		at["user_id"] != float64(AminoUserID) || at["user_profile_id"] != AminoUserProfileID || at["refresh_token"] == "" {
		t.Fatalf("attributes %v", at)
	}
	access := at["access_token"].(string)
	parts := strings.Split(access, ".")
	if len(parts) != 3 {
		t.Fatalf("access token %q does not look like a JWT", access)
	}
	claimsJSON, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct{ Exp int64 }
	_ = json.Unmarshal(claimsJSON, &claims)
	if claims.Exp <= now.Add(365*24*time.Hour).Unix() {
		t.Errorf("exp claim %d should disagree with expires_at_timestamp", claims.Exp)
	}
	if me := bearerGet(t, s.AminoCheckURL(), access); me.Status != 200 {
		t.Fatalf("me: %d", me.Status)
	}

	clk.Add(DefaultLifetime)
	if me := bearerGet(t, s.AminoCheckURL(), access); me.Status != 401 {
		t.Fatalf("expired by expires_at_timestamp, whatever exp says: %d", me.Status)
	}
	rt := at["refresh_token"].(string)
	r := aminoPost(t, s, AminoContentType, aminoRenew(rt))
	rg := decodeAmino(t, r)
	if r.Status != 200 || rg.Data[0].Attributes["refresh_token"] == rt || rg.Data[0].Attributes["login_timestamp"] != float64(now.Unix()) {
		t.Fatalf("renewal: %d %s", r.Status, r.Body)
	}
	e := aminoPost(t, s, AminoContentType, aminoRenew(rt))
	eg := decodeAmino(t, e)
	if e.Status != 401 || len(eg.Errors) != 1 || eg.Errors[0]["code"] != "invalid_grant" || eg.Errors[0]["status"] != "401" || eg.Errors[0]["title"] == "" {
		t.Fatalf("reused refresh token: %d %s", e.Status, e.Body)
	}
	if s.Count(Amino, "password") != 1 || s.Count(Amino, "refresh_token") != 2 {
		t.Errorf("counts %d %d", s.Count(Amino, "password"), s.Count(Amino, "refresh_token"))
	}
}

func TestAminoRefusals(t *testing.T) {
	s, _ := newTest(t, Options{})
	tests := map[string]struct {
		contentType, body string
		status            int
		code              string
	}{
		"plain JSON":     {"application/json", aminoSignIn(AminoUser, AminoPassword), 415, "unsupported_media_type"},
		"with charset":   {AminoContentType + "; charset=utf-8", aminoSignIn(AminoUser, AminoPassword), 415, "unsupported_media_type"},
		"wrong password": {AminoContentType, aminoSignIn(AminoUser, "x"), 401, "invalid_grant"},
		"malformed":      {AminoContentType, "{", 400, "invalid_request"},
		"wrong type":     {AminoContentType, `{"data":{"type":"Users","attributes":{}}}`, 400, "invalid_request"},
		"other grant":    {AminoContentType, `{"data":{"type":"AuthenticationTokens","attributes":{"grant_type":"client_credentials"}}}`, 400, "unsupported_grant_type"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			a := aminoPost(t, s, tt.contentType, tt.body)
			got := decodeAmino(t, a)
			if a.Status != tt.status || len(got.Errors) != 1 || got.Errors[0]["code"] != tt.code {
				t.Fatalf("got %d %s", a.Status, a.Body)
			}
		})
	}
}

func TestAminoRotationOff(t *testing.T) {
	s, _ := newTest(t, Options{NoRotation: map[string]bool{Amino: true}})
	rt := s.SeedRefreshToken(Amino, AminoUser)
	for range 2 {
		a := aminoPost(t, s, AminoContentType, aminoRenew(rt))
		got := decodeAmino(t, a)
		if a.Status != 200 || got.Data[0].Attributes["refresh_token"] != rt {
			t.Fatalf("got %d %s", a.Status, a.Body)
		}
	}
}
