package oauth

import (
	"context"
	"net/http"
	"testing"
	"time"
	"tokentop/flows"
	"tokentop/flows/secret"
)

// A client credentials grant or a health check against a server that never
// answers ends within one call deadline (30 s in use; shortened here), retries
// included: the deadline bounds the whole call, not each attempt.
func TestIdempotentCallHasOneDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	te := newTestEndpoint(t, &flows.Connection{Provider: flows.OAuth2, ClientID: "c", ClientSecret: secret.New("secret-value"),
		TokenURL: srv.URL + "/token", CheckURL: srv.URL + "/me"})
	te.timeout = 300 * time.Millisecond
	te.sleep = sleepCtx // real waits, bounded by the deadline
	for name, call := range map[string]func() error{
		"client_credentials": func() error { _, err := te.ClientCredentials(context.Background()); return err },
		"check": func() error {
			_, err := te.Check(context.Background(), &flows.Token{AccessToken: "access-value"})
			return err
		},
	} {
		before := len(srv.requests())
		start := time.Now()
		err := call()
		took := time.Since(start)
		if err == nil {
			t.Fatalf("%s: no error from a server that never answers", name)
		}
		if took > 2*time.Second {
			t.Fatalf("%s: took %v, want about one deadline (300ms)", name, took)
		}
		if n := len(srv.requests()) - before; n != 1 {
			t.Fatalf("%s: %d requests; the deadline leaves no time for a retry", name, n)
		}
	}
}
