package oauth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"tokentop/flows"
	"tokentop/flows/fault"
)

func TestDeviceAuth(t *testing.T) {
	tests := map[string]struct {
		status   int
		body     string
		err      string
		interval time.Duration
		life     time.Duration
		complete string
	}{
		"rfc example":                {200, `{"device_code":"GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS","user_code":"WDJB-MJHT","verification_uri":"https://example.com/device","verification_uri_complete":"https://example.com/device?user_code=WDJB-MJHT","expires_in":1800,"interval":5}`, "", 5 * time.Second, 30 * time.Minute, "https://example.com/device?user_code=WDJB-MJHT"},
		"defaults":                   {200, `{"device_code":"dc-123456","user_code":"ABCD","verification_url":"https://example.com/device"}`, "", 5 * time.Second, 10 * time.Minute, ""},
		"interval capped":            {200, `{"device_code":"dc-123456","user_code":"ABCD","verification_uri":"https://example.com/device","expires_in":600,"interval":"3600"}`, "", time.Minute, 10 * time.Minute, ""},
		"complete not https dropped": {200, `{"device_code":"dc-123456","user_code":"ABCD","verification_uri":"https://example.com/device","verification_uri_complete":"http://evil.example/x","expires_in":600}`, "", 5 * time.Second, 10 * time.Minute, ""},
		"uri not https":              {200, `{"device_code":"dc-123456","user_code":"ABCD","verification_uri":"http://evil.example/device"}`, "verification_uri is not an https URL", 0, 0, ""},
		"uri with escape":            {200, `{"device_code":"dc-123456","user_code":"ABCD","verification_uri":"https://example.com/\u001b[2J"}`, "verification_uri is not an https URL", 0, 0, ""},
		"no device_code":             {200, `{"user_code":"ABCD","verification_uri":"https://example.com/device"}`, "missing device_code", 0, 0, ""},
		"error":                      {400, `{"error":"invalid_client"}`, "invalid_client", 0, 0, ""},
		"html":                       {200, `<html><title>Login</title>`, "device authorization endpoint returned HTML (HTTP 200): check device_url or proxy", 0, 0, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newRecorder(t, answer(tc.status, tc.body))
			te := newTestEndpoint(t, &flows.Connection{Provider: flows.OAuth2, ClientID: "dev-client", DeviceURL: srv.URL + "/device_authorization", Scopes: []string{"openid", "profile"}})
			da, err := te.DeviceAuth(context.Background())
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := srv.last(t)
			if r.Method != "POST" || r.Path != "/device_authorization" {
				t.Errorf("%s %s", r.Method, r.Path)
			}
			wantForm(t, form(t, r), map[string]string{"client_id": "dev-client", "scope": "openid profile"})
			if da.Interval != tc.interval || !da.ExpiresAt.Equal(testNow.Add(tc.life)) || da.VerificationURIComplete != tc.complete || da.VerificationURI != "https://example.com/device" {
				t.Errorf("device auth %+v", *da)
			}
		})
	}
}

// TestDevicePoll walks the RFC 8628 §3.5 answers with a fake sleep and a
// fake clock: no real waiting.
func TestDevicePoll(t *testing.T) {
	pending := answer(400, `{"error":"authorization_pending"}`)
	slow := answer(400, `{"error":"slow_down"}`)
	ok := answer(200, okToken)
	tests := map[string]struct {
		answers []func(http.ResponseWriter, *http.Request, []byte)
		sleeps  []time.Duration
		err     string
		code    string
	}{
		"pending then ok":     {[]func(http.ResponseWriter, *http.Request, []byte){pending, pending, ok}, []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second}, "", ""},
		"slow_down adds 5s":   {[]func(http.ResponseWriter, *http.Request, []byte){slow, pending, slow, ok}, []time.Duration{5 * time.Second, 10 * time.Second, 10 * time.Second, 15 * time.Second}, "", ""},
		"no answer backs off": {[]func(http.ResponseWriter, *http.Request, []byte){hangup, ok}, []time.Duration{5 * time.Second, 10 * time.Second}, "", ""},
		"access_denied":       {[]func(http.ResponseWriter, *http.Request, []byte){pending, answer(400, `{"error":"access_denied"}`)}, []time.Duration{5 * time.Second, 5 * time.Second}, "access_denied", "access_denied"},
		"expired_token":       {[]func(http.ResponseWriter, *http.Request, []byte){answer(400, `{"error":"expired_token"}`)}, []time.Duration{5 * time.Second}, "expired_token", "expired_token"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			i := 0
			srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request, b []byte) {
				mu.Lock()
				h := tc.answers[min(i, len(tc.answers)-1)]
				i++
				mu.Unlock()
				h(w, r, b)
			})
			te := newTestEndpoint(t, &flows.Connection{Provider: flows.OAuth2, ClientID: "dev-client", TokenURL: srv.URL + "/token"})
			da := &flows.DeviceAuth{DeviceCode: "device-code-secret", UserCode: "WDJB-MJHT", Interval: 5 * time.Second, ExpiresAt: testNow.Add(time.Hour)}
			tok, err := te.DevicePoll(context.Background(), da)
			if got := te.slept(); !equalDurations(got, tc.sleeps) {
				t.Errorf("slept %v, want %v", got, tc.sleeps)
			}
			if tc.err != "" {
				var pe *fault.ProviderError
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.As(err, &pe) || pe.Code != tc.code || pe.Hint == "" {
					t.Fatalf("err = %#v", err)
				}
				return
			}
			if err != nil || tok.AccessToken != "new-access-token" {
				t.Fatalf("tok %v err %v", tok, err)
			}
			for _, r := range srv.requests() {
				wantForm(t, form(t, r), map[string]string{"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": "device-code-secret", "client_id": "dev-client"})
			}
			assertNoSecrets(t, "log", te.logBuf.String(), "device-code-secret")
		})
	}
}

func TestDevicePollExpiresAndCancels(t *testing.T) {
	srv := newRecorder(t, answer(400, `{"error":"authorization_pending"}`))
	te := newTestEndpoint(t, &flows.Connection{Provider: flows.OAuth2, ClientID: "c", TokenURL: srv.URL})
	// The fake clock advances a minute per sleep; the code lives 3 minutes.
	clock := testNow
	te.now = func() time.Time { return clock }
	te.sleep = func(ctx context.Context, d time.Duration) error { clock = clock.Add(time.Minute); return ctx.Err() }
	_, err := te.DevicePoll(context.Background(), &flows.DeviceAuth{DeviceCode: "dc-123456", Interval: 5 * time.Second, ExpiresAt: testNow.Add(3 * time.Minute)})
	var pe *fault.ProviderError
	if !errors.As(err, &pe) || pe.Code != "expired_token" {
		t.Fatalf("err = %v", err)
	}
	if n := len(srv.requests()); n != 2 {
		t.Errorf("%d polls, want 2", n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	polls := 0
	te.sleep = func(ctx context.Context, d time.Duration) error {
		polls++
		if polls == 3 {
			cancel()
		}
		return ctx.Err()
	}
	te.now = func() time.Time { return testNow }
	_, err = te.DevicePoll(ctx, &flows.DeviceAuth{DeviceCode: "dc-123456", Interval: 5 * time.Second, ExpiresAt: testNow.Add(time.Hour)})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}
