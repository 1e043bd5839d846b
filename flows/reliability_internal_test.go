package flows

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// memStore is an in-memory Store for tests inside the package (store.DB
// imports flows, so it cannot be used here).
type memStore struct {
	mu    sync.Mutex
	m     map[string]State
	rev   uint64
	locks sync.Map // name → chan struct{} of capacity 1
}

func newMemStore() *memStore { return &memStore{m: map[string]State{}} }

func (s *memStore) Load(name string) (State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[name].Clone(), nil
}

func (s *memStore) Update(name string, fn func(*State) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.m[name].Clone()
	if err := fn(&st); err != nil {
		return err
	}
	s.rev++
	st.Rev = s.rev
	s.m[name] = st
	return nil
}

func (s *memStore) Forget(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, name)
	s.rev++
	return nil
}

func (s *memStore) Lock(ctx context.Context, name string) (func(), error) {
	v, _ := s.locks.LoadOrStore(name, make(chan struct{}, 1))
	ch := v.(chan struct{})
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *memStore) Changed(mark uint64) (map[string]State, uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]State{}
	for k, v := range s.m {
		if v.Rev > mark {
			out[k] = v.Clone()
		}
	}
	return out, s.rev, nil
}

// TestServiceRefreshTimesOutTwice (issue #11): a refresh that gets no answer
// is sent once more, then the connection needs a person: at most two
// requests, state "sign-in required", and the next Token sends nothing.
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
	cfg, err := ParseConfig("test.toml", []byte(`
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
	ms.Update("idp", func(st *State) error {
		st.Token = &Token{AccessToken: "old-access-token", RefreshToken: "old-refresh-token", TokenType: "Bearer",
			ObtainedAt: now.Add(-2 * time.Hour), Expiry: now.Add(-time.Hour)}
		return nil
	})
	svc := NewService(cfg, Options{Store: ms, Now: func() time.Time { return now }})
	e, err := svc.endpoint(cfg.Connection("idp"))
	if err != nil {
		t.Fatal(err)
	}
	e.timeout = 100 * time.Millisecond
	var slept atomic.Int32
	e.sleep = func(ctx context.Context, d time.Duration) error { slept.Add(1); return ctx.Err() }

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := svc.Token(ctx, "idp", time.Minute); done <- err }()
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Token did not end")
	}
	if !errors.Is(err, ErrSignInRequired) || !strings.Contains(err.Error(), "sent twice and never answered (timed out)") {
		t.Fatalf("err = %v", err)
	}
	if n := hits.Load(); n != 2 {
		t.Fatalf("%d refresh requests, want 2", n)
	}
	if slept.Load() != 1 {
		t.Errorf("%d waits between attempts, want 1", slept.Load())
	}
	st, _ := ms.Load("idp")
	if !st.NeedsSignIn || st.LastError == "" {
		t.Fatalf("state after two silences: needs sign-in %v, last error %q", st.NeedsSignIn, st.LastError)
	}
	// No loop: the next calls say sign-in required without a request.
	for range 3 {
		if _, err := svc.Token(ctx, "idp", time.Minute); !errors.Is(err, ErrSignInRequired) {
			t.Fatalf("next Token: %v", err)
		}
		if _, err := svc.Renew(ctx, "idp"); !errors.Is(err, ErrSignInRequired) {
			t.Fatalf("Renew: %v", err)
		}
	}
	if n := hits.Load(); n != 2 {
		t.Fatalf("%d refresh requests after sign-in required", n)
	}
	if c := Assess(cfg.Connection("idp"), st, now); c.Condition != SignInRequired {
		t.Errorf("condition %v", c.Condition)
	}
}

// TestClockSkew (issue #15): the local clock is 10 minutes ahead of the
// server's Date. expires_in counts from the local send time, whatever the
// Date says; Amino's absolute expiry is corrected by the Date, so the token
// still has the hour the server meant.
func TestClockSkew(t *testing.T) {
	local := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	server := local.Add(-10 * time.Minute)
	date := server.Format(http.TimeFormat)

	h := http.Header{"Content-Type": {"application/json"}, "Date": {date}}
	tok, err := parseTokenResponse(200, h, []byte(`{"access_token":"a","token_type":"bearer","expires_in":3600}`), local, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Expiry.Equal(local.Add(time.Hour)) {
		t.Errorf("expires_in: expiry %v, want local send time + 1h (%v)", tok.Expiry, local.Add(time.Hour))
	}

	h = http.Header{"Content-Type": {aminoMediaType}, "Date": {date}}
	body := aminoDoc(`"access_token":"a","login_timestamp":` + itoa64(server.Unix()) + `,"expires_at_timestamp":` + itoa64(server.Add(time.Hour).Unix()))
	tok, err = parseAmino(200, h, []byte(body), local, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Expiry.Equal(local.Add(time.Hour)) {
		t.Errorf("absolute expiry %v, want %v: the server's Date must correct the local clock", tok.Expiry, local.Add(time.Hour))
	}
	// Without a Date the absolute expiry is read on the local clock: 50 min.
	h.Del("Date")
	tok, err = parseAmino(200, h, []byte(body), local, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Expiry.Equal(server.Add(time.Hour)) {
		t.Errorf("no Date: expiry %v, want %v", tok.Expiry, server.Add(time.Hour))
	}
}
