//go:build unix

package store

import (
	"errors"
	"os"
	"syscall"
)

// lockFile is an open lock file locked with flock(2), shared or exclusive.
// flock locks an open file description, not a process, so two descriptors
// exclude each other even within one process; closing the file, or the end
// of the process however it dies, releases the lock.
type lockFile struct{ f *os.File }

// openLockFile opens the lock file at path, creating it 0600, as openChecked
// does: never through a link, and only if it is this user's regular file.
// write opens it for recording the holder too.
func openLockFile(path, what string, write bool) (*lockFile, error) {
	flag := os.O_RDONLY
	if write {
		flag = os.O_RDWR
	}
	f, err := openChecked(path, what, flag|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	return &lockFile{f}, nil
}

// tryLock takes the lock if nobody else holds it in a conflicting mode, and
// reports whether it did, without waiting.
func (l *lockFile) tryLock(exclusive bool) (bool, error) {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	rc, err := l.f.SyscallConn()
	if err != nil {
		return false, err
	}
	var ferr error
	err = rc.Control(func(fd uintptr) {
		for {
			if ferr = syscall.Flock(int(fd), how|syscall.LOCK_NB); ferr != syscall.EINTR {
				return
			}
		}
	})
	switch {
	case err != nil:
		return false, err
	case ferr == nil:
		return true, nil
	case errors.Is(ferr, syscall.EWOULDBLOCK):
		return false, nil
	default:
		return false, &os.PathError{Op: "flock", Path: l.f.Name(), Err: ferr}
	}
}

// record replaces the lock file's content with line, which says who holds
// the lock. It is a courtesy to those who wait, so failing is no error.
func (l *lockFile) record(line string) {
	if l.f.Truncate(0) == nil && line != "" {
		_, _ = l.f.WriteAt([]byte(line), 0)
	}
}

// recorded returns at most limit bytes of what the holder recorded.
func (l *lockFile) recorded(limit int) []byte {
	b := make([]byte, limit)
	n, _ := l.f.ReadAt(b, 0)
	return b[:n]
}

// close releases the lock.
func (l *lockFile) close() { _ = l.f.Close() }
