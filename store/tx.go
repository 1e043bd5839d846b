package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Transactions: every operation opens the state file under the store lock,
// runs one bbolt transaction and closes it again.

// read runs fn in a read-only transaction under the shared store lock. It
// returns an error wrapping fs.ErrNotExist, without creating anything, when
// there is no state file. A damaged file is moved aside and the read retried
// once, on the empty store that results.
func (db *DB) read(fn func(*bbolt.Tx, stamp) error) error {
	err := db.readOnce(fn)
	var ce *corruptError
	if errors.As(err, &ce) {
		if err := db.quarantine(ce); err != nil {
			return err
		}
		err = db.readOnce(fn)
	}
	return err
}

func (db *DB) readOnce(fn func(*bbolt.Tx, stamp) error) error {
	// Checked before locking so that reading a store that was never written
	// creates no lock file either. A link is there, to be refused.
	if _, err := os.Lstat(db.path); err != nil {
		return err
	}
	release, err := db.acquire(false)
	if err != nil {
		return err
	}
	defer release()
	st, err := checkFile(db.path)
	if errors.Is(err, errEmptyFile) {
		return fs.ErrNotExist
	}
	if err != nil {
		return err
	}
	return guarded(db.path, st, nil, func() (err error) {
		bdb, err := db.openBolt(st, true)
		if err != nil {
			return err
		}
		defer closeBolt(bdb, &err)
		return bdb.View(func(tx *bbolt.Tx) error {
			if err := db.checkFormat(tx); err != nil {
				return err
			}
			return fn(tx, st)
		})
	})
}

// write runs fn in a write transaction under the exclusive store lock, with
// the buckets created, then after (if not nil) still under the lock. fn
// sets *inFn while it runs caller code, whose panics must not be taken for a
// damaged file. A damaged file is moved aside and the write retried once.
func (db *DB) write(fn func(tx *bbolt.Tx, inFn *bool) error, after func() error) error {
	if err := db.mkdir(); err != nil { // the lock file lives there too
		return err
	}
	release, err := db.acquire(true)
	if err != nil {
		return err
	}
	defer release()
	err = db.writeLocked(fn)
	var ce *corruptError
	if errors.As(err, &ce) {
		if err := db.quarantineLocked(ce); err != nil {
			return err
		}
		err = db.writeLocked(fn)
	}
	if err == nil && after != nil {
		err = after()
	}
	return err
}

func (db *DB) writeLocked(fn func(tx *bbolt.Tx, inFn *bool) error) error {
	st, err := checkFile(db.path)
	created := errors.Is(err, fs.ErrNotExist)
	if err != nil && !created && !errors.Is(err, errEmptyFile) {
		return err
	}
	var inFn, committed bool
	err = guarded(db.path, st, &inFn, func() (err error) {
		bdb, err := db.openBolt(st, false)
		if err != nil {
			return err
		}
		defer closeBolt(bdb, &err)
		defer func() { committed = err == nil }()
		return bdb.Update(func(tx *bbolt.Tx) error {
			if err := db.checkFormat(tx); err != nil {
				return err
			}
			for _, name := range [][]byte{bucketStates, bucketRevs, bucketMeta} {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return err
				}
			}
			meta := tx.Bucket(bucketMeta)
			if meta.Get(keyFormat) == nil {
				if err := meta.Put(keyFormat, encodeUint(fileFormat)); err != nil {
					return err
				}
			}
			return fn(tx, &inFn)
		})
	})
	if err != nil && created && !committed && !errors.Is(err, ErrUnsafe) {
		// Nothing was written; leave no empty file behind either. Nobody
		// else can have it open: we hold the exclusive lock. (What was
		// refused is not ours to remove.)
		_ = os.Remove(db.path)
	}
	return err
}

// openBolt opens the state file, whose meta pages checkFile accepted, for
// one transaction.
func (db *DB) openBolt(st stamp, readOnly bool) (*bbolt.DB, error) {
	db.opens.Add(1)
	bdb, err := bbolt.Open(db.path, 0o600, &bbolt.Options{
		// The store lock already excludes other writers; this bounds the
		// wait for a tokentop that predates it.
		Timeout:      db.timeout,
		ReadOnly:     readOnly,
		MaxSize:      db.maxSize,
		NoStatistics: true,
		OpenFile:     openStateFile,
	})
	switch {
	case err == nil:
		return bdb, nil
	case errors.Is(err, ErrUnsafe):
		return nil, err
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch):
		return nil, &corruptError{path: db.path, stamp: st, reason: err.Error()}
	case errors.Is(err, berrors.ErrTimeout):
		return nil, &busyError{path: db.path, writing: !readOnly, waited: db.timeout}
	default:
		return nil, fmt.Errorf("store: opening %s: %w", db.path, err)
	}
}

// openStateFile is bbolt's OpenFile: it opens a state file (or a compacted
// copy) as openChecked does.
func openStateFile(path string, flag int, perm os.FileMode) (*os.File, error) {
	return openChecked(path, "state file", flag, perm)
}

func closeBolt(bdb *bbolt.DB, errp *error) {
	if err := bdb.Close(); err != nil && *errp == nil {
		*errp = fmt.Errorf("store: closing %s: %w", bdb.Path(), err)
	}
}
