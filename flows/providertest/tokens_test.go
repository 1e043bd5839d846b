package providertest

import (
	"net/url"
	"testing"
	"time"
)

func TestRevokeAll(t *testing.T) {
	s, _ := newTest(t, Options{})
	if a := bearerGet(t, s.ahaURL(AhaAccount)+"/api/v1/me", AhaAPIKey); a.Status != 200 {
		t.Fatal(a.Status)
	}
	rt := s.SeedRefreshToken(OAuth2, oauth2User)
	s.RevokeAll(OAuth2)
	wantOAuthError(t, post(t, s.URL+oauth2TokenPath, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}},
		"Authorization", basicHeader(OAuth2ClientID, oauth2ClientSecret)), 400, "invalid_grant")
}

func TestSeedAccessToken(t *testing.T) {
	s, clk := newTest(t, Options{})
	checks := map[string]string{
		Aikido: s.AikidoCheckURL(), Aha: s.ahaURL(AhaAccount) + "/api/v1/me", Aerion: s.AerionCheckURL(),
		Amino: s.URL + aminoCheckPath, OAuth2: s.URL + oauth2UserInfoPath,
	}
	for provider, check := range checks {
		t.Run(provider, func(t *testing.T) {
			tok := s.seedAccessToken(provider, "someone@example.com")
			if a := bearerGet(t, check, tok); a.Status != 200 {
				t.Fatalf("got %d %s", a.Status, a.Body)
			}
			for other, otherCheck := range checks {
				if other != provider && bearerGet(t, otherCheck, tok).Status != 401 {
					t.Errorf("a %s token works at %s", provider, other)
				}
			}
		})
	}
	if s.seedAccessToken("nope", "x") != "" || s.SeedRefreshToken(Aha, "x") != "" {
		t.Error("seeded a token for a provider without one")
	}
	tok := s.seedAccessToken(Aerion, AerionUser)
	clk.Add(AerionLifetime)
	if a := bearerGet(t, s.AerionCheckURL(), tok); a.Status != 401 {
		t.Errorf("after AerionLifetime: %d", a.Status)
	}
}

func TestRefreshLifetime(t *testing.T) {
	s, clk := newTest(t, Options{})
	s.setRefreshLifetime(OAuth2, time.Hour)
	rt := s.SeedRefreshToken(OAuth2, oauth2User)
	clk.Add(time.Hour)
	wantOAuthError(t, post(t, s.URL+oauth2TokenPath, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}},
		"Authorization", basicHeader(OAuth2ClientID, oauth2ClientSecret)), 400, "invalid_grant")
}
