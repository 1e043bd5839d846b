package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"go.etcd.io/bbolt"

	"tokentop/flows"
)

// bucketTeamCache holds, in the local state file, the last state of each
// team connection read from the team store: name → read time (8 bytes,
// Unix nanoseconds) and the state encoded as bucket "states" holds it. A
// bucket of its own, so a cached team state can never be taken for a
// local connection's, and DB's Load, Update, Forget and Changed never see
// it.
var bucketTeamCache = []byte("teamcache")

// ReadThrough is the team store with a copy of what it last read kept in
// the local state file, for when the team store cannot be reached. Load
// and Changed write through to Cache each state they read that the copy
// does not hold yet; when Team cannot be reached (a refused connection, no
// answer in time: not an answer of the store, not a failed compare), Load
// returns the copy with a *StaleError, which flows.Usable accepts, so a
// token still valid is handed out with a warning. Update, Forget and Lock
// go to Team alone: nothing is renewed or saved without it. There is
// nothing to clear when Team answers again: the next call reads it.
type ReadThrough struct {
	Team  flows.Store
	Cache *DB
	// Now is the clock of the read times; nil means time.Now.
	Now func() time.Time
}

var _ flows.Store = (*ReadThrough)(nil)

// CopySealer is a team store that seals its values (store/etcd with a
// key): ReadThrough seals the copies it keeps with it too, so the local
// state file holds no more of a team token than etcd does.
type CopySealer interface {
	// SealCopy returns the stored form of the copy of name's state.
	SealCopy(name string, plain []byte) ([]byte, error)
	// OpenCopy returns the state SealCopy sealed; sealed is false for a
	// copy that was not sealed (kept before the key was set), which is
	// read but kept again sealed.
	OpenCopy(name string, b []byte) (plain []byte, sealed bool, err error)
}

// seal returns the stored form of a copy's encoded state.
func (r *ReadThrough) seal(name string, enc []byte) ([]byte, error) {
	if cs, ok := r.Team.(CopySealer); ok {
		return cs.SealCopy(name, enc)
	}
	return enc, nil
}

// open decodes a kept copy; fresh is false when it should be kept again
// (sealed now that the team store seals).
func (r *ReadThrough) open(name string, b []byte) (st flows.State, fresh bool, err error) {
	fresh = true
	if cs, ok := r.Team.(CopySealer); ok {
		if b, fresh, err = cs.OpenCopy(name, b); err != nil {
			return flows.State{}, false, err
		}
	}
	st, err = decodeState(name, b)
	return st, fresh, err
}

// StaleError comes with the copy ReadThrough.Load returns when the team
// store cannot be reached: "etcd http://…: no answer in time: using the
// token read at 13:02:11 (the team store is unreachable)". Unwrap returns
// the failure for when the copy is of no use (flows.Service.Token, when
// the token read is not valid for the margin asked; a renewal): "etcd
// http://…: no answer in time (the team store is unreachable: nothing is
// renewed without it, and the token read at 13:02:11 is not used)".
type StaleError struct {
	Err    error     // the team store's failure, naming its endpoint
	ReadAt time.Time // when the copy was read from the team store
}

// Error says what happened, in one line.
func (e *StaleError) Error() string {
	return fmt.Sprintf("%v: using the token read at %s (the team store is unreachable)", e.Err, e.ReadAt.Local().Format("15:04:05"))
}

// Unwrap returns the team store's failure, saying the copy is no use.
func (e *StaleError) Unwrap() error { return &noCopyError{e} }

// noCopyError is a StaleError whose copy is of no use.
type noCopyError struct{ s *StaleError }

func (e *noCopyError) Error() string {
	return fmt.Sprintf("%v (the team store is unreachable: nothing is renewed without it, and the token read at %s is not used)", e.s.Err, e.s.ReadAt.Local().Format("15:04:05"))
}

func (e *noCopyError) Unwrap() error { return e.s.Err }

// Usable marks the error as one that comes with a state to use
// (flows.Usable).
func (e *StaleError) Usable() bool { return true }

// Unreachable returns the part of err that says a store could not be
// reached (an error whose Unreachable method reports true, as the etcd
// store's do), or nil when err is anything else.
func Unreachable(err error) error {
	var u interface {
		error
		Unreachable() bool
	}
	if errors.As(err, &u) && u.Unreachable() {
		return u
	}
	return nil
}

func (r *ReadThrough) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Load reads name from Team and keeps a copy; when Team cannot be reached
// it returns the copy, if there is one, with a *StaleError.
func (r *ReadThrough) Load(name string) (flows.State, error) {
	st, err := r.Team.Load(name)
	if err == nil {
		r.keep(map[string]flows.State{name: st})
		return st, nil
	}
	cause := Unreachable(err)
	if cause == nil {
		return st, err
	}
	cached, at, ok := r.cached(name)
	if !ok {
		return flows.State{}, err
	}
	return cached, &StaleError{Err: cause, ReadAt: at}
}

// Update writes name in Team alone, and keeps the copy Team's next read
// returns.
func (r *ReadThrough) Update(name string, fn func(*flows.State) error) error {
	return r.Team.Update(name, fn)
}

// Forget deletes name from Team, then its copy.
func (r *ReadThrough) Forget(name string) error {
	if err := r.Team.Forget(name); err != nil {
		return err
	}
	r.keep(map[string]flows.State{name: {}})
	return nil
}

// Lock takes name's renewal lock in Team: there is no renewal without it.
func (r *ReadThrough) Lock(ctx context.Context, name string) (func(), error) {
	return r.Team.Lock(ctx, name)
}

// Changed returns Team's changes and keeps copies of them. When Team
// cannot be reached and mark is 0 (a dashboard starting), it returns every
// copy with the failure and next 0, so the team rows show what was last
// read, and the first call that reaches Team reads everything again.
func (r *ReadThrough) Changed(mark uint64) (map[string]flows.State, uint64, error) {
	changed, next, err := r.Team.Changed(mark)
	switch {
	case err == nil && len(changed) > 0:
		r.keep(changed)
	case err != nil && mark == 0 && Unreachable(err) != nil:
		copies, oldest := r.copies()
		if len(copies) == 0 {
			return nil, 0, err
		}
		return copies, 0, &StaleError{Err: Unreachable(err), ReadAt: oldest}
	}
	return changed, next, err
}

// copies returns every copy kept, and when the oldest of them was read;
// none when the file cannot be read.
func (r *ReadThrough) copies() (all map[string]flows.State, oldest time.Time) {
	all = map[string]flows.State{}
	err := r.Cache.read(func(tx *bbolt.Tx, _ stamp) error {
		b := tx.Bucket(bucketTeamCache)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if len(v) >= 8 {
				if st, _, err := r.open(string(k), v[8:]); err == nil {
					all[string(k)] = st
					if at := readAt(v); oldest.IsZero() || at.Before(oldest) {
						oldest = at
					}
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, time.Time{}
	}
	return all, oldest
}

// readAt is when a kept copy was read.
func readAt(v []byte) time.Time { return time.Unix(0, int64(binary.BigEndian.Uint64(v))) }

// cached returns the copy of name and when it was read.
func (r *ReadThrough) cached(name string) (flows.State, time.Time, bool) {
	var st flows.State
	var at time.Time
	ok := false
	err := r.Cache.read(func(tx *bbolt.Tx, _ stamp) error {
		b := tx.Bucket(bucketTeamCache)
		if b == nil {
			return nil
		}
		v := b.Get([]byte(name))
		if len(v) < 8 {
			return nil
		}
		s, _, err := r.open(name, v[8:])
		if err != nil {
			return err
		}
		st, at, ok = s, readAt(v), true
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return flows.State{}, time.Time{}, false
	}
	return st, at, ok
}

// keep writes the copies of states that differ from those kept (a new
// revision, or a forgotten connection's copy to delete), in one write
// transaction, and none when nothing differs: a Load of an unchanged
// state costs a read of the state file, not a write. A copy that cannot be
// kept is no failure of the read it came from.
func (r *ReadThrough) keep(states map[string]flows.State) {
	stale := map[string]flows.State{}
	check := func(b *bbolt.Bucket) {
		for name, st := range states {
			var v []byte
			if b != nil {
				v = b.Get([]byte(name))
			}
			switch {
			case st.Token == nil && st.Rev == 0 && v == nil:
			case len(v) > 8 && st.Rev != 0 && r.cachedRev(name, v[8:]) == st.Rev:
			default:
				stale[name] = st
			}
		}
	}
	err := r.Cache.read(func(tx *bbolt.Tx, _ stamp) error { check(tx.Bucket(bucketTeamCache)); return nil })
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
		check(nil) // no state file yet: every state is new
	}
	if err != nil || len(stale) == 0 {
		return
	}
	at := r.now()
	_ = r.Cache.write(func(tx *bbolt.Tx, _ *bool) error {
		b, err := tx.CreateBucketIfNotExists(bucketTeamCache)
		if err != nil {
			return err
		}
		for name, st := range stale {
			if st.Token == nil && st.Rev == 0 {
				if err := b.Delete([]byte(name)); err != nil {
					return err
				}
				continue
			}
			enc, err := encodeState(st)
			if err == nil {
				enc, err = r.seal(name, enc)
			}
			if err != nil {
				return err
			}
			v := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(enc)), uint64(at.UnixNano()))
			if err := b.Put([]byte(name), append(v, enc...)); err != nil {
				return err
			}
		}
		return nil
	}, nil)
}

// cachedRev is the revision of a copy; 0 when it cannot be read or is to
// be kept again sealed.
func (r *ReadThrough) cachedRev(name string, enc []byte) uint64 {
	st, fresh, err := r.open(name, enc)
	if err != nil || !fresh {
		return 0
	}
	return st.Rev
}
