package flows_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/flows/oauth"
)

// swapServer is a token and check endpoint that counts requests by path and
// holds the first request to /token until released.
type swapServer struct {
	*httptest.Server
	arrived chan struct{}
	release chan struct{}

	mu   sync.Mutex
	hits map[string]int
}

func newSwapServer(t *testing.T) *swapServer {
	s := &swapServer{arrived: make(chan struct{}, 1), release: make(chan struct{}), hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		n := s.hits[r.URL.Path]
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(r.URL.Path, "/check") {
			fmt.Fprint(w, `{}`)
			return
		}
		if r.URL.Path == "/token" && n == 1 {
			s.arrived <- struct{}{}
			select {
			case <-s.release:
			case <-r.Context().Done():
				return
			}
		}
		fmt.Fprintf(w, `{"access_token":"at-%s-%d","token_type":"bearer","expires_in":3600}`, strings.TrimPrefix(r.URL.Path, "/"), n)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *swapServer) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// swapConfig parses client-credentials connections, each given as {name,
// token path, check path} on base.
func swapConfig(t *testing.T, base string, conns ...[3]string) *flows.Config {
	t.Helper()
	var b strings.Builder
	for _, c := range conns {
		fmt.Fprintf(&b, "[connections.%s]\nprovider = \"oauth2\"\nflow = \"client_credentials\"\nclient_id = \"c\"\nclient_secret = \"swap-secret\"\ntoken_url = \"%s%s\"\ncheck_url = \"%s%s\"\n\n", c[0], base, c[1], base, c[2])
	}
	cfg, err := config.Parse("swap.toml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestSetConfigDuringRenewal: a renewal blocked at the provider while the
// configuration is swapped finishes with the Connection it started with and
// is saved with that origin; the next renewal and check of the connection go
// to its new URLs, a connection added is usable and one removed is unknown.
func TestSetConfigDuringRenewal(t *testing.T) {
	srv := newSwapServer(t)
	before := swapConfig(t, srv.URL, [3]string{"cc", "/token", "/check-old"}, [3]string{"gone", "/token-gone", "/check-old"})
	after := swapConfig(t, srv.URL, [3]string{"cc", "/token2", "/check-new"}, [3]string{"fresh", "/token-fresh", "/check-new"})
	db := newMemStore()
	svc := flows.NewService(before, flows.Options{Store: db, NewClient: oauth.New, RenewalDeadline: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	if _, err := svc.Check(ctx, "gone"); err != nil {
		t.Fatalf("check gone: %v", err)
	}
	type result struct {
		tok *flows.Token
		err error
	}
	done := make(chan result, 1)
	go func() { tok, err := svc.Renew(ctx, "cc"); done <- result{tok, err} }()
	select {
	case <-srv.arrived:
	case <-ctx.Done():
		t.Fatal("the renewal never reached the provider")
	}
	svc.SetConfig(after)
	if svc.Config() != after {
		t.Fatal("Config() does not return the new configuration")
	}
	close(srv.release)
	r := <-done
	if r.err != nil || r.tok.AccessToken != "at-token-1" {
		t.Fatalf("blocked renewal: %v, %v", r.tok, r.err)
	}
	st, _ := db.Load("cc")
	if st.Token == nil || st.Token.AccessToken != "at-token-1" || st.Token.Origin.TokenURL != srv.URL+"/token" {
		t.Fatalf("saved %+v, want at-token-1 from %s/token", st.Token, srv.URL)
	}

	tok, err := svc.Renew(ctx, "cc")
	if err != nil || tok.AccessToken != "at-token2-1" {
		t.Fatalf("renewal after the swap: %v, %v; want the new token_url's token", tok, err)
	}
	if _, err := svc.Check(ctx, "cc"); err != nil {
		t.Fatalf("check: %v", err)
	}
	if srv.count("/token") != 1 || srv.count("/token2") != 1 || srv.count("/check-new") != 1 || srv.count("/check-old") != 1 {
		t.Fatalf("requests %v; want one to each of /token, /token2, /check-new, and the one check of gone", srv.hits)
	}
	if tok, err := svc.Token(ctx, "fresh", 0); err != nil || tok.AccessToken != "at-token-fresh-1" {
		t.Fatalf("added connection: %v, %v", tok, err)
	}
	for _, call := range []func() error{
		func() error { _, err := svc.Token(ctx, "gone", 0); return err },
		func() error { _, err := svc.Check(ctx, "gone"); return err },
		func() error { _, err := svc.State("gone"); return err },
	} {
		if err := call(); !errors.Is(err, flows.ErrUnknownConnection) {
			t.Errorf("removed connection: %v, want ErrUnknownConnection", err)
		}
	}
}

// TestSetConfigConcurrent swaps configurations while tokens are asked for
// and checks run: under -race, every read of the configuration and of the
// client cache is synchronised, and each call sees one whole configuration.
func TestSetConfigConcurrent(t *testing.T) {
	srv := newSwapServer(t)
	a := swapConfig(t, srv.URL, [3]string{"cc", "/token-a", "/check-a"})
	b := swapConfig(t, srv.URL, [3]string{"cc", "/token-b", "/check-b"})
	svc := flows.NewService(a, flows.Options{Store: newMemStore(), NewClient: oauth.New})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range 50 {
			svc.SetConfig([]*flows.Config{a, b}[i%2])
		}
	}()
	go func() {
		defer wg.Done()
		for range 20 {
			if _, err := svc.Renew(ctx, "cc"); err != nil {
				t.Errorf("renew: %v", err)
			}
			if _, err := svc.Check(ctx, "cc"); err != nil {
				t.Errorf("check: %v", err)
			}
		}
	}()
	wg.Wait()
	if n := srv.count("/token-a") + srv.count("/token-b"); n != 20 {
		t.Errorf("%d token requests, want 20", n)
	}
}

// TestSetConfigKeepsClientsOfUnchangedConnections: a reload that leaves a
// connection as it was (here moved down the file) keeps its provider client,
// discovery and all; one that changes it makes a new client.
func TestSetConfigKeepsClientsOfUnchangedConnections(t *testing.T) {
	srv := newSwapServer(t)
	var made atomic.Int32
	newClient := func(c *flows.Connection, o flows.ClientOptions) (flows.Client, error) {
		made.Add(1)
		return oauth.New(c, o)
	}
	first := swapConfig(t, srv.URL, [3]string{"cc", "/token-a", "/check-a"})
	svc := flows.NewService(first, flows.Options{Store: newMemStore(), NewClient: newClient})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	check := func() {
		t.Helper()
		if _, err := svc.Check(ctx, "cc"); err != nil {
			t.Fatal(err)
		}
	}
	check()
	same := swapConfig(t, srv.URL, [3]string{"other", "/token-o", "/check-o"}, [3]string{"cc", "/token-a", "/check-a"})
	if same.Connection("cc") == first.Connection("cc") || same.Connection("cc").Line == first.Connection("cc").Line {
		t.Fatal("the test needs a new Connection on another line")
	}
	svc.SetConfig(same)
	check()
	if n := made.Load(); n != 1 {
		t.Errorf("%d clients made for an unchanged connection, want 1", n)
	}
	svc.SetConfig(swapConfig(t, srv.URL, [3]string{"cc", "/token-a", "/check-b"}))
	check()
	if n := made.Load(); n != 2 || srv.count("/check-b") != 1 {
		t.Errorf("%d clients made, /check-b asked %d times; want a new client for the changed check_url", n, srv.count("/check-b"))
	}
}
