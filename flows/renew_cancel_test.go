package flows_test

import (
	"context"
	"errors"
	"io"
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

// watchedStore signals each release of a renewal lock: the end of a
// renewal, failure records included.
type watchedStore struct {
	*memStore
	released chan struct{}
}

func (w *watchedStore) Lock(ctx context.Context, name string) (func(), error) {
	unlock, err := w.memStore.Lock(ctx, name)
	if err != nil {
		return nil, err
	}
	return func() { unlock(); w.released <- struct{}{} }, nil
}

// TestCancelledRenewalRecordsNothing: a renewal the caller cancels before
// its request has left (here: stuck in a TLS handshake) is not recorded as a
// failure of the connection, so the dashboard's next poll does not show it.
// One cancelled after its request was sent goes on: it is answered or times
// out by its own deadline, and that is recorded.
func TestCancelledRenewalRecordsNothing(t *testing.T) {
	cfgFor := func(url string) *flows.Config {
		cfg, err := config.Parse("test.toml", []byte(`
[connections.cc]
provider = "oauth2"
flow = "client_credentials"
client_id = "c"
client_secret = "secret-value-1"
token_url = "`+url+`"
`))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	ws := &watchedStore{memStore: newMemStore(), released: make(chan struct{}, 4)}
	waitReleased := func() {
		t.Helper()
		select {
		case <-ws.released:
		case <-time.After(10 * time.Second):
			t.Fatal("the renewal never ended")
		}
	}

	svc := flows.NewService(cfgFor(silentTLS(t)), flows.Options{Store: ws, NewClient: oauth.New})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := svc.Renew(ctx, "cc"); done <- err }()
	// Cancel once the renewal holds the lock and is dialling.
	for deadline := time.Now().Add(10 * time.Second); ; {
		if v, ok := ws.locks.Load("cc"); ok && len(v.(chan struct{})) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the renewal never took the lock")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	waitReleased()
	if st, _ := ws.Load("cc"); st.LastError != "" || len(st.Events) != 0 {
		t.Fatalf("a cancelled renewal was recorded: %q %v", st.LastError, st.Events)
	}

	arrived := make(chan struct{}, 4)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	svc = flows.NewService(cfgFor(srv.URL+"/token"), flows.Options{Store: ws, NewClient: oauth.New, RenewalDeadline: 300 * time.Millisecond})
	ctx, cancel = context.WithCancel(context.Background())
	go func() { _, err := svc.Renew(ctx, "cc"); done <- err }()
	<-arrived
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "answered and saved in the background") {
		t.Fatalf("err = %v", err)
	}
	waitReleased()
	if st, _ := ws.Load("cc"); st.LastError == "" || !strings.Contains(st.LastError, "no answer: timed out") {
		t.Fatalf("a renewal sent and never answered was not recorded: %q", st.LastError)
	}
}

// TestRenewalSharedAcrossCancel: callers in one process share a renewal,
// and one of them giving up does not stop it for the others: the renewal
// goes on, the other caller gets its token, and one request was sent.
func TestRenewalSharedAcrossCancel(t *testing.T) {
	arrived := make(chan struct{}, 4)
	release := make(chan struct{})
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		arrived <- struct{}{}
		<-release
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"shared-access-token","token_type":"bearer","expires_in":3600}`)
	}))
	defer srv.Close()
	cfg, err := config.Parse("test.toml", []byte(`
[connections.cc]
provider = "oauth2"
flow = "client_credentials"
client_id = "c"
client_secret = "secret-value-1"
token_url = "`+srv.URL+`/token"
`))
	if err != nil {
		t.Fatal(err)
	}
	svc := flows.NewService(cfg, flows.Options{Store: newMemStore(), NewClient: oauth.New})
	quitter, quit := context.WithCancel(context.Background())
	type result struct {
		tok *flows.Token
		err error
	}
	first, second := make(chan result, 1), make(chan result, 1)
	go func() { tok, err := svc.Token(quitter, "cc", time.Minute); first <- result{tok, err} }()
	<-arrived // the renewal is on the wire
	go func() { tok, err := svc.Token(context.Background(), "cc", time.Minute); second <- result{tok, err} }()
	quit()
	if r := <-first; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("the caller who gave up: %v", r.err)
	}
	close(release)
	r := <-second
	if r.err != nil || r.tok == nil || r.tok.AccessToken != "shared-access-token" {
		t.Fatalf("the caller who stayed: token %v, err %v", r.tok, r.err)
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}
