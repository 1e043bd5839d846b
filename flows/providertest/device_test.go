package providertest

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

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
		s.setDeviceSlowDown(2)
		d := deviceStart(t, s)
		wantOAuthError(t, poll(t, s, d.str("device_code")), 400, "slow_down")
		wantOAuthError(t, poll(t, s, d.str("device_code")), 400, "slow_down")
		if a := poll(t, s, d.str("device_code")); a.Status != 200 {
			t.Fatalf("got %d %s", a.Status, a.Body)
		}
		s.setDevicePending(3)
		s.setDeviceInterval(4 * time.Second)
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
		clk.Add(deviceCodeLifetime)
		wantOAuthError(t, poll(t, s, d.str("device_code")), 400, "expired_token")
		d = deviceStart(t, s)
		s.DenyNext(OAuth2, 1, "access_denied")
		wantOAuthError(t, poll(t, s, d.str("device_code")), 400, "access_denied")
	})
	t.Run("confidential client with basic", func(t *testing.T) {
		s, _ := newTest(t, Options{DevicePending: -1})
		basic := []string{"Authorization", basicHeader(OAuth2ClientID, oauth2ClientSecret)}
		d := post(t, s.URL+oauth2DevicePath, url.Values{}, basic...)
		a := post(t, s.URL+oauth2TokenPath, url.Values{"grant_type": {DeviceCodeGrant}, "device_code": {d.str("device_code")}}, basic...)
		if a.Status != http.StatusOK {
			t.Fatalf("got %d %s", a.Status, a.Body)
		}
	})
}

// TestInteropDevice checks the device flow against golang.org/x/oauth2's
// DeviceAuth and DeviceAccessToken.
func TestInteropDevice(t *testing.T) {
	s, _ := newTest(t, Options{DevicePending: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := oauth2.Config{ClientID: OAuth2PublicClientID, Scopes: []string{"openid"},
		Endpoint: oauth2.Endpoint{DeviceAuthURL: s.URL + oauth2DevicePath, TokenURL: s.URL + oauth2TokenPath, AuthStyle: oauth2.AuthStyleInParams}}
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cfg.DeviceAccessToken(ctx, da)
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("%v %+v", err, tok)
	}
}
