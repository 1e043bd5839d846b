package flows_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"reflect"
	"sync"
	"testing"
	"time"

	"tokentop/flows"
)

// resourceTap stands in front of a server and records the resource
// parameters of each token request before passing it on unchanged.
type resourceTap struct {
	mu   sync.Mutex
	seen [][]string
}

func (rt *resourceTap) front(t *testing.T, backend string) *interopServer {
	t.Helper()
	target, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
			if err != nil {
				http.Error(w, "read", http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			f, _ := url.ParseQuery(string(body))
			rt.mu.Lock()
			rt.seen = append(rt.seen, f["resource"])
			rt.mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return &interopServer{Server: srv}
}

func (rt *resourceTap) requests() [][]string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return append([][]string(nil), rt.seen...)
}

// TestInteropGoOAuth2ServerResource: a server we did not write, which knows
// nothing of RFC 8707, still serves the password grant and the refresh when
// they carry resource parameters (§2: the parameters are ignored by servers
// that do not support them), and the requests carry them in order.
func TestInteropGoOAuth2ServerResource(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tap := &resourceTap{}
	srv := tap.front(t, newInteropServer(t, "basic").URL)
	svc := newInteropService(t, srv, "password", "basic", resourceLine)
	p, err := svc.BeginLogin(ctx, "interop")
	if err != nil {
		t.Fatal(err)
	}
	pw, ok := p.(flows.PasswordSignIn)
	if !ok {
		t.Fatalf("sign-in %T, want a password sign-in", p)
	}
	if err := pw.SubmitPassword(interopPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(ctx); err != nil {
		t.Fatalf("password sign-in: %v", err)
	}
	if _, err := svc.Renew(ctx, "interop"); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if chk, err := svc.Check(ctx, "interop"); err != nil || !chk.OK() {
		t.Fatalf("check: %v %+v", err, chk)
	}
	if got, want := tap.requests(), [][]string{wantResources, wantResources}; !reflect.DeepEqual(got, want) {
		t.Errorf("resource parameters of the token requests %q, want %q", got, want)
	}
}
