package flows_test

import (
	"fmt"
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

// TestCheckAll: results come in the order asked, each recorded, and no more
// than eight checks are in flight at once however many connections there are.
func TestCheckAll(t *testing.T) {
	var inFlight, most atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"access_token":"a-token-value-1","token_type":"bearer","expires_in":3600}`)
			return
		}
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		// Held until the next check arrives or a moment passes, so
		// that checks overlap as much as the bound lets them.
		time.Sleep(20 * time.Millisecond)
		if strings.HasSuffix(r.URL.Path, "/down") {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	var conf strings.Builder
	var names []string
	for i := range 20 {
		path := "/up"
		if i%5 == 4 {
			path = "/down"
		}
		name := fmt.Sprintf("c%02d", i)
		names = append(names, name)
		fmt.Fprintf(&conf, "[connections.%s]\nprovider = \"oauth2\"\nflow = \"client_credentials\"\nclient_id = \"id\"\nclient_secret = \"secret-value-1\"\ntoken_url = %q\ncheck_url = %q\n", name, srv.URL+"/token", srv.URL+path)
	}
	cfg, err := config.Parse("test.toml", []byte(conf.String()))
	if err != nil {
		t.Fatal(err)
	}
	ms := newMemStore()
	svc := flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: ms})
	results := svc.CheckAll(t.Context(), names)
	if len(results) != len(names) {
		t.Fatalf("%d results for %d names", len(results), len(names))
	}
	for i, r := range results {
		if r.Name != names[i] {
			t.Fatalf("result %d is %s, want %s", i, r.Name, names[i])
		}
		if wantOK := i%5 != 4; r.OK() != wantOK {
			t.Errorf("%s: ok %v (%v), want %v", r.Name, r.OK(), r.Err, wantOK)
		}
		if st, _ := ms.Load(r.Name); st.LastCheck == nil {
			t.Errorf("%s: the check was not recorded", r.Name)
		}
	}
	if m := most.Load(); m > 8 || m < 2 {
		t.Errorf("%d checks at once, want between 2 and 8", m)
	}
}

// TestCheckHistory: every check joins the connection's history, which keeps
// the newest MaxChecks; the event log records a check only when its
// outcome changes, so periodic checks cannot push renewals out of it.
func TestCheckHistory(t *testing.T) {
	var down atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"access_token":"a-token-value-1","token_type":"bearer","expires_in":3600}`)
			return
		}
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	conf := fmt.Sprintf("[connections.c]\nprovider = \"oauth2\"\nflow = \"client_credentials\"\nclient_id = \"id\"\nclient_secret = \"secret-value-1\"\ntoken_url = %q\ncheck_url = %q\n", srv.URL+"/token", srv.URL+"/up")
	cfg, err := config.Parse("test.toml", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	ms := newMemStore()
	svc := flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: ms})
	n := flows.MaxChecks + 5
	for i := range n {
		down.Store(i == n-2) // one failure, then up again
		if _, err := svc.Check(t.Context(), "c"); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := ms.Load("c")
	if len(st.Checks) != flows.MaxChecks {
		t.Fatalf("%d checks kept, want %d", len(st.Checks), flows.MaxChecks)
	}
	if last := st.Checks[len(st.Checks)-1]; *st.LastCheck != last || !last.OK() {
		t.Errorf("the newest check is %+v, LastCheck %+v", last, *st.LastCheck)
	}
	if failed := st.Checks[len(st.Checks)-2]; failed.Status != http.StatusServiceUnavailable {
		t.Errorf("the failed check is %+v", failed)
	}
	var checks int
	for _, e := range st.Events {
		if e.Kind == flows.EventCheck {
			checks++
		}
	}
	// The first check, the failure, and the recovery.
	if checks != 3 {
		t.Errorf("%d check events, want 3: %+v", checks, st.Events)
	}
}
