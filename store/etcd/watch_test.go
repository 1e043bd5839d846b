package etcd_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/store/etcd"
	"tokentop/store/etcd/etcdtest"
)

// eventually polls cond until it holds, failing the test after 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A dashboard's Changed watches the prefix: once the watch is live, a
// Changed with nothing new makes no request; another machine's write is
// reported by the next Changed; and a quiet watch is checked with a range
// every watchRecheck of the store's clock all the same. A watch that ends
// (etcd closing the stream) makes the next Changed range again.
func TestChangedWatchesThePrefix(t *testing.T) {
	srv := etcdtest.Start(t)
	target, err := url.Parse(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	var ranges atomic.Int32
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v3/kv/range":
			ranges.Add(1)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var clock sync.Mutex
	at := func() time.Time { clock.Lock(); defer clock.Unlock(); return now }
	dash := mustOpen(t, etcd.Options{Endpoints: []string{front.URL}, Prefix: "/tokentop/w", Now: at})
	other := mustOpen(t, etcd.Options{Endpoints: []string{srv.Endpoint}, Prefix: "/tokentop/w"})

	_, mark, err := dash.Changed(0)
	if err != nil {
		t.Fatal(err)
	}
	if _, mark, err = dash.Changed(mark); err != nil {
		t.Fatal(err)
	}
	// As a dashboard does, Changed is called until the watch is live.
	eventually(t, "the watch goes live", func() bool {
		_, next, err := dash.Changed(mark)
		if err == nil {
			mark = next
		}
		return etcd.WatchLive(dash)
	})
	before := ranges.Load()
	for range 5 {
		got, next, err := dash.Changed(mark)
		if err != nil || len(got) != 0 || next != mark {
			t.Fatalf("Changed with nothing new = %v, %d, %v", got, next, err)
		}
	}
	if n := ranges.Load() - before; n != 0 {
		t.Fatalf("5 Changed calls with a live, quiet watch made %d range requests", n)
	}

	if err := other.Update("aerion", func(st *flows.State) error { *st = tokenState("at-watch"); return nil }); err != nil {
		t.Fatal(err)
	}
	var got map[string]flows.State
	eventually(t, "another machine's write is reported", func() bool {
		var err error
		got, mark, err = dash.Changed(mark)
		return err == nil && got["aerion"].Token != nil
	})
	if tok := got["aerion"].Token.AccessToken; tok != "at-watch" {
		t.Fatalf("Changed reported %q", tok)
	}

	before = ranges.Load()
	clock.Lock()
	now = now.Add(11 * time.Second)
	clock.Unlock()
	if _, _, err := dash.Changed(mark); err != nil {
		t.Fatal(err)
	}
	if ranges.Load() == before {
		t.Fatal("a quiet watch was trusted past watchRecheck")
	}

	// The stream ends: the next Changed ranges, and the watch comes back.
	front.CloseClientConnections()
	eventually(t, "the ended watch is seen", func() bool { return !etcd.WatchLive(dash) })
	before = ranges.Load()
	if _, mark, err = dash.Changed(mark); err != nil {
		t.Fatal(err)
	}
	if ranges.Load() == before {
		t.Fatal("Changed trusted a watch that had ended")
	}
	// As a dashboard does, Changed is called until the watch is back (a
	// first stream may fail on a connection the proxy closed).
	eventually(t, "the watch comes back", func() bool {
		_, next, err := dash.Changed(mark)
		if err == nil {
			mark = next
		}
		return etcd.WatchLive(dash)
	})
	dash.Close()
	eventually(t, "Close ends the watch", func() bool { return !etcd.WatchLive(dash) })
}
