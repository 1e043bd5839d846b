package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"tokentop/flows"
)

// ErrBusy means another tokentop held the state file for longer than
// Options.Timeout. The error returned wraps it and names the file.
var ErrBusy = errors.New("state file is busy")

type busyError struct {
	path    string
	writing bool // this process wanted to write
	waited  time.Duration
}

func (e *busyError) Error() string {
	who := "another tokentop is writing"
	if e.writing {
		who = "another tokentop is using it"
	}
	return fmt.Sprintf("state file %s is busy (%s): gave up after %s", e.path, who, e.waited)
}

func (e *busyError) Unwrap() error { return ErrBusy }

// Polling bounds for the store lock: flock has no timed wait, so a waiter
// retries, quickly at first (a writer holds it for one transaction, a few
// milliseconds) and then every maxRetry.
const (
	minRetry = time.Millisecond
	maxRetry = 20 * time.Millisecond
)

// acquire takes the store lock, <path>.lock: shared to read, exclusive to
// write, waiting at most db.timeout in all. Every process opens the state
// file only while holding it, which is what makes it safe to rename a
// compacted or damaged file away. Writers of this process also queue on
// db.writer first, so that they wait their turn instead of polling flock.
func (db *DB) acquire(exclusive bool) (release func(), err error) {
	start := time.Now()
	deadline := start.Add(db.timeout)
	busy := func() error {
		return &busyError{path: db.path, writing: exclusive, waited: db.timeout}
	}
	if exclusive {
		t := time.NewTimer(db.timeout)
		select {
		case db.writer <- struct{}{}:
			t.Stop()
		case <-t.C:
			return nil, busy()
		}
	}
	done := func() {
		if exclusive {
			<-db.writer
		}
	}
	if err := db.checkDir(false); err != nil {
		done()
		return nil, err
	}
	lf, err := openLockFile(db.path+".lock", "lock file", false)
	if err != nil {
		done()
		if errors.Is(err, ErrUnsafe) {
			return nil, err
		}
		return nil, fmt.Errorf("store: opening the lock file: %w", err)
	}
	for delay := minRetry; ; delay = min(2*delay, maxRetry) {
		ok, err := lf.tryLock(exclusive)
		if err != nil {
			lf.close()
			done()
			return nil, fmt.Errorf("store: locking %s: %w", db.path+".lock", err)
		}
		if ok {
			break
		}
		left := time.Until(deadline)
		if left <= 0 {
			lf.close()
			done()
			return nil, busy()
		}
		time.Sleep(min(delay, left))
	}
	return func() {
		lf.close() // closing the descriptor releases the lock
		done()
	}, nil
}

// lockRetry is how often Lock tries again while another holder renews.
const lockRetry = 10 * time.Millisecond

// Lock takes the cross-process renewal lock of the connection name, waiting
// until ctx is done, and returns the function that releases it (safe to call
// more than once). Each call opens its own descriptor of the lock file, and
// flock excludes descriptors, not processes, so two goroutines of one
// process exclude each other too; a holder that dies, even by SIGKILL,
// releases it with its descriptors.
//
// The holder records itself in the lock file ("pid 4242 since
// 2026-12-01T10:02:13Z"). If ctx's deadline passes while waiting, the error
// wraps a *flows.LockHeldError naming that holder and
// context.DeadlineExceeded; if ctx is cancelled, it wraps context.Canceled.
// Errors do not name the connection: the caller does.
func (db *DB) Lock(ctx context.Context, name string) (unlock func(), err error) {
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: renewal lock not taken: %w", err)
	}
	dir, err := db.locksDir()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, lockFileName(name))
	lf, err := openLockFile(path, "renewal lock file", true)
	if err != nil {
		if errors.Is(err, ErrUnsafe) {
			return nil, err
		}
		return nil, fmt.Errorf("store: opening a renewal lock file: %w", err)
	}
	for {
		ok, err := lf.tryLock(true)
		if err != nil {
			lf.close()
			return nil, fmt.Errorf("store: taking a renewal lock: %w", err)
		}
		if ok {
			break
		}
		select {
		case <-time.After(lockRetry):
		case <-ctx.Done():
			err := waitError(ctx, lf, time.Since(start))
			lf.close()
			return nil, err
		}
	}
	lf.record(formatHolder(os.Getpid(), db.now()))
	var once sync.Once
	return func() {
		once.Do(func() {
			lf.record("") // a stale record would name a process that is gone
			lf.close()
		})
	}, nil
}

// locksDir creates the renewal lock directory, path.locks, if need be, and
// checks that it is this user's own directory, not a link to one elsewhere.
func (db *DB) locksDir() (string, error) {
	if err := db.mkdir(); err != nil {
		return "", err
	}
	if err := db.checkDir(false); err != nil {
		return "", err
	}
	dir := db.path + ".locks"
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("store: creating the renewal lock directory: %w", err)
	}
	if err := checkEntry(dir, "renewal lock directory", true); err != nil {
		return "", err
	}
	return dir, nil
}

// waitError is the error of a wait for lf that ctx ended after waited: a
// deadline means the holder took too long, and the error names it.
func waitError(ctx context.Context, lf *lockFile, waited time.Duration) error {
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("store: waiting for a renewal lock: %w", ctx.Err())
	}
	held := parseHolder(lf.recorded(maxHolderLen))
	held.Waited = waited
	return &lockHeldError{held: held, cause: ctx.Err()}
}

// lockHeldError is the *flows.LockHeldError of a wait that ran out, which
// also wraps the context's error. Its message is the LockHeldError's alone.
type lockHeldError struct {
	held  *flows.LockHeldError
	cause error
}

func (e *lockHeldError) Error() string   { return e.held.Error() }
func (e *lockHeldError) Unwrap() []error { return []error{e.held, e.cause} }

// maxHolderLen caps what is read of a holder record; a real one is about
// 40 bytes.
const maxHolderLen = 512

// formatHolder is the record a renewal lock's holder leaves in its lock
// file.
func formatHolder(pid int, since time.Time) string {
	return fmt.Sprintf("pid %d since %s\n", pid, since.UTC().Format(time.RFC3339))
}

// parseHolder reads a record formatHolder wrote. Anything else (a record
// cut short, bytes of another program) means the holder is unknown: PID 0
// and a zero Since.
func parseHolder(b []byte) *flows.LockHeldError {
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) != 4 || f[0] != "pid" || f[2] != "since" {
		return &flows.LockHeldError{}
	}
	pid, err := strconv.Atoi(f[1])
	since, err2 := time.Parse(time.RFC3339, f[3])
	if err != nil || err2 != nil || pid <= 0 {
		return &flows.LockHeldError{}
	}
	return &flows.LockHeldError{PID: pid, Since: since}
}

// lockFileName is the hex of the name, which is safe in any file system and
// distinct for distinct names; a name too long for a file name uses the hex
// of its SHA-256 instead.
func lockFileName(name string) string {
	if len(name) <= 100 {
		return hex.EncodeToString([]byte(name)) + ".lock"
	}
	sum := sha256.Sum256([]byte(name))
	return "sha256-" + hex.EncodeToString(sum[:]) + ".lock"
}
