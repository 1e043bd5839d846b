package flows_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
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
