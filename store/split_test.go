package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"tokentop/flows"
)

// memStore is an in-memory flows.Store, the two sides of a Split in tests.
type memStore struct {
	mu    sync.Mutex
	m     map[string]flows.State
	rev   uint64
	locks map[string]bool
	calls int
}

func newMem() *memStore { return &memStore{m: map[string]flows.State{}, locks: map[string]bool{}} }

func (s *memStore) Load(name string) (flows.State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	return s.m[name].Clone(), nil
}

func (s *memStore) Update(name string, fn func(*flows.State) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
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
	s.calls++
	s.rev++
	s.m[name] = flows.State{Rev: s.rev}
	return nil
}

func (s *memStore) Lock(_ context.Context, name string) (func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.locks[name] = true
	return func() {}, nil
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

func token(access string) func(*flows.State) error {
	return func(st *flows.State) error {
		st.Token = &flows.Token{AccessToken: access, Expiry: time.Now().Add(time.Hour)}
		return nil
	}
}

func TestSplitRoutesEachConnectionToItsStore(t *testing.T) {
	local, team := newMem(), newMem()
	s := NewSplit(local, team, func(name string) bool { return name == "shared" })
	if err := s.Update("shared", token("T")); err != nil {
		t.Fatal(err)
	}
	if err := s.Update("mine", token("L")); err != nil {
		t.Fatal(err)
	}
	if team.m["shared"].Token == nil || local.m["shared"].Token != nil {
		t.Error("shared was not written to the team store alone")
	}
	if local.m["mine"].Token == nil || team.m["mine"].Token != nil {
		t.Error("mine was not written to the local store alone")
	}
	st, err := s.Load("shared")
	if err != nil || st.Token.AccessToken != "T" {
		t.Errorf("Load(shared) = %+v, %v", st.Token, err)
	}
	before := team.calls
	if _, err := s.Load("mine"); err != nil {
		t.Fatal(err)
	}
	unlock, err := s.Lock(context.Background(), "mine")
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	if err := s.Forget("mine"); err != nil {
		t.Fatal(err)
	}
	if team.calls != before || team.locks["mine"] || !local.locks["mine"] {
		t.Errorf("a local connection's Load, Lock and Forget reached the team store (%d calls)", team.calls-before)
	}
}

func TestSplitChangedMergesBothMarks(t *testing.T) {
	local, team := newMem(), newMem()
	s := NewSplit(local, team, func(name string) bool { return name == "shared" })
	_ = local.Update("mine", token("L1"))
	_ = local.Update("mine", token("L2"))
	_ = team.Update("shared", token("T1"))
	// A state the local file still holds for a connection now a team one
	// is not its state.
	_ = local.Update("shared", token("stale"))

	changed, mark, err := s.Changed(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 2 || changed["mine"].Token.AccessToken != "L2" || changed["shared"].Token.AccessToken != "T1" {
		t.Fatalf("Changed(0) = %v", changed)
	}
	if mark != 1<<32|3 {
		t.Errorf("mark = %#x, want team 1 high and local 3 low", mark)
	}
	_ = local.Update("shared", token("stale again"))
	mark++
	changed, next, err := s.Changed(mark - 1)
	if err != nil || len(changed) != 0 || next != mark {
		t.Errorf("nothing new: %v, %#x, %v", changed, next, err)
	}
	_ = team.Update("shared", token("T2"))
	changed, next, err = s.Changed(mark)
	if err != nil || len(changed) != 1 || changed["shared"].Token.AccessToken != "T2" || next != 2<<32|4 {
		t.Errorf("a team write: %v, %#x, %v", changed, next, err)
	}
	_ = local.Forget("mine")
	changed, next, err = s.Changed(next)
	if st, ok := changed["mine"]; err != nil || !ok || st.Token != nil || next != 2<<32|5 {
		t.Errorf("a local forget: %v, %#x, %v", changed, next, err)
	}
}

func TestSplitChangedWhenOneStoreWentBack(t *testing.T) {
	local, team := newMem(), newMem()
	s := NewSplit(local, team, func(name string) bool { return name == "shared" })
	_ = local.Update("mine", token("L"))
	_ = team.Update("shared", token("T"))
	_, mark, _ := s.Changed(0)
	// The state file is replaced: it starts again from nothing.
	local.m, local.rev = map[string]flows.State{}, 0
	changed, next, err := s.Changed(mark)
	if err != nil {
		t.Fatal(err)
	}
	if next >= mark {
		t.Errorf("next = %#x, want below %#x so the caller replaces what it knows", next, mark)
	}
	if _, ok := changed["shared"]; !ok || len(changed) != 1 {
		t.Errorf("changed = %v, want everything both stores hold (shared alone)", changed)
	}
}

func TestSplitChangedRefusesARevisionPast32Bits(t *testing.T) {
	local, team := newMem(), newMem()
	local.rev = 1 << 32
	s := NewSplit(local, team, func(string) bool { return false })
	if _, _, err := s.Changed(0); err == nil {
		t.Error("a revision past 2^32-1 gave no error")
	}
}
