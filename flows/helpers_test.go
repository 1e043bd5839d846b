package flows_test

import (
	"context"
	"net"
	"sync"
	"testing"

	"tokentop/flows"
)

// memStore is an in-memory Store, for tests that need a store to behave in
// ways the real one cannot be made to.
type memStore struct {
	mu    sync.Mutex
	m     map[string]flows.State
	rev   uint64
	locks sync.Map // name → chan struct{} of capacity 1
}

func newMemStore() *memStore { return &memStore{m: map[string]flows.State{}} }

func (s *memStore) Load(name string) (flows.State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[name].Clone(), nil
}

func (s *memStore) Update(name string, fn func(*flows.State) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.m[name].Clone()
	if err := fn(&st); err != nil {
		return err
	}
	s.rev++
	st.Rev = s.rev
	s.m[name] = st
	return nil
}

func (s *memStore) Forget(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, name)
	s.rev++
	return nil
}

func (s *memStore) Lock(ctx context.Context, name string) (func(), error) {
	v, _ := s.locks.LoadOrStore(name, make(chan struct{}, 1))
	ch := v.(chan struct{})
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *memStore) Changed(mark uint64) (map[string]flows.State, uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]flows.State{}
	for k, v := range s.m {
		if v.Rev > mark {
			out[k] = v.Clone()
		}
	}
	return out, s.rev, nil
}

// silentTLS is a TCP listener on loopback that accepts connections and
// never says a word: a TLS handshake with it hangs, so a request to it never
// leaves the machine.
func silentTLS(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return "https://" + ln.Addr().String() + "/token"
}
