package store_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/store"
	"tokentop/store/etcd"
	"tokentop/store/etcd/etcdtest"
)

// teamSetup is a real etcd, its store, a local state file and the
// ReadThrough of the two.
func teamSetup(t *testing.T) (*etcdtest.Server, *etcd.Store, *store.DB, *store.ReadThrough) {
	t.Helper()
	srv := etcdtest.Start(t)
	es, err := etcd.Open(etcd.Options{Endpoints: []string{srv.Endpoint}, Prefix: "/tokentop/rt", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { es.Close() })
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	read := time.Date(2026, 12, 1, 13, 2, 11, 0, time.Local)
	return srv, es, db, &store.ReadThrough{Team: es, Cache: db, Now: func() time.Time { return read }}
}

func teamToken(access string) flows.State {
	return flows.State{Token: &flows.Token{AccessToken: access, TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}}
}

// etcd killed: Load serves the copy last read with a StaleError naming
// the endpoint, at once; Lock and Update fail naming it; nothing is served
// for a connection never read. Restarted: Load reads etcd again, no error.
func TestReadThroughEtcdStoppedThenRestarted(t *testing.T) {
	srv, es, db, rt := teamSetup(t)
	if err := es.Update("aerion", func(st *flows.State) error { *st = teamToken("at-1"); return nil }); err != nil {
		t.Fatal(err)
	}
	if st, err := rt.Load("aerion"); err != nil || st.Token.AccessToken != "at-1" {
		t.Fatalf("Load with etcd up = %v, %v", st.Token, err)
	}
	// The copy is not a local connection's state.
	if st, err := db.Load("aerion"); err != nil || st.Token != nil {
		t.Fatalf("the state file's own aerion = %v, %v; want none", st.Token, err)
	}

	srv.Stop()
	start := time.Now()
	st, err := rt.Load("aerion")
	var se *store.StaleError
	if !errors.As(err, &se) || st.Token == nil || st.Token.AccessToken != "at-1" {
		t.Fatalf("Load with etcd stopped = %v, %v; want the copy with a StaleError", st.Token, err)
	}
	if !flows.Usable(err) {
		t.Fatal("flows.Usable does not accept a StaleError")
	}
	want := "etcd " + srv.Endpoint + ": "
	if msg := err.Error(); !strings.HasPrefix(msg, want) || !strings.HasSuffix(msg, "using the token read at 13:02:11 (the team store is unreachable)") || strings.Contains(msg, "at-1") {
		t.Fatalf("StaleError = %q", msg)
	}
	if _, err := rt.Load("never-read"); err == nil || errors.As(err, &se) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Load of a connection never read = %v; want the failure naming the endpoint", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := rt.Lock(ctx, "aerion"); err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Lock with etcd stopped = %v; want one line naming the endpoint", err)
	}
	if err := rt.Update("aerion", func(st *flows.State) error { return nil }); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Update with etcd stopped = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the calls against a stopped etcd took %v", d)
	}

	srv.Restart(t)
	if err := es.Update("aerion", func(st *flows.State) error { *st = teamToken("at-2"); return nil }); err != nil {
		t.Fatal(err)
	}
	if st, err := rt.Load("aerion"); err != nil || st.Token.AccessToken != "at-2" {
		t.Fatalf("Load after Restart = %v, %v", st.Token, err)
	}
	srv.Stop()
	if st, err := rt.Load("aerion"); !errors.As(err, &se) || st.Token.AccessToken != "at-2" {
		t.Fatalf("Load after a second stop = %v, %v; want the newer copy", st.Token, err)
	}
}

// An answer of etcd (here: a value sealed with a key this store lacks) is
// no outage: the copy is not served.
func TestReadThroughServesNoCopyForAnAnswer(t *testing.T) {
	srv, _, db, _ := teamSetup(t)
	sealed, err := etcd.Open(etcd.Options{Endpoints: []string{srv.Endpoint}, Prefix: "/tokentop/rt", Key: []byte("team-secret-for-the-test-0123456789")})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := etcd.Open(etcd.Options{Endpoints: []string{srv.Endpoint}, Prefix: "/tokentop/rt"})
	if err != nil {
		t.Fatal(err)
	}
	rt := &store.ReadThrough{Team: plain, Cache: db}
	if err := plain.Update("aerion", func(st *flows.State) error { *st = teamToken("at-1"); return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Load("aerion"); err != nil {
		t.Fatal(err)
	}
	if err := sealed.Update("aerion", func(st *flows.State) error { *st = teamToken("at-2"); return nil }); err != nil {
		t.Fatal(err)
	}
	var se *store.StaleError
	if _, err := rt.Load("aerion"); err == nil || errors.As(err, &se) || flows.Usable(err) {
		t.Fatalf("Load of a value it cannot open = %v; want that failure, no copy", err)
	}
}

// etcd killed: a Split's Changed still brings the state file's changes,
// with a TeamError naming the endpoint, and keeps the team part of the
// mark; restarted, the team's changes made meanwhile arrive.
func TestSplitChangedWhileEtcdStopped(t *testing.T) {
	srv, es, db, rt := teamSetup(t)
	split := store.NewSplit(db, rt, func(name string) bool { return name == "aerion" })
	if err := es.Update("aerion", func(st *flows.State) error { *st = teamToken("at-1"); return nil }); err != nil {
		t.Fatal(err)
	}
	got, mark, err := split.Changed(0)
	if err != nil || got["aerion"].Token == nil {
		t.Fatalf("Changed(0) = %v, %v", got, err)
	}

	srv.Stop()
	if err := db.Update("local", func(st *flows.State) error { *st = teamToken("local-1"); return nil }); err != nil {
		t.Fatal(err)
	}
	got, next, err := split.Changed(mark)
	var te *store.TeamError
	if !errors.As(err, &te) || got["local"].Token == nil || got["local"].Token.AccessToken != "local-1" {
		t.Fatalf("Changed with etcd stopped = %v, %v; want the local change with a TeamError", got, err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "team store unreachable (etcd "+srv.Endpoint+": ") {
		t.Fatalf("TeamError = %q", msg)
	}
	if _, ok := got["aerion"]; ok {
		t.Fatal("a team row came back while etcd was stopped")
	}
	if next>>32 != mark>>32 {
		t.Fatalf("the team part of the mark moved: %d → %d", mark>>32, next>>32)
	}
	// The same again: nothing new from the state file, the same report.
	if got, next2, err := split.Changed(next); !errors.As(err, &te) || len(got) != 0 || next2 != next {
		t.Fatalf("Changed again = %v, %d, %v", got, next2, err)
	}

	srv.Restart(t)
	if err := es.Update("aerion", func(st *flows.State) error { *st = teamToken("at-2"); return nil }); err != nil {
		t.Fatal(err)
	}
	got, _, err = split.Changed(next)
	if err != nil || got["aerion"].Token == nil || got["aerion"].Token.AccessToken != "at-2" {
		t.Fatalf("Changed after Restart = %v, %v; want the team's change", got, err)
	}
	// The copy Changed read is the one served at the next outage.
	srv.Stop()
	if st, err := rt.Load("aerion"); !flows.Usable(err) || st.Token.AccessToken != "at-2" {
		t.Fatalf("Load after Changed read at-2 = %v, %v", st.Token, err)
	}
	// A dashboard starting now (mark 0) shows the copies and the local rows.
	got, next, err = split.Changed(0)
	if !errors.As(err, &te) || got["aerion"].Token == nil || got["aerion"].Token.AccessToken != "at-2" || got["local"].Token == nil || next>>32 != 0 {
		t.Fatalf("Changed(0) with etcd stopped = %v, %d, %v; want the copy and the local state", got, next, err)
	}
	srv.Restart(t)
	if got, next, err = split.Changed(next); err != nil || got["aerion"].Token == nil || next>>32 == 0 {
		t.Fatalf("Changed after the second Restart = %v, %d, %v; want the team's states and a team mark", got, next, err)
	}
}

// With the team key set, the copy kept in the state file is sealed with
// it: the file's bytes hold no token, the copy is served while etcd is
// down, and a store with another key (or none) serves no copy, not even
// the plain copy kept before the key was set, which the keyed read
// replaced.
func TestReadThroughSealsItsCopies(t *testing.T) {
	srv := etcdtest.Start(t)
	open := func(key string) *etcd.Store {
		opts := etcd.Options{Endpoints: []string{srv.Endpoint}, Prefix: "/tokentop/sealed", Timeout: time.Second}
		if key != "" {
			opts.Key = []byte(key)
		}
		es, err := etcd.Open(opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { es.Close() })
		return es
	}
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const plainTok, sealedTok = "plain-copy-0123456789abcdef", "sealed-copy-fedcba9876543210"
	// A copy kept before the team set a key is plain.
	plain := &store.ReadThrough{Team: open(""), Cache: db}
	if err := plain.Team.Update("aerion", func(st *flows.State) error { *st = teamToken(plainTok); return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Load("aerion"); err != nil {
		t.Fatal(err)
	}
	if raw, _ := os.ReadFile(path); !bytes.Contains(raw, []byte(plainTok)) {
		t.Fatal("the plain copy is not in the state file: the check below proves nothing")
	}

	keyed := &store.ReadThrough{Team: open("team secret one"), Cache: db}
	if err := keyed.Team.Update("aerion", func(st *flows.State) error { *st = teamToken(sealedTok); return nil }); err != nil {
		t.Fatal(err)
	}
	if st, err := keyed.Load("aerion"); err != nil || st.Token.AccessToken != sealedTok {
		t.Fatalf("Load = %v, %v", st.Token, err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(sealedTok)) {
		t.Fatal("the state file holds the team token in plain text")
	}

	srv.Stop()
	var se *store.StaleError
	if st, err := keyed.Load("aerion"); !errors.As(err, &se) || st.Token == nil || st.Token.AccessToken != sealedTok {
		t.Fatalf("Load with etcd stopped = %v, %v; want the sealed copy opened", st.Token, err)
	}
	for what, rt := range map[string]*store.ReadThrough{
		"another key": {Team: open("team secret two"), Cache: db},
		"no key":      {Team: open(""), Cache: db},
	} {
		if st, err := rt.Load("aerion"); errors.As(err, &se) || st.Token != nil {
			t.Errorf("%s: Load with etcd stopped served a copy: %v, %v", what, st.Token, err)
		}
	}
}
