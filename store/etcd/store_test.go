package etcd_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/store/etcd"
	"tokentop/store/etcd/etcdtest"
)

func mustOpen(tb testing.TB, opts etcd.Options) *etcd.Store {
	tb.Helper()
	if opts.Prefix == "" {
		opts.Prefix = "/tokentop/test"
	}
	s, err := etcd.Open(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// tokenState is a state with secrets that must never show in etcd raw.
func tokenState(access string) flows.State {
	return flows.State{Token: &flows.Token{
		AccessToken:  access,
		RefreshToken: "refresh-" + access,
		TokenType:    "Bearer",
		Expiry:       time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC),
	}}
}

func TestLoadUpdateForgetChanged(t *testing.T) {
	srv := etcdtest.Start(t)
	s := mustOpen(t, etcd.Options{Endpoints: []string{srv.Endpoint}})

	st, err := s.Load("aerion")
	if err != nil || st.Token != nil || st.Rev != 0 {
		t.Fatalf("Load of a new connection = %+v, %v; want zero", st, err)
	}
	all, mark, err := s.Changed(0)
	if err != nil || len(all) != 0 || mark == 0 {
		t.Fatalf("Changed(0) on an empty prefix = %v, %d, %v", all, mark, err)
	}

	if err := s.Update("aerion", func(st *flows.State) error { *st = tokenState("at-1"); return nil }); err != nil {
		t.Fatal(err)
	}
	st, err = s.Load("aerion")
	if err != nil || st.Token == nil || st.Token.AccessToken != "at-1" || st.Token.RefreshToken != "refresh-at-1" {
		t.Fatalf("Load after Update = %+v, %v", st.Token, err)
	}
	if st.Rev <= mark {
		t.Errorf("Rev = %d, want above the mark %d", st.Rev, mark)
	}

	changed, next, err := s.Changed(mark)
	if err != nil || len(changed) != 1 || changed["aerion"].Token == nil || changed["aerion"].Rev != st.Rev {
		t.Fatalf("Changed(%d) = %v, %d, %v; want aerion at rev %d", mark, changed, next, err, st.Rev)
	}
	if again, n2, err := s.Changed(next); err != nil || len(again) != 0 || n2 != next {
		t.Fatalf("Changed(%d) with nothing new = %v, %d, %v", next, again, n2, err)
	}

	if err := s.Update("bolt", func(st *flows.State) error { *st = tokenState("b-1"); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.Forget("aerion"); err != nil {
		t.Fatal(err)
	}
	changed, next2, err := s.Changed(next)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := changed["aerion"]; !ok || a.Token != nil {
		t.Errorf("Changed after Forget: aerion = %+v, %v; want a zero State", a, ok)
	}
	if changed["bolt"].Token == nil {
		t.Errorf("Changed after Forget: bolt missing: %v", changed)
	}
	if st, err := s.Load("aerion"); err != nil || st.Token != nil {
		t.Errorf("Load after Forget = %+v, %v", st, err)
	}

	// Saved again after Forget: the state wins over the tombstone.
	if err := s.Update("aerion", func(st *flows.State) error { *st = tokenState("at-2"); return nil }); err != nil {
		t.Fatal(err)
	}
	changed, _, err = s.Changed(next)
	if err != nil || changed["aerion"].Token == nil || changed["aerion"].Token.AccessToken != "at-2" {
		t.Errorf("Changed after Forget and Update = %v, %v", changed, err)
	}
	all, _, err = s.Changed(0)
	if err != nil || len(all) != 2 {
		t.Errorf("Changed(0) = %v, %v; want aerion and bolt", all, err)
	}
	_ = next2

	// fn's error writes nothing.
	boom := fmt.Errorf("boom")
	if err := s.Update("aerion", func(st *flows.State) error { st.Token = nil; return boom }); err != boom {
		t.Errorf("Update with a failing fn = %v, want boom", err)
	}
	if st, _ := s.Load("aerion"); st.Token == nil {
		t.Error("a failed fn changed the state")
	}
}

// Two writers on the same key: every increment lands, because a put only
// succeeds against the mod_revision it read.
func TestUpdateConcurrentNoLostUpdate(t *testing.T) {
	srv := etcdtest.Start(t)
	a := mustOpen(t, etcd.Options{Endpoints: []string{srv.Endpoint}})
	b := mustOpen(t, etcd.Options{Endpoints: []string{srv.Endpoint}})
	const each = 20
	var wg sync.WaitGroup
	errs := make(chan error, 2*each)
	for _, s := range []*etcd.Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				errs <- s.Update("shared", func(st *flows.State) error { st.Failures++; return nil })
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st, err := a.Load("shared")
	if err != nil || st.Failures != 2*each {
		t.Fatalf("after %d concurrent updates Failures = %d, %v", 2*each, st.Failures, err)
	}
}

// rawValues returns every value under prefix as etcd holds it.
func rawValues(t *testing.T, endpoint, prefix string) [][]byte {
	t.Helper()
	end := []byte(prefix)
	end[len(end)-1]++
	body, _ := json.Marshal(map[string][]byte{"key": []byte(prefix), "range_end": end})
	resp, err := http.Post(endpoint+"/v3/kv/range", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		KVs []struct {
			Value []byte `json:"value"`
		} `json:"kvs"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	vals := make([][]byte, len(out.KVs))
	for i, kv := range out.KVs {
		vals[i] = kv.Value
	}
	return vals
}

func TestSealedValuesHoldNoTokenBytes(t *testing.T) {
	srv := etcdtest.Start(t)
	s := mustOpen(t, etcd.Options{Endpoints: []string{srv.Endpoint}, Key: []byte("team secret one")})
	if err := s.Update("aerion", func(st *flows.State) error { *st = tokenState("SECRET-ACCESS"); return nil }); err != nil {
		t.Fatal(err)
	}
	vals := rawValues(t, srv.Endpoint, "/tokentop/test/")
	if len(vals) != 1 {
		t.Fatalf("raw values = %d, want 1", len(vals))
	}
	for _, v := range vals {
		if bytes.Contains(v, []byte("SECRET-ACCESS")) || bytes.Contains(v, []byte("refresh-")) || bytes.Contains(v, []byte("Bearer")) {
			t.Fatal("a sealed value holds token bytes")
		}
		if !bytes.Contains(v, []byte(`"kid"`)) {
			t.Fatalf("value is not an envelope: %.40q", v)
		}
	}
	if st, err := s.Load("aerion"); err != nil || st.Token.AccessToken != "SECRET-ACCESS" {
		t.Fatalf("Load of a sealed value = %v", err)
	}

	other := mustOpen(t, etcd.Options{Endpoints: []string{srv.Endpoint}, Key: []byte("team secret two")})
	_, err := other.Load("aerion")
	if err == nil || !strings.Contains(err.Error(), "sealed with key ") || !strings.Contains(err.Error(), "not this one") {
		t.Fatalf("Load with another key = %v", err)
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Fatal("the error quotes the value")
	}
	plain := mustOpen(t, etcd.Options{Endpoints: []string{srv.Endpoint}})
	if _, err := plain.Load("aerion"); err == nil || !strings.Contains(err.Error(), "no key is set") {
		t.Fatalf("Load without a key = %v", err)
	}

	// A value moved to another key does not open there.
	moved := vals[0]
	body, _ := json.Marshal(map[string][]byte{"key": []byte("/tokentop/test/state/bolt"), "value": moved})
	resp, err := http.Post(srv.Endpoint+"/v3/kv/put", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, err := s.Load("bolt"); err == nil || !strings.Contains(err.Error(), "does not open") {
		t.Fatalf("Load of a moved value = %v", err)
	}
}
