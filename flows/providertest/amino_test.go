package providertest

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

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
		at["user_id"] != float64(AminoUserID) || at["user_profile_id"] != aminoUserProfileID || at["refresh_token"] == "" {
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
	if me := bearerGet(t, s.URL+aminoCheckPath, access); me.Status != 200 {
		t.Fatalf("me: %d", me.Status)
	}

	clk.Add(DefaultLifetime)
	if me := bearerGet(t, s.URL+aminoCheckPath, access); me.Status != 401 {
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
	s, _ := newTest(t, Options{noRotation: map[string]bool{Amino: true}})
	rt := s.SeedRefreshToken(Amino, AminoUser)
	for range 2 {
		a := aminoPost(t, s, AminoContentType, aminoRenew(rt))
		got := decodeAmino(t, a)
		if a.Status != 200 || got.Data[0].Attributes["refresh_token"] != rt {
			t.Fatalf("got %d %s", a.Status, a.Body)
		}
	}
}
