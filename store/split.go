package store

import (
	"context"
	"fmt"

	"tokentop/flows"
)

// maxSplitRev bounds each store's revision under a Split: the mark that
// Changed returns carries the local store's in its low 32 bits and the
// team store's in its high 32 bits.
const maxSplitRev = 1<<32 - 1

// Split is a flows.Store that keeps each connection in one of two stores:
// Team for the connections IsTeam names (the team's shared store), Local
// for the others (the bbolt file). Load, Update, Forget and Lock go to the
// connection's store alone, so a local connection never waits on the team
// store; Changed merges both.
type Split struct {
	Local, Team flows.Store
	IsTeam      func(name string) bool
}

// NewSplit returns the Split of local and team by isTeam.
func NewSplit(local, team flows.Store, isTeam func(name string) bool) *Split {
	return &Split{Local: local, Team: team, IsTeam: isTeam}
}

func (s *Split) of(name string) flows.Store {
	if s.IsTeam(name) {
		return s.Team
	}
	return s.Local
}

// Load reads name from its store.
func (s *Split) Load(name string) (flows.State, error) { return s.of(name).Load(name) }

// Update writes name in its store.
func (s *Split) Update(name string, fn func(*flows.State) error) error {
	return s.of(name).Update(name, fn)
}

// Forget deletes name from its store.
func (s *Split) Forget(name string) error { return s.of(name).Forget(name) }

// Lock takes name's renewal lock in its store.
func (s *Split) Lock(ctx context.Context, name string) (func(), error) {
	return s.of(name).Lock(ctx, name)
}

// Changed returns what changed in either store since mark: each store's
// states for its own connections (a state the other store still holds for a
// connection that moved is not its state, and is left out). The mark holds
// the local store's revision in its low 32 bits and the team store's in its
// high 32 bits; a revision past 2^32-1 is an error.
//
// When the team store fails and the local one answers, changed holds the
// local changes (and any states the team store returned with its failure:
// a ReadThrough's copies) and next keeps mark's team part, with a
// *TeamError: the dashboard keeps up with the state file while the team
// store is away, and catches up with the team's changes once it answers.
//
// When either store went back (its file or cluster was replaced), changed
// holds everything both stores hold and next is 0, below any mark: the
// caller replaces what it knows, as flows.Store's Changed says, and its next
// call, from 0, reads everything once more.
func (s *Split) Changed(mark uint64) (map[string]flows.State, uint64, error) {
	lo, hi := mark&maxSplitRev, mark>>32
	local, nl, err := s.Local.Changed(lo)
	if err != nil {
		return nil, mark, err
	}
	team, nt, err := s.Team.Changed(hi)
	if err != nil {
		if nl < lo || nl > maxSplitRev {
			return nil, mark, err // replacing everything needs the team's too
		}
		// What the team store returned with its failure (the copies of a
		// store.ReadThrough) is shown meanwhile.
		return s.own(local, team), hi<<32 | nl, &TeamError{Err: err}
	}
	replaced := nl < lo || nt < hi
	if replaced && nl >= lo && lo != 0 {
		local, nl, err = s.Local.Changed(0)
	} else if replaced && nt >= hi && hi != 0 {
		team, nt, err = s.Team.Changed(0)
	}
	if err != nil {
		return nil, mark, err
	}
	for _, rev := range []struct {
		what string
		n    uint64
	}{{"the local state file", nl}, {"the team store", nt}} {
		if rev.n > maxSplitRev {
			return nil, mark, fmt.Errorf("store: %s is at revision %d, past the %d a mark of both stores can carry", rev.what, rev.n, uint64(maxSplitRev))
		}
	}
	changed := s.own(local, team)
	if replaced {
		return changed, 0, nil
	}
	return changed, nt<<32 | nl, nil
}

// own returns local's states of local connections and team's of team ones.
func (s *Split) own(local, team map[string]flows.State) map[string]flows.State {
	changed := make(map[string]flows.State, len(local)+len(team))
	for name, st := range local {
		if !s.IsTeam(name) {
			changed[name] = st
		}
	}
	for name, st := range team {
		if s.IsTeam(name) {
			changed[name] = st
		}
	}
	return changed
}

// TeamError is Split.Changed's report that the team store failed while the
// state file answered: the changes that come with it are the local ones.
type TeamError struct{ Err error }

// Error says what happened, in one line: "team store unreachable (etcd
// http://…: no answer in time)".
func (e *TeamError) Error() string {
	if u := Unreachable(e.Err); u != nil {
		return "team store unreachable (" + u.Error() + ")"
	}
	return "team store: " + e.Err.Error()
}

// Unwrap returns the team store's failure.
func (e *TeamError) Unwrap() error { return e.Err }
