package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"go.etcd.io/bbolt"
)

// mkdir creates the state file's directory, readable by its owner only.
func (db *DB) mkdir() error {
	if err := os.MkdirAll(filepath.Dir(db.path), 0o700); err != nil {
		return fmt.Errorf("store: creating the state directory: %w", err)
	}
	return nil
}

// tightenExisting takes group and other permissions off the store's files
// and directories that exist already, warning about each. It changes only
// what is this user's own, a regular file or a real directory, never through
// a link (see tighten); Open has refused the rest already. The state file's
// directory is changed only if it is tokentop's own (named "tokentop", as
// DefaultPath makes it): TOKENTOP_STATE may point into a directory others
// share, such as a home directory, which is not ours to lock down. That one
// is warned about, and the warning says the files in it are private only
// if they are.
func (db *DB) tightenExisting() {
	dir := filepath.Dir(db.path)
	var msgs []string
	private := true
	add := func(msg string, ok bool) {
		if msg != "" {
			msgs = append(msgs, msg)
		}
		private = private && ok
	}
	own := db.ownTokentopDir(dir)
	if own {
		add(tighten(dir, 0o700, true))
	}
	add(tighten(db.path, 0o600, false))
	add(tighten(db.path+".lock", 0o600, false))
	locks := db.path + ".locks"
	add(tighten(locks, 0o700, true))
	if fi, err := os.Lstat(locks); err == nil && checkInfo(locks, "", fi, true) == nil {
		if entries, err := os.ReadDir(locks); err == nil {
			for _, e := range entries {
				add(tighten(filepath.Join(locks, e.Name()), 0o600, false))
			}
		}
	}
	if fi, err := os.Stat(dir); err == nil && !own && fi.Mode().Perm()&0o077 != 0 {
		msgs = append([]string{sharedDirWarning(dir, fi.Mode(), private)}, msgs...)
	}
	for _, msg := range msgs {
		db.warn(msg)
	}
}

// sharedDirWarning says that the state file's directory m is open to other
// users, and that tokentop's files in it are private if private says so.
func sharedDirWarning(dir string, m fs.FileMode, private bool) string {
	var s string
	if m.Perm()&0o022 != 0 {
		// Sticky: checkDir refuses a directory others can write otherwise.
		s = fmt.Sprintf("directory %s of the state file can be written by other users (mode %#o); it is sticky, so they cannot replace tokentop's files there", dir, modeBits(m))
	} else {
		s = fmt.Sprintf("directory %s of the state file is open to other users (mode %#o)", dir, modeBits(m))
	}
	if private {
		s += "; tokentop's files in it are private (0600)"
	}
	return s
}

// tighten sets want on path if path is this user's own regular file (a real
// directory, if dir) and lets group or others in. It changes the mode of
// the descriptor it opened without following a link and checked (fchmod),
// so a link or another user's file swapped in meanwhile is not changed. It
// returns the warning to give, if any, and whether path is private now
// (true also when there is nothing of ours to change).
func tighten(path string, want fs.FileMode, dir bool) (msg string, private bool) {
	fi, err := os.Lstat(path)
	if err != nil || checkInfo(path, "", fi, dir) != nil || fi.Mode().Perm()&0o077 == 0 {
		return "", true
	}
	if err := fchmod(path, want, dir); err != nil {
		return fmt.Sprintf("%s is open to other users (mode %#o) and could not be made private: %v", path, fi.Mode().Perm(), err), false
	}
	return fmt.Sprintf("%s was open to other users (mode %#o); changed it to %#o", path, fi.Mode().Perm(), want), true
}

// fchmod opens path without following a link, checks that it is still this
// user's regular file (or directory, if dir), and sets want on it.
func fchmod(path string, want fs.FileMode, dir bool) error {
	flag, what := os.O_RDONLY|oNoFollow|oNonblock, "file"
	if dir {
		flag, what = flag|oDirectory, "directory"
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := checkInfo(path, what, fi, dir); err != nil {
		return err
	}
	return f.Chmod(want)
}

// quarantine moves a damaged state file aside under the exclusive lock.
func (db *DB) quarantine(ce *corruptError) error {
	release, err := db.acquire(true)
	if err != nil {
		return err
	}
	defer release()
	return db.quarantineLocked(ce)
}

// quarantineLocked renames the damaged file to <path>.corrupt-<UTC time>, so
// that the store starts empty and nothing is lost: the user may still
// recover tokens from the copy. It does nothing if the file is no longer the
// one found damaged (another process dealt with it). The caller holds the
// exclusive store lock.
func (db *DB) quarantineLocked(ce *corruptError) error {
	fi, err := os.Lstat(db.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: state file: %w", err)
	}
	if !stampOf(fi).equal(ce.stamp) {
		return nil
	}
	base := db.path + ".corrupt-" + db.now().UTC().Format("20060102T150405Z")
	dst := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(dst); err != nil {
			break
		}
		dst = fmt.Sprintf("%s-%d", base, i)
	}
	if err := os.Rename(db.path, dst); err != nil {
		return fmt.Errorf("%w; moving it aside failed: %w", ce, err)
	}
	syncDir(filepath.Dir(db.path))
	db.warnFirst(fmt.Sprintf("state file %s was damaged (%s); moved it to %s and started with an empty store", db.path, ce.reason, dst))
	return nil
}

// compactLocked rewrites the state file with live values only, leaving no
// free page that still holds an old token: bbolt.Compact into a temporary
// file in the same directory, fsync, rename over the state file, fsync the
// directory. Renaming is safe because every process opens the file only
// while holding the store lock, which the caller holds exclusively; the
// temporary file is created 0600 with a name nobody else has (os.CreateTemp:
// O_EXCL, which follows no link), reopened only as openChecked does, and a
// rename replaces a link rather than follow it.
func (db *DB) compactLocked() (err error) {
	dir := filepath.Dir(db.path)
	pattern := filepath.Base(db.path) + ".compact-*"
	// Copies left by a compaction that died: nothing else can be using them.
	// In a shared directory, another user's files of that name stay.
	if old, _ := filepath.Glob(filepath.Join(dir, pattern)); len(old) > 0 {
		for _, p := range old {
			removeOwn(p)
		}
	}
	st, err := checkFile(db.path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return fmt.Errorf("compacting: %w", err)
	}
	tmpPath := tmp.Name()
	_ = tmp.Close()
	defer func() {
		if err != nil {
			_ = os.Remove(tmpPath)
		}
	}()
	err = guarded(db.path, st, nil, func() (err error) {
		src, err := db.openBolt(st, true)
		if err != nil {
			return err
		}
		defer closeBolt(src, &err)
		dst, err := bbolt.Open(tmpPath, 0o600, &bbolt.Options{Timeout: db.timeout, MaxSize: db.maxSize, NoStatistics: true, OpenFile: openStateFile})
		if err != nil {
			return fmt.Errorf("compacting: %w", err)
		}
		defer closeBolt(dst, &err)
		if err := bbolt.Compact(dst, src, 0); err != nil {
			return fmt.Errorf("compacting: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := syncFile(tmpPath); err != nil {
		return fmt.Errorf("compacting: %w", err)
	}
	if err := os.Rename(tmpPath, db.path); err != nil {
		return fmt.Errorf("compacting: %w", err)
	}
	syncDir(dir)
	return nil
}

func syncFile(path string) error {
	f, err := openChecked(path, "state file", os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a rename in dir durable. Failing to is not worth an error:
// the rename happened, and some file systems cannot sync a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
