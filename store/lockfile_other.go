//go:build !unix

package store

import "github.com/gofrs/flock"

// lockFile is a lock file locked with gofrs/flock (LockFileEx on Windows).
type lockFile struct{ fl *flock.Flock }

// openLockFile refuses what checkEntry refuses; there is no O_NOFOLLOW to
// open the file with outside Unix.
func openLockFile(path, what string, write bool) (*lockFile, error) {
	if err := checkEntry(path, what, false); err != nil {
		return nil, err
	}
	return &lockFile{flock.New(path, flock.SetPermissions(0o600))}, nil
}

func (l *lockFile) tryLock(exclusive bool) (bool, error) {
	if exclusive {
		return l.fl.TryLock()
	}
	return l.fl.TryRLock()
}

// Windows locks are mandatory: while one handle holds the lock no other can
// read or write the file, so no holder is recorded there.
func (l *lockFile) record(string) {}

func (l *lockFile) recorded(int) []byte { return nil }

func (l *lockFile) close() { _ = l.fl.Close() }
