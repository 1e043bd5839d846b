package etcd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/store/etcd"
	"tokentop/store/etcd/etcdtest"
)

// checkOneLine fails unless err is one line naming endpoint.
func checkOneLine(t *testing.T, what string, err error, endpoint string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	msg := err.Error()
	if !strings.Contains(msg, "etcd "+endpoint+": ") || strings.Contains(msg, "\n") {
		t.Fatalf("%s = %q; want one line naming etcd %s", what, msg, endpoint)
	}
}

// etcd killed: every call fails within its deadline naming the endpoint;
// restarted on the same data dir, the same Store works again.
func TestEtcdStoppedThenRestarted(t *testing.T) {
	srv := etcdtest.Start(t)
	s := mustOpen(t, etcd.Options{Endpoints: []string{srv.Endpoint}, Timeout: time.Second})
	if err := s.Update("aerion", func(st *flows.State) error { *st = tokenState("at-1"); return nil }); err != nil {
		t.Fatal(err)
	}
	_, mark, err := s.Changed(0)
	if err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	start := time.Now()
	_, err = s.Load("aerion")
	checkOneLine(t, "Load with etcd down", err, srv.Endpoint)
	// The caller (flows) names the connection; the store says what failed.
	if !strings.HasPrefix(err.Error(), "team store unreachable: etcd "+srv.Endpoint+": ") {
		t.Errorf("Load error %q does not say the team store is unreachable", err)
	}
	checkOneLine(t, "Update with etcd down", s.Update("aerion", func(*flows.State) error { return nil }), srv.Endpoint)
	_, _, err = s.Changed(mark)
	checkOneLine(t, "Changed with etcd down", err, srv.Endpoint)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	_, err = s.Lock(ctx, "aerion")
	cancel()
	checkOneLine(t, "Lock with etcd down", err, srv.Endpoint)
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("four calls against a stopped etcd took %v", d)
	}

	srv.Restart(t)
	st, err := s.Load("aerion")
	if err != nil || st.Token == nil || st.Token.AccessToken != "at-1" {
		t.Fatalf("Load after restart = %+v, %v", st, err)
	}
	if err := s.Update("aerion", func(st *flows.State) error { st.Token.AccessToken = "at-2"; return nil }); err != nil {
		t.Fatal(err)
	}
	changed, _, err := s.Changed(mark)
	if err != nil || changed["aerion"].Token == nil || changed["aerion"].Token.AccessToken != "at-2" {
		t.Fatalf("Changed after restart = %v, %v", changed, err)
	}
	unlock, err := s.Lock(context.Background(), "aerion")
	if err != nil {
		t.Fatal(err)
	}
	unlock()
}

// blackHole is an address that takes connections and never answers.
func blackHole(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return "http://" + l.Addr().String()
}

// refused is an address nothing listens on.
func refused(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestAHungEndpointFailsWithinTheTimeout(t *testing.T) {
	ep := blackHole(t)
	s := mustOpen(t, etcd.Options{Endpoints: []string{ep}, Timeout: 300 * time.Millisecond})
	start := time.Now()
	_, err := s.Load("aerion")
	checkOneLine(t, "Load from a hung endpoint", err, ep)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Load took %v with a 300ms timeout", d)
	}
	if !strings.Contains(err.Error(), "no answer in time") {
		t.Errorf("error %q does not say it timed out", err)
	}
}

// A hung endpoint is waited for once: the calls after the first fail at
// once with the same failure, without a connection, until one timeout has
// passed on the store's clock; then it is tried again.
func TestAHungEndpointIsWaitedForOnce(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns atomic.Int32
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			mu.Lock()
			held = append(held, c) // read nothing, answer nothing
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	ep := "http://" + l.Addr().String()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var clock sync.Mutex
	s := mustOpen(t, etcd.Options{Endpoints: []string{ep}, Timeout: 300 * time.Millisecond,
		Now: func() time.Time { clock.Lock(); defer clock.Unlock(); return now }})
	_, err = s.Load("aerion")
	checkOneLine(t, "Load from a hung endpoint", err, ep)
	first := conns.Load()
	if first == 0 {
		t.Fatal("the first call made no connection")
	}
	calls := map[string]func() error{
		"Load":    func() error { _, err := s.Load("aerion"); return err },
		"Changed": func() error { _, _, err := s.Changed(0); return err },
		"Update":  func() error { return s.Update("aerion", func(*flows.State) error { return nil }) },
		"Lock": func() error {
			_, err := s.Lock(context.Background(), "aerion")
			return err
		},
	}
	for what, call := range calls {
		err := call()
		checkOneLine(t, what+" after a timeout", err, ep)
		if !strings.Contains(err.Error(), "no answer in time") {
			t.Errorf("%s after a timeout: %q does not say what happened", what, err)
		}
	}
	if n := conns.Load(); n != first {
		t.Fatalf("calls within one timeout of a hung endpoint's made %d more connections", n-first)
	}
	clock.Lock()
	now = now.Add(301 * time.Millisecond)
	clock.Unlock()
	if _, err := s.Load("aerion"); err == nil {
		t.Fatal("a hung endpoint answered")
	}
	if n := conns.Load(); n == first {
		t.Fatal("the endpoint was not tried again once a timeout had passed")
	}
}

func TestEndpointsAreTriedInOrder(t *testing.T) {
	srv := etcdtest.Start(t)
	dead := refused(t)
	s := mustOpen(t, etcd.Options{Endpoints: []string{dead, srv.Endpoint}})
	if err := s.Update("aerion", func(st *flows.State) error { *st = tokenState("at-1"); return nil }); err != nil {
		t.Fatalf("Update with the first endpoint down: %v", err)
	}
	if st, err := s.Load("aerion"); err != nil || st.Token == nil {
		t.Fatalf("Load with the first endpoint down = %v", err)
	}
}

func TestOpenRejectsBadOptions(t *testing.T) {
	for name, opts := range map[string]etcd.Options{
		"no endpoint": {},
		"not a URL":   {Endpoints: []string{"127.0.0.1:2379"}},
		"half a cert": {Endpoints: []string{"https://127.0.0.1:2379"}, CertFile: "c.pem"},
		"missing CA":  {Endpoints: []string{"https://127.0.0.1:2379"}, CAFile: "/nonexistent/ca.pem"},
	} {
		if _, err := etcd.Open(opts); err == nil {
			t.Errorf("%s: Open accepted %+v", name, opts)
		}
	}
}

// gateway posts body to path as a plain client, for setting etcd up.
func gateway(t *testing.T, endpoint, path string, body any, token string) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, endpoint+path, bytes.NewReader(b))
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&e)
		t.Fatalf("%s: HTTP %d %v", path, resp.StatusCode, e)
	}
}

func TestAuth(t *testing.T) {
	srv := etcdtest.Start(t)
	const password = "correct-horse-pw"
	gateway(t, srv.Endpoint, "/v3/auth/user/add", map[string]string{"name": "root", "password": password}, "")
	gateway(t, srv.Endpoint, "/v3/auth/role/add", map[string]string{"name": "root"}, "")
	gateway(t, srv.Endpoint, "/v3/auth/user/grant", map[string]string{"user": "root", "role": "root"}, "")
	gateway(t, srv.Endpoint, "/v3/auth/enable", map[string]string{}, "")

	anon := mustOpen(t, etcd.Options{Endpoints: []string{srv.Endpoint}})
	_, err := anon.Load("aerion")
	checkOneLine(t, "Load without signing in", err, srv.Endpoint)

	s := mustOpen(t, etcd.Options{Endpoints: []string{srv.Endpoint}, Username: "root", Password: password})
	if err := s.Update("aerion", func(st *flows.State) error { *st = tokenState("at-1"); return nil }); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Load("aerion"); err != nil || st.Token == nil {
		t.Fatalf("Load signed in = %v", err)
	}
	unlock, err := s.Lock(context.Background(), "aerion")
	if err != nil {
		t.Fatal(err)
	}
	unlock()

	wrong := mustOpen(t, etcd.Options{Endpoints: []string{srv.Endpoint}, Username: "root", Password: "wrong-pw"})
	_, err = wrong.Load("aerion")
	checkOneLine(t, "Load with a wrong password", err, srv.Endpoint)
	if !strings.Contains(err.Error(), "signing in as root") || strings.Contains(err.Error(), "wrong-pw") {
		t.Fatalf("wrong password error = %q", err)
	}
	t.Logf("wrong password: %v", err)

	// A restart forgets simple tokens: the Store signs in again by itself.
	srv.Restart(t)
	if st, err := s.Load("aerion"); err != nil || st.Token == nil {
		t.Fatalf("Load after a restart dropped the token = %v", err)
	}
}
