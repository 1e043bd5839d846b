package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
)

// ErrUnsafe means the store refused a file or directory that another user
// could use to read or replace tokentop's tokens: one owned by another user,
// a symbolic link, something that is not a regular file or directory, or a
// directory others can write. Following a link planted there would let
// another user redirect tokentop's writes (CWE-59); OpenSSH's StrictModes
// refuses the same things. The error returned wraps it and names the path
// and, for a file of another user, its owner.
var ErrUnsafe = errors.New("unsafe to use")

type unsafeError struct {
	what    string // "state file", "lock file", …
	path    string
	problem string // "is a symbolic link, not a regular file", …
}

func (e *unsafeError) Error() string {
	return "store: " + e.what + " " + e.path + " " + e.problem
}

func (e *unsafeError) Unwrap() error { return ErrUnsafe }

// checkEntry checks what is at path, if anything, without following a
// symbolic link: it must be a directory if dir is set, else a regular file,
// and belong to this user. A missing entry, or one that cannot be looked at,
// is left to the operation that uses it.
func checkEntry(path, what string, dir bool) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil
	}
	return checkInfo(path, what, fi, dir)
}

// checkInfo checks a file's type and owner as checkEntry does.
func checkInfo(path, what string, fi fs.FileInfo, dir bool) error {
	switch {
	case dir && !fi.IsDir():
		return &unsafeError{what, path, "is " + kindOf(fi.Mode()) + ", not a directory"}
	case !dir && !fi.Mode().IsRegular():
		return &unsafeError{what, path, "is " + kindOf(fi.Mode()) + ", not a regular file"}
	}
	if uid, ok := fileOwner(fi); ok && uid != os.Geteuid() {
		return &unsafeError{what, path, "is owned by another user, " + describeUID(uid)}
	}
	return nil
}

// kindOf names the type of a file for a person.
func kindOf(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	default:
		return "not a file"
	}
}

// describeUID is "uid 65534 (nobody)", or "uid 65534" if no user of that id
// is known.
func describeUID(uid int) string {
	s := "uid " + strconv.Itoa(uid)
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil && u.Username != "" {
		s += " (" + u.Username + ")"
	}
	return s
}

// modeBits is a mode's permission bits with the sticky bit, as chmod
// writes them (01777 for /tmp).
func modeBits(m fs.FileMode) uint32 {
	b := uint32(m.Perm())
	if m&fs.ModeSticky != 0 {
		b |= 0o1000
	}
	return b
}

// checkPaths checks the state file, the store lock, the renewal lock
// directory and the state file's directory before Open changes anything.
func (db *DB) checkPaths() error {
	if err := checkEntry(db.path, "state file", false); err != nil {
		return err
	}
	if err := checkEntry(db.path+".lock", "lock file", false); err != nil {
		return err
	}
	if err := checkEntry(db.path+".locks", "renewal lock directory", true); err != nil {
		return err
	}
	return db.checkDir(true)
}

// checkDir refuses a state file directory that another user could replace
// tokentop's files in: one owned by another user (root aside), or one that
// group or others can write unless it is sticky, as /tmp is. In a sticky
// directory only a file's owner may rename or delete it, and every file the
// store opens must be its own (openChecked), so nobody else's file or link is
// used. atOpen lets through tokentop's own "tokentop" directory, which Open
// is about to tighten. A directory that does not exist yet is not checked:
// mkdir creates it private.
func (db *DB) checkDir(atOpen bool) error {
	dir := filepath.Dir(db.path)
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return nil // the operations report what is wrong
	}
	uid, ok := fileOwner(fi)
	if ok && uid != os.Geteuid() && uid != 0 {
		return &unsafeError{"directory", dir, "of the state file is owned by another user, " + describeUID(uid)}
	}
	m := fi.Mode()
	if m.Perm()&0o022 == 0 || m&fs.ModeSticky != 0 {
		return nil
	}
	if atOpen && db.ownTokentopDir(dir) {
		return nil
	}
	return &unsafeError{"directory", dir, fmt.Sprintf("of the state file can be written by other users (mode %#o) and is not sticky: they could replace tokentop's files in it", modeBits(m))}
}

// ownTokentopDir reports whether dir is tokentop's own directory, as
// DefaultPath lays it out: named "tokentop", a real directory, this user's.
func (db *DB) ownTokentopDir(dir string) bool {
	if filepath.Base(dir) != "tokentop" {
		return false
	}
	fi, err := os.Lstat(dir)
	return err == nil && fi.IsDir() && checkInfo(dir, "", fi, true) == nil
}

// openChecked opens the file at path as os.OpenFile does, but does not
// follow a symbolic link (O_NOFOLLOW), does not wait on a named pipe
// (O_NONBLOCK, cleared again on a regular file), and checks the descriptor it
// got (fstat), not the name, so a file swapped in between a check and the
// open cannot slip through: it must be a regular file of this user. An error
// for a missing file wraps fs.ErrNotExist as os.OpenFile's does. Go opens
// every file close-on-exec.
func openChecked(path, what string, flag int, perm fs.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flag|oNoFollow|oNonblock, perm)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		// O_NOFOLLOW fails with ELOOP on a link, opening a socket with
		// ENXIO, creating over another user's file in a sticky directory
		// (fs.protected_regular) with EACCES: say which.
		if cerr := checkEntry(path, what, false); cerr != nil {
			return nil, cerr
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		err = checkInfo(path, what, fi, false)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	setBlocking(f)
	return f, nil
}

// removeOwn removes the regular file at path if it is this user's, and
// leaves anything else (another user's file in a shared directory, a link)
// alone.
func removeOwn(path string) {
	if checkEntry(path, "", false) == nil {
		_ = os.Remove(path)
	}
}
