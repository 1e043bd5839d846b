package flows_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/flows/oauth"
)

// TestServiceRefreshTimesOutTwice: a refresh that gets no answer
// is sent once more, then the connection needs a person: at most two
// requests, state "sign-in required", and the next flows.Token sends nothing.
func TestServiceRefreshTimesOutTwice(t *testing.T) {
	var hits atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	cfg, err := config.Parse("test.toml", []byte(`
[connections.idp]
provider = "oauth2"
flow = "authorization_code"
client_id = "c"
auth_url = "`+srv.URL+`/authorize"
token_url = "`+srv.URL+`/token"
redirect_uri = "http://127.0.0.1:0/callback"
`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	ms := newMemStore()
	ms.Update("idp", func(st *flows.State) error {
		st.Token = &flows.Token{AccessToken: "old-access-token", RefreshToken: "old-refresh-token", TokenType: "Bearer",
			ObtainedAt: now.Add(-2 * time.Hour), Expiry: now.Add(-time.Hour)}
		return nil
	})
	svc := flows.NewService(cfg, flows.Options{Store: ms, NewClient: oauth.New, Now: func() time.Time { return now }, RenewalDeadline: 100 * time.Millisecond})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := svc.Token(ctx, "idp", time.Minute); done <- err }()
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("flows.Token did not end")
	}
	if !errors.Is(err, flows.ErrSignInRequired) || !strings.Contains(err.Error(), "sent twice and never answered (timed out)") {
		t.Fatalf("err = %v", err)
	}
	if n := hits.Load(); n != 2 {
		t.Fatalf("%d refresh requests, want 2", n)
	}
	st, _ := ms.Load("idp")
	if !st.NeedsSignIn || st.LastError == "" {
		t.Fatalf("state after two silences: needs sign-in %v, last error %q", st.NeedsSignIn, st.LastError)
	}
	// No loop: the next calls say sign-in required without a request.
	for range 3 {
		if _, err := svc.Token(ctx, "idp", time.Minute); !errors.Is(err, flows.ErrSignInRequired) {
			t.Fatalf("next flows.Token: %v", err)
		}
		if _, err := svc.Renew(ctx, "idp"); !errors.Is(err, flows.ErrSignInRequired) {
			t.Fatalf("Renew: %v", err)
		}
	}
	if n := hits.Load(); n != 2 {
		t.Fatalf("%d refresh requests after sign-in required", n)
	}
	if c := flows.Assess(cfg.Connection("idp"), st, now); c.Condition != flows.SignInRequired {
		t.Errorf("condition %v", c.Condition)
	}
}
