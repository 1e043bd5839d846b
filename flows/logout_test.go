package flows_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/oauth"
	"tokentop/flows/providertest"
)

// TestLogoutRevokesUnsavedToken: a token renewed but not saved is the live
// one (the rotation retired the stored refresh token), so logging out must
// revoke it, not only the stored pair.
func TestLogoutRevokesUnsavedToken(t *testing.T) {
	e := newEnv(t, providertest.Options{}, idpConf+`flow = "authorization_code"`)
	fs := &flakyStore{DB: e.db}
	e.svc = flows.NewService(e.svc.Config(), flows.Options{NewClient: oauth.New, Store: fs, Now: e.clock.Now, RenewalDeadline: 200 * time.Millisecond})
	e.signInBrowser("idp")
	e.clock.Advance(2 * time.Hour)
	fs.failSaves.Store(true)
	live, err := e.svc.Token(e.ctx, "idp", time.Minute)
	var ns *flows.NotSavedError
	if live == nil || !errors.As(err, &ns) {
		t.Fatalf("token %v, err %v", live, err)
	}
	fs.failSaves.Store(false)
	if err := e.svc.Logout(e.ctx, "idp"); err != nil {
		t.Fatal(err)
	}
	revoked := map[string]bool{}
	for _, r := range e.fake.Requests(providertest.OAuth2) {
		if strings.HasSuffix(r.Path, "/revoke") {
			revoked[r.Form.Get("token")] = true
		}
	}
	if !revoked[live.RefreshToken] || !revoked[live.AccessToken] {
		t.Fatalf("logout did not revoke the live (unsaved) tokens: refresh %v, access %v", revoked[live.RefreshToken], revoked[live.AccessToken])
	}
	if _, err := e.svc.Token(e.ctx, "idp", 0); !errors.Is(err, flows.ErrSignInRequired) {
		t.Fatalf("token after logout: %v", err)
	}
}
