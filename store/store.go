// Package store keeps tokentop's connection states in a bbolt file shared by several processes.
package store

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"

	"tokentop/flows"
	"tokentop/store/seal"
)

var _ flows.Store = (*DB)(nil)

// Bucket and key names of the state file.
var (
	bucketStates = []byte("states") // name → encoded State
	bucketRevs   = []byte("revs")   // name → revision and tombstone flag
	bucketMeta   = []byte("meta")
	keyGen       = []byte("generation") // uint64, bumped by every write
	keyFormat    = []byte("format")     // uint64, the file layout version
)

// fileFormat is the layout of buckets and keys. Values carry their own
// version (see formatVersion).
const fileFormat = 1

// DefaultTimeout is how long an operation waits for another process's hold
// on the state file when Options.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// Options tunes Open. The zero value is ready to use.
type Options struct {
	// Timeout bounds the wait for another tokentop's hold on the state file;
	// zero means DefaultTimeout.
	Timeout time.Duration
	// Now returns the current time; it names moved-aside files and dates
	// the holder record of a renewal lock. Nil means time.Now.
	Now func() time.Time
	// Logger receives warnings; nil discards them (they are also kept for
	// Warnings).
	Logger *slog.Logger
	// MaxSize caps the file's size in bytes (bbolt.Options.MaxSize); zero
	// means no cap. Writes that would grow the file beyond it fail with an
	// error wrapping bbolt's errors.ErrMaxSizeReached.
	MaxSize int
	// Keys, when set, gives the key that every state written is sealed
	// with (encrypt.go); nil writes plain text. Values of either kind are
	// read, and the first write re-encodes the others as it writes.
	Keys Keys
	// Plain writes plain text even with Keys set, which then only opens
	// the values sealed before (encryption = "none" after "keyring").
	Plain bool
	// KeysOptional makes Open ask Keys for the key at once and write
	// plain text, with Encryption saying why, when Keys does not answer
	// (encryption's default: the keyring, where one answers).
	KeysOptional bool
}

// DB is the bbolt-backed flows.Store. It holds no file open between calls:
// every call takes the store lock, opens the file, runs one transaction and
// closes it again, so a dashboard and scripts can share the file. A DB is
// safe for concurrent use.
//
// Next to the state file at path it keeps:
//
//   - path.lock, the store lock: shared while reading, exclusive while
//     writing. bbolt's own lock on the state file cannot be the store lock,
//     because Forget renames a new file over it;
//   - path.locks/, the renewal locks of Lock, one file per connection;
//   - path.corrupt-TIME, a damaged state file moved aside, never deleted;
//   - path.compact-*, briefly, the copy Forget writes.
//
// Inside the state file, bucket "states" maps a connection's name to its
// State (JSON in a versioned envelope), "revs" maps it to the generation of
// its last write and whether it was forgotten, and "meta" holds the
// generation, which every write bumps, and the file's format.
type DB struct {
	path    string
	timeout time.Duration
	now     func() time.Time
	log     *slog.Logger
	maxSize int

	// keys gives the key of sealed states; plain writes plain text
	// (plainNote says why when it was not asked for).
	keys      Keys
	plain     bool
	plainNote string

	// opens counts bbolt opens, for tests of Changed's fast path.
	opens atomic.Int64

	// writer serialises this process's writers before they take the flock.
	writer chan struct{}

	mu       sync.Mutex
	warnings []string
	// last is what the previous slow Changed saw: the file's stamp and the
	// generation it held. Changed trusts it only for the same mark.
	last struct {
		ok    bool
		stamp stamp
		gen   uint64
	}
	// kc is the key last fetched; migrated is set once a write has
	// re-encoded the states written otherwise (encrypt.go).
	kc       keyCache
	migrated bool
}

// DefaultPath returns where tokentop keeps its state: $TOKENTOP_STATE, else
// $XDG_STATE_HOME/tokentop/tokentop.db, else
// ~/.local/state/tokentop/tokentop.db.
func DefaultPath() (string, error) {
	if p := os.Getenv("TOKENTOP_STATE"); p != "" {
		return p, nil
	}
	// The XDG Base Directory spec says to ignore a relative value.
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "tokentop", "tokentop.db"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("store: no state file location: %w", err)
	}
	return filepath.Join(home, ".local", "state", "tokentop", "tokentop.db"), nil
}

// Open returns the store kept in the file at path. It creates no directory
// and no state file: they appear with the first write. It tightens the
// permissions of existing files that other users could read, and moves a
// damaged file aside; Warnings reports both.
//
// Before it changes anything, Open refuses (with an error wrapping
// ErrUnsafe) a state file, lock file or lock directory that is not a regular
// file or directory (a link, a named pipe, a device; a path that is a
// directory), or that another user owns, and a directory of the state file
// that another user owns or that others can write without it being sticky.
// Every operation opens the files again without following links and checks
// what it opened the same way.
func Open(path string, opts Options) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: state file %s: %w", path, err)
	}
	db := &DB{
		path:    abs,
		timeout: opts.Timeout,
		now:     opts.Now,
		log:     opts.Logger,
		maxSize: opts.MaxSize,
		writer:  make(chan struct{}, 1),
		keys:    opts.Keys,
		plain:   opts.Plain,
	}
	if db.timeout <= 0 {
		db.timeout = DefaultTimeout
	}
	if db.now == nil {
		db.now = time.Now
	}
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	if err := db.checkPaths(); err != nil {
		return nil, err
	}
	if db.keys != nil && opts.KeysOptional && !db.plain {
		db.probe()
	}
	db.tightenExisting()
	if err := db.checkExisting(); err != nil {
		return nil, err
	}
	return db, nil
}

// checkExisting moves a damaged state file aside at once, so that Warnings
// says so from the start. Other problems (no file, no permission) are left
// to the operations, which report them for what they are then.
func (db *DB) checkExisting() error {
	if _, err := os.Lstat(db.path); err != nil {
		return nil
	}
	// Under the lock, so as not to read a meta page while a writer writes it.
	// If it stays busy, the first operation checks instead.
	release, err := db.acquire(false)
	if err != nil {
		return nil
	}
	_, err = checkFile(db.path)
	release()
	var ce *corruptError
	if errors.As(err, &ce) {
		if err := db.quarantine(ce); err != nil && !errors.Is(err, ErrBusy) {
			return err
		}
	}
	return nil
}

// Path returns the absolute path of the state file.
func (db *DB) Path() string { return db.path }

// Warnings returns what the store fixed or worked around so far (permissions
// tightened, a damaged file moved aside), one sentence each: a damaged file
// first, then the rest oldest first.
func (db *DB) Warnings() []string {
	db.mu.Lock()
	defer db.mu.Unlock()
	return append([]string(nil), db.warnings...)
}

func (db *DB) warn(msg string) {
	db.mu.Lock()
	db.warnings = append(db.warnings, msg)
	db.mu.Unlock()
	db.log.Warn(msg, slog.String("path", db.path))
}

// warnFirst records a warning that outranks the others (a damaged file moved
// aside), so a one-line display shows it.
func (db *DB) warnFirst(msg string) {
	db.mu.Lock()
	db.warnings = append([]string{msg}, db.warnings...)
	db.mu.Unlock()
	db.log.Warn(msg, slog.String("path", db.path))
}

// Load returns the state of the connection name; a connection never saved
// (or forgotten) has the zero State.
func (db *DB) Load(name string) (flows.State, error) {
	var s flows.State
	err := db.read(func(tx *bbolt.Tx, _ stamp) error {
		b := tx.Bucket(bucketStates)
		if b == nil {
			return nil
		}
		v := b.Get([]byte(name))
		if v == nil {
			return nil
		}
		var err error
		s, err = db.decode(bucketStates, name, v)
		return err
	})
	if errors.Is(err, fs.ErrNotExist) {
		return flows.State{}, nil
	}
	return s, err
}

// Update applies fn to a copy of the state of the connection name and saves
// the result in the same write transaction, with a new revision (State.Rev).
// If fn returns an error nothing is written and Update returns that error as
// is; any other error wraps its cause (for example bbolt's
// errors.ErrMaxSizeReached). fn runs while the file is locked against every
// other tokentop, so it must be quick and must not call the store itself.
func (db *DB) Update(name string, fn func(*flows.State) error) error {
	var fnErr error
	var migrated, scrub bool
	err := db.write(func(tx *bbolt.Tx, inFn *bool) error {
		states, revs, meta := tx.Bucket(bucketStates), tx.Bucket(bucketRevs), tx.Bucket(bucketMeta)
		key := []byte(name)
		var cur flows.State
		old := states.Get(key)
		if old != nil {
			var err error
			if cur, err = db.decode(bucketStates, name, old); err != nil {
				return err
			}
		}
		_, oldSealed := seal.Sealed(old)
		var err error
		if scrub, err = db.migrate(tx); err != nil {
			return err
		}
		migrated = true
		next := cur.Clone()
		*inFn = true
		fnErr = fn(&next)
		*inFn = false
		if fnErr != nil {
			return fnErr
		}
		gen := generation(meta) + 1
		next.Rev = gen
		v, err := db.encode(bucketStates, name, next)
		if err != nil {
			return err
		}
		if _, sealed := seal.Sealed(v); sealed && old != nil && !oldSealed {
			scrub = true
		}
		if err := states.Put(key, v); err != nil {
			return err
		}
		if err := revs.Put(key, encodeRev(gen, false)); err != nil {
			return err
		}
		return meta.Put(keyGen, encodeUint(gen))
	}, func() error {
		// A plain value just sealed is still in bbolt's free pages.
		if scrub {
			return db.compactLocked()
		}
		return nil
	})
	switch {
	case err == nil:
		db.mu.Lock()
		db.migrated = db.migrated || migrated
		db.mu.Unlock()
		return nil
	case fnErr != nil && errors.Is(err, fnErr):
		return fnErr
	default:
		return fmt.Errorf("store: saving %q: %w", name, err)
	}
}

// Forget deletes the state of the connection name and records that it was
// forgotten, so Changed reports it as a zero State. It then rewrites the
// file without its free pages, where bbolt leaves old values behind, so the
// connection's tokens (current and earlier) cannot be read back from it.
func (db *DB) Forget(name string) error {
	if _, err := os.Lstat(db.path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	err := db.write(func(tx *bbolt.Tx, _ *bool) error {
		states, revs, meta := tx.Bucket(bucketStates), tx.Bucket(bucketRevs), tx.Bucket(bucketMeta)
		key := []byte(name)
		if states.Get(key) == nil {
			return nil // already gone; compacting below still scrubs old copies
		}
		if err := states.Delete(key); err != nil {
			return err
		}
		gen := generation(meta) + 1
		if err := revs.Put(key, encodeRev(gen, true)); err != nil {
			return err
		}
		return meta.Put(keyGen, encodeUint(gen))
	}, db.compactLocked)
	if err != nil {
		return fmt.Errorf("store: forgetting %q: %w", name, err)
	}
	return nil
}

// Changed returns the states written since mark (0 for all of them) and the
// mark for the next call; a forgotten connection comes back as a zero State.
// When the file's stamp (inode, size, modification time) is the one the
// previous call saw, it returns at once without opening the file.
//
// If the file was replaced (a damaged file moved aside, or deleted), next is
// below mark and changed holds the whole store: the caller should replace
// what it knows rather than merge, since connections of the old file that
// are missing from changed are gone.
func (db *DB) Changed(mark uint64) (map[string]flows.State, uint64, error) {
	fi, err := os.Lstat(db.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, mark, fmt.Errorf("store: state file: %w", err)
	}
	db.mu.Lock()
	same := db.last.ok && db.last.gen == mark && db.last.stamp.equal(stampOf(fi))
	db.mu.Unlock()
	if same {
		return nil, mark, nil
	}

	var changed map[string]flows.State
	next := mark
	err = db.read(func(tx *bbolt.Tx, st stamp) error {
		gen := generation(tx.Bucket(bucketMeta))
		next = gen
		db.remember(st, gen)
		if gen == mark {
			return nil
		}
		since := mark
		if gen < mark {
			since = 0
		}
		states, revs := tx.Bucket(bucketStates), tx.Bucket(bucketRevs)
		if states == nil || revs == nil {
			return nil
		}
		changed = make(map[string]flows.State)
		return revs.ForEach(func(k, v []byte) error {
			rev, forgotten, ok := decodeRev(v)
			if !ok {
				return fmt.Errorf("store: connection %q: revision is not readable", k)
			}
			if rev <= since {
				return nil
			}
			name := string(k)
			if forgotten {
				changed[name] = flows.State{}
				return nil
			}
			s := flows.State{}
			if sv := states.Get(k); sv != nil {
				var err error
				if s, err = db.decode(bucketStates, name, sv); err != nil {
					return err
				}
			}
			changed[name] = s
			return nil
		})
	})
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, 0, nil
	case err != nil:
		return nil, mark, err
	}
	return changed, next, nil
}

// remember keeps the stamp under which generation gen was read, unless the
// stamp is too recent to tell a later write apart (see racyWindow).
func (db *DB) remember(st stamp, gen uint64) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.last.ok = time.Since(st.mtime) > racyWindow
	db.last.stamp, db.last.gen = st, gen
}

func generation(meta *bbolt.Bucket) uint64 {
	if meta == nil {
		return 0
	}
	g, _ := decodeUint(meta.Get(keyGen))
	return g
}

// checkFormat refuses a file laid out by a newer tokentop.
func (db *DB) checkFormat(tx *bbolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return nil
	}
	if f, ok := decodeUint(meta.Get(keyFormat)); ok && f > fileFormat {
		return &newerFormatError{path: db.path, format: f}
	}
	return nil
}
