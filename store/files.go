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
// and directories that exist already, warning about each. The state file's
// directory is changed only if it is tokentop's own (named "tokentop", as
// DefaultPath makes it): TOKENTOP_STATE may point into a directory others
// share, such as a home directory, which is not ours to lock down. The
// files in it are 0600 whatever the directory allows.
func (db *DB) tightenExisting() {
	dir := filepath.Dir(db.path)
	if filepath.Base(dir) == "tokentop" {
		db.tighten(dir, 0o700)
	} else if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm()&0o077 != 0 {
		db.warn(fmt.Sprintf("directory %s of the state file is open to other users (mode %#o); its tokentop files are kept private (0600)", dir, fi.Mode().Perm()))
	}
	db.tighten(db.path, 0o600)
	db.tighten(db.path+".lock", 0o600)
	locks := db.path + ".locks"
	db.tighten(locks, 0o700)
	if entries, err := os.ReadDir(locks); err == nil {
		for _, e := range entries {
			db.tighten(filepath.Join(locks, e.Name()), 0o600)
		}
	}
}

// tighten sets want on path if path exists and lets group or others in.
func (db *DB) tighten(path string, want fs.FileMode) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&fs.ModeSymlink != 0 || fi.Mode().Perm()&0o077 == 0 {
		return
	}
	if err := os.Chmod(path, want); err != nil {
		db.warn(fmt.Sprintf("%s is open to other users (mode %#o) and could not be made private: %v", path, fi.Mode().Perm(), err))
		return
	}
	db.warn(fmt.Sprintf("%s was open to other users (mode %#o); changed it to %#o", path, fi.Mode().Perm(), want))
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
	fi, err := os.Stat(db.path)
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
// temporary file is created 0600 (os.CreateTemp).
func (db *DB) compactLocked() (err error) {
	dir := filepath.Dir(db.path)
	pattern := filepath.Base(db.path) + ".compact-*"
	// Copies left by a compaction that died: nothing else can be using them.
	if old, _ := filepath.Glob(filepath.Join(dir, pattern)); len(old) > 0 {
		for _, p := range old {
			_ = os.Remove(p)
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
		dst, err := bbolt.Open(tmpPath, 0o600, &bbolt.Options{Timeout: db.timeout, MaxSize: db.maxSize, NoStatistics: true})
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
	f, err := os.OpenFile(path, os.O_RDWR, 0)
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
