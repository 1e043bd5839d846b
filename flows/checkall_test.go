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
