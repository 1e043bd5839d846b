package flows

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
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

// TestCancelledRenewalRecordsNothing (issue #8): a renewal the caller
// cancels while the server hangs is not recorded as a failure of the
// connection, so the dashboard's next poll does not show it; a renewal that
// times out is.
func TestCancelledRenewalRecordsNothing(t *testing.T) {
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
	cfg, err := ParseConfig("test.toml", []byte(`
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
	ws := &watchedStore{memStore: newMemStore(), released: make(chan struct{}, 4)}
	svc := NewService(cfg, Options{Store: ws})
	waitReleased := func() {
		t.Helper()
		select {
		case <-ws.released:
		case <-time.After(10 * time.Second):
			t.Fatal("the renewal never ended")
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := svc.Renew(ctx, "cc"); done <- err }()
	<-arrived
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	waitReleased()
	if st, _ := ws.Load("cc"); st.LastError != "" || len(st.Events) != 0 {
		t.Fatalf("a cancelled renewal was recorded: %q %v", st.LastError, st.Events)
	}

	short, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	if _, err := svc.Renew(short, "cc"); err == nil {
		t.Fatal("no error from a hanging server")
	}
	waitReleased()
	if st, _ := ws.Load("cc"); st.LastError == "" {
		t.Fatal("a renewal that timed out was not recorded")
	}
}
