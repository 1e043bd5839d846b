//go:build unix

package store

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nobody is the uid the tests give a file of "another user" (os.Chown needs
// root; those tests skip without it).
const nobody = 65534

func chownNobody(tb testing.TB, path string) {
	tb.Helper()
	if os.Geteuid() == nobody {
		tb.Skip("the tests run as the user they take for another")
	}
	if err := os.Lchown(path, nobody, nobody); err != nil {
		tb.Skipf("cannot give %s to another user: %v", path, err)
	}
}

// nobodyText is how errors name the owner nobody.
func nobodyText() string {
	if u, err := user.LookupId("65534"); err == nil {
		return "uid 65534 (" + u.Username + ")"
	}
	return "uid 65534"
}

func mustWrite(tb testing.TB, path, content string, mode fs.FileMode) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		tb.Fatal(err)
	}
}

func mustSymlink(tb testing.TB, target, link string) {
	tb.Helper()
	if err := os.Symlink(target, link); err != nil {
		tb.Fatal(err)
	}
}

func mustChmod(tb testing.TB, path string, mode fs.FileMode) {
	tb.Helper()
	if err := os.Chmod(path, mode); err != nil {
		tb.Fatal(err)
	}
}

// modeOf is path's mode (of the link itself, for a link).
func modeOf(tb testing.TB, path string) fs.FileMode {
	tb.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.Mode()
}

func ownerOf(tb testing.TB, path string) int {
	tb.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		tb.Fatal(err)
	}
	uid, _ := fileOwner(fi)
	return uid
}

// wantUnsafe fails unless err is a refusal with exactly the message want.
func wantUnsafe(tb testing.TB, op string, err error, want string) {
	tb.Helper()
	if !errors.Is(err, ErrUnsafe) || err.Error() != want {
		tb.Errorf("%s: %v\nwant %s", op, err, want)
	}
}

// noneOf fails if any of paths exists.
func noneOf(tb testing.TB, paths ...string) {
	tb.Helper()
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			tb.Errorf("%s was created", p)
		}
	}
}

// TestOpenRefusesWhatIsNotAFile covers --state DIR (a path that is a
// directory, such as the home directory) and the other things that are not
// a state file: Open must refuse them before it changes anything, so the
// loose "tokentop" directory, the thing itself and what a link points to
// keep their modes, and no lock file appears.
func TestOpenRefusesWhatIsNotAFile(t *testing.T) {
	tests := map[string]struct {
		make func(tb testing.TB, path, elsewhere string) (keep string) // keep's mode must not change
		is   string
	}{
		"directory (--state $HOME)": {is: "a directory", make: func(tb testing.TB, path, _ string) string {
			if err := os.Mkdir(path, 0o755); err != nil {
				tb.Fatal(err)
			}
			mustChmod(tb, path, 0o755)
			mustWrite(tb, filepath.Join(path, ".profile"), "x", 0o644)
			return path
		}},
		"link to a file": {is: "a symbolic link", make: func(tb testing.TB, path, elsewhere string) string {
			victim := filepath.Join(elsewhere, "victim")
			mustWrite(tb, victim, "", 0o644)
			mustSymlink(tb, victim, path)
			return victim
		}},
		"link to a directory": {is: "a symbolic link", make: func(tb testing.TB, path, elsewhere string) string {
			mustChmod(tb, elsewhere, 0o755)
			mustSymlink(tb, elsewhere, path)
			return elsewhere
		}},
		"dangling link": {is: "a symbolic link", make: func(tb testing.TB, path, elsewhere string) string {
			mustSymlink(tb, filepath.Join(elsewhere, "none"), path)
			return path
		}},
		"named pipe": {is: "a named pipe", make: func(tb testing.TB, path, _ string) string {
			if err := syscall.Mkfifo(path, 0o644); err != nil {
				tb.Skipf("mkfifo: %v", err)
			}
			mustChmod(tb, path, 0o644)
			return path
		}},
		"socket": {is: "a socket", make: func(tb testing.TB, path, _ string) string {
			l, err := net.Listen("unix", path)
			if err != nil {
				tb.Skipf("listen: %v", err)
			}
			tb.Cleanup(func() { l.Close() })
			mustChmod(tb, path, 0o666)
			return path
		}},
		"device": {is: "a character device", make: func(tb testing.TB, path, _ string) string {
			if runtime.GOOS != "linux" {
				tb.Skip("device numbers are Linux's")
			}
			if err := syscall.Mknod(path, syscall.S_IFCHR|0o666, 1<<8|3); err != nil { // /dev/null
				tb.Skipf("mknod: %v", err)
			}
			mustChmod(tb, path, 0o666)
			return path
		}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			base := t.TempDir()
			dir := filepath.Join(base, "tokentop")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			mustChmod(t, dir, 0o755)
			elsewhere := filepath.Join(base, "elsewhere")
			if err := os.Mkdir(elsewhere, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "tokentop.db")
			keep := tt.make(t, path, elsewhere)
			keepMode := modeOf(t, keep)

			// Opening a named pipe waits for a writer: a regression would
			// hang, so it fails instead.
			done := make(chan error, 1)
			go func() { _, err := Open(path, Options{}); done <- err }()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Open did not return: it waits on what is in the state file's place")
			}
			want := "store: state file " + path + " is " + tt.is + ", not a regular file"
			wantUnsafe(t, "Open", err, want)
			if m := modeOf(t, dir); m.Perm() != 0o755 {
				t.Errorf("the state file's directory was changed to %v", m)
			}
			if m := modeOf(t, keep); m != keepMode {
				t.Errorf("%s was changed from %v to %v", keep, keepMode, m)
			}
			noneOf(t, path+".lock", path+".locks", path+corruptSuffix)
		})
	}
}

// TestOpenRefusesOtherUsersFiles: a state file, lock file or lock
// directory that another user owns or that is a link, or a state file
// directory of another user, is refused by Open before anything changes.
func TestOpenRefusesOtherUsersFiles(t *testing.T) {
	tests := map[string]struct {
		plant func(tb testing.TB, path string)
		want  func(path string) string
	}{
		"state file of another user": {
			plant: func(tb testing.TB, path string) { chownNobody(tb, path) },
			want:  func(p string) string { return "store: state file " + p + " is owned by another user, " + nobodyText() },
		},
		"lock file of another user": {
			plant: func(tb testing.TB, path string) { chownNobody(tb, path+".lock") },
			want: func(p string) string {
				return "store: lock file " + p + ".lock is owned by another user, " + nobodyText()
			},
		},
		"lock file is a link": {
			plant: func(tb testing.TB, path string) {
				if err := os.Remove(path + ".lock"); err != nil {
					tb.Fatal(err)
				}
				mustSymlink(tb, filepath.Join(tb.TempDir(), "x"), path+".lock")
			},
			want: func(p string) string { return "store: lock file " + p + ".lock is a symbolic link, not a regular file" },
		},
		"lock directory of another user": {
			plant: func(tb testing.TB, path string) { chownNobody(tb, path+".locks") },
			want: func(p string) string {
				return "store: renewal lock directory " + p + ".locks is owned by another user, " + nobodyText()
			},
		},
		"lock directory is a link": {
			plant: func(tb testing.TB, path string) {
				if err := os.RemoveAll(path + ".locks"); err != nil {
					tb.Fatal(err)
				}
				mustSymlink(tb, tb.TempDir(), path+".locks")
			},
			want: func(p string) string {
				return "store: renewal lock directory " + p + ".locks is a symbolic link, not a directory"
			},
		},
		"lock directory is a file": {
			plant: func(tb testing.TB, path string) {
				if err := os.RemoveAll(path + ".locks"); err != nil {
					tb.Fatal(err)
				}
				mustWrite(tb, path+".locks", "", 0o600)
			},
			want: func(p string) string {
				return "store: renewal lock directory " + p + ".locks is a regular file, not a directory"
			},
		},
		"directory of another user": {
			plant: func(tb testing.TB, path string) { chownNobody(tb, filepath.Dir(path)) },
			want: func(p string) string {
				return "store: directory " + filepath.Dir(p) + " of the state file is owned by another user, " + nobodyText()
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			path := testPath(t)
			db := mustOpenAt(t, path, Options{})
			mustUpdate(t, db, "c", setToken("a", "r"))
			unlock, err := db.Lock(context.Background(), "c")
			if err != nil {
				t.Fatal(err)
			}
			unlock()
			// Loose, so that a tightening Open would show.
			mustChmod(t, filepath.Dir(path), 0o755)
			mustChmod(t, path, 0o644)
			tt.plant(t, path)

			_, err = Open(path, Options{})
			wantUnsafe(t, "Open", err, tt.want(path))
			if m := modeOf(t, filepath.Dir(path)); m.Perm() != 0o755 {
				t.Errorf("the state file's directory was changed to %v", m)
			}
			if m := modeOf(t, path); m.Perm() != 0o644 {
				t.Errorf("the state file was changed to %v", m)
			}
		})
	}
}

// sharedDir returns a new directory with mode, which others may write.
func sharedDir(tb testing.TB, mode fs.FileMode) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "shared")
	if err := os.Mkdir(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	mustChmod(tb, dir, mode)
	return dir
}

// TestSharedDirectory: in a directory others can write, the store is kept
// only if the directory is sticky, and then only in files tokentop owns.
func TestSharedDirectory(t *testing.T) {
	t.Run("not sticky: refused", func(t *testing.T) {
		for _, mode := range []fs.FileMode{0o777, 0o775, 0o757} {
			dir := sharedDir(t, mode)
			path := filepath.Join(dir, "tokentop.db")
			_, err := Open(path, Options{})
			want := "store: directory " + dir + " of the state file can be written by other users (mode " +
				octal(uint32(mode)) + ") and is not sticky: they could replace tokentop's files in it"
			wantUnsafe(t, "Open", err, want)
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("Open created %v", entries)
			}
		}
	})
	t.Run("not sticky after Open: writes refused", func(t *testing.T) {
		dir := sharedDir(t, 0o700)
		path := filepath.Join(dir, "tokentop.db")
		db := mustOpenAt(t, path, Options{})
		mustChmod(t, dir, 0o777)
		want := "store: directory " + dir + " of the state file can be written by other users (mode 0777) and is not sticky: they could replace tokentop's files in it"
		if err := db.Update("c", setToken("a", "r")); !errors.Is(err, ErrUnsafe) || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("Update: %v\nwant %s", err, want)
		}
		_, err := db.Lock(context.Background(), "c")
		wantUnsafe(t, "Lock", err, want)
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("created %v", entries)
		}
	})
	t.Run("sticky: used, in files of our own", func(t *testing.T) {
		dir := sharedDir(t, 0o777|fs.ModeSticky)
		path := filepath.Join(dir, "tokentop.db")
		db := mustOpenAt(t, path, Options{})
		want := "directory " + dir + " of the state file can be written by other users (mode 01777); it is sticky, so they cannot replace tokentop's files there; tokentop's files in it are private (0600)"
		if w := db.Warnings(); len(w) != 1 || w[0] != want {
			t.Errorf("warnings = %q\nwant %s", w, want)
		}
		mustUpdate(t, db, "c", setToken("a", "r"))
		unlock, err := db.Lock(context.Background(), "c")
		if err != nil {
			t.Fatal(err)
		}
		unlock()
		if err := db.Forget("c"); err != nil {
			t.Fatal(err)
		}
		for p, want := range map[string]fs.FileMode{
			path:                                    0o600,
			path + ".lock":                          0o600,
			path + ".locks":                         fs.ModeDir | 0o700,
			filepath.Join(path+".locks", "63.lock"): 0o600,
		} {
			if m := modeOf(t, p); m != want || ownerOf(t, p) != os.Geteuid() {
				t.Errorf("%s: mode %v, owner %d; want %v, %d", p, m, ownerOf(t, p), want, os.Geteuid())
			}
		}
	})

	// Files planted by another user before Open, or after it, in a sticky
	// directory: each refused, and left as it is.
	plants := map[string]struct {
		plant func(tb testing.TB, path string) (planted string)
		want  func(path string) string
	}{
		"state file": {
			plant: func(tb testing.TB, path string) string {
				mustWrite(tb, path, "", 0o666)
				chownNobody(tb, path)
				return path
			},
			want: func(p string) string { return "store: state file " + p + " is owned by another user, " + nobodyText() },
		},
		"link as state file": {
			plant: func(tb testing.TB, path string) string {
				victim := filepath.Join(tb.TempDir(), "victim")
				mustWrite(tb, victim, "", 0o600)
				mustSymlink(tb, victim, path)
				return victim
			},
			want: func(p string) string { return "store: state file " + p + " is a symbolic link, not a regular file" },
		},
		"lock file": {
			plant: func(tb testing.TB, path string) string {
				mustWrite(tb, path+".lock", "", 0o666)
				chownNobody(tb, path+".lock")
				return path + ".lock"
			},
			want: func(p string) string {
				return "store: lock file " + p + ".lock is owned by another user, " + nobodyText()
			},
		},
		"link as lock file": {
			plant: func(tb testing.TB, path string) string {
				victim := filepath.Join(tb.TempDir(), "victim")
				mustWrite(tb, victim, "", 0o600)
				mustSymlink(tb, victim, path+".lock")
				return victim
			},
			want: func(p string) string { return "store: lock file " + p + ".lock is a symbolic link, not a regular file" },
		},
	}
	for name, tt := range plants {
		for _, when := range []string{"before Open", "after Open"} {
			t.Run(name+" planted "+when, func(t *testing.T) {
				dir := sharedDir(t, 0o777|fs.ModeSticky)
				path := filepath.Join(dir, "tokentop.db")
				var db *DB
				if when == "after Open" {
					db = mustOpenAt(t, path, Options{})
				}
				planted := tt.plant(t, path)
				before := modeOf(t, planted)
				owner := ownerOf(t, planted)
				want := tt.want(path)
				if db == nil {
					_, err := Open(path, Options{})
					wantUnsafe(t, "Open", err, want)
				} else {
					err := db.Update("c", setToken("a", "r"))
					if !errors.Is(err, ErrUnsafe) || !strings.HasSuffix(err.Error(), want) {
						t.Errorf("Update: %v\nwant %s", err, want)
					}
				}
				fi, err := os.Lstat(planted)
				if err != nil || fi.Mode() != before || fi.Size() != 0 || ownerOf(t, planted) != owner {
					t.Errorf("%s was changed: %v, %v", planted, fi, err)
				}
			})
		}
	}

	t.Run("another user's compaction leftover stays", func(t *testing.T) {
		dir := sharedDir(t, 0o777|fs.ModeSticky)
		path := filepath.Join(dir, "tokentop.db")
		db := mustOpenAt(t, path, Options{})
		mustUpdate(t, db, "c", setToken("a", "r"))
		theirs := path + ".compact-12345"
		mustWrite(t, theirs, "theirs", 0o600)
		chownNobody(t, theirs)
		if err := db.Forget("c"); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(theirs); err != nil || string(b) != "theirs" {
			t.Errorf("another user's file was removed or changed: %q, %v", b, err)
		}
	})
}

func octal(m uint32) string {
	const digits = "01234567"
	s := ""
	for ; m > 0; m >>= 3 {
		s = string(digits[m&7]) + s
	}
	return "0" + s
}

// TestLockRefuses: the renewal lock directory must be our own directory,
// and a lock file our own regular file; a link is not followed, so the file
// it points to is neither locked nor truncated.
func TestLockRefuses(t *testing.T) {
	tests := map[string]struct {
		plant func(tb testing.TB, path, lock string) (victim string)
		want  func(path, lock string) string
	}{
		"lock file of another user": {
			plant: func(tb testing.TB, _, lock string) string {
				mustWrite(tb, lock, "pid 1 since 2026-01-01T00:00:00Z\n", 0o600)
				chownNobody(tb, lock)
				return lock
			},
			want: func(_, lock string) string {
				return "store: renewal lock file " + lock + " is owned by another user, " + nobodyText()
			},
		},
		"lock file is a link": {
			plant: func(tb testing.TB, _, lock string) string {
				victim := filepath.Join(tb.TempDir(), "victim")
				mustWrite(tb, victim, "keep me\n", 0o600)
				mustSymlink(tb, victim, lock)
				return victim
			},
			want: func(_, lock string) string {
				return "store: renewal lock file " + lock + " is a symbolic link, not a regular file"
			},
		},
		"lock directory is a link": {
			plant: func(tb testing.TB, path, _ string) string {
				if err := os.Remove(path + ".locks"); err != nil {
					tb.Fatal(err)
				}
				elsewhere := tb.TempDir()
				victim := filepath.Join(elsewhere, lockFileName("aha"))
				mustWrite(tb, victim, "keep me\n", 0o600)
				mustSymlink(tb, elsewhere, path+".locks")
				return victim
			},
			want: func(path, _ string) string {
				return "store: renewal lock directory " + path + ".locks is a symbolic link, not a directory"
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			db := mustOpen(t)
			path := db.Path()
			if err := os.MkdirAll(path+".locks", 0o700); err != nil {
				t.Fatal(err)
			}
			lock := filepath.Join(path+".locks", lockFileName("aha"))
			victim := tt.plant(t, path, lock)
			before, err := os.ReadFile(victim)
			if err != nil {
				t.Fatal(err)
			}
			unlock, err := db.Lock(context.Background(), "aha")
			if err == nil {
				unlock()
			}
			wantUnsafe(t, "Lock", err, tt.want(path, lock))
			if after, err := os.ReadFile(victim); err != nil || string(after) != string(before) {
				t.Errorf("%s changed from %q to %q (%v)", victim, before, after, err)
			}
		})
	}
}

// TestTightenOnlyOwnFiles: Open tightens only this user's own files and
// directories, never another user's file among them or what a link points
// to.
func TestTightenOnlyOwnFiles(t *testing.T) {
	db := mustOpen(t)
	path := db.Path()
	mustUpdate(t, db, "c", setToken("a", "r"))
	unlock, err := db.Lock(context.Background(), "c")
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	locks := path + ".locks"
	ours := filepath.Join(locks, lockFileName("c"))
	theirs := filepath.Join(locks, "74686569727300.lock")
	mustWrite(t, theirs, "", 0o644)
	chownNobody(t, theirs)
	outside := filepath.Join(t.TempDir(), "outside")
	mustWrite(t, outside, "", 0o644)
	mustSymlink(t, outside, filepath.Join(locks, "6c696e6b.lock"))
	mustChmod(t, ours, 0o644)
	mustChmod(t, locks, 0o755)

	db = mustOpenAt(t, path, Options{})
	for p, want := range map[string]fs.FileMode{
		locks:   fs.ModeDir | 0o700,
		ours:    0o600,
		theirs:  0o644,
		outside: 0o644,
	} {
		if m := modeOf(t, p); m != want {
			t.Errorf("%s: mode %v, want %v", p, m, want)
		}
	}
	want := []string{
		locks + " was open to other users (mode 0755); changed it to 0700",
		ours + " was open to other users (mode 0644); changed it to 0600",
	}
	if w := db.Warnings(); strings.Join(w, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings = %q\nwant %q", w, want)
	}
}

// TestStateFileBecomesLink: a link put in the state file's place after Open
// is refused by every operation, and the file it points to is not written
// (the CWE-59 attack: an empty file there would get bbolt's pages).
func TestStateFileBecomesLink(t *testing.T) {
	db := mustOpen(t)
	path := db.Path()
	mustUpdate(t, db, "c", setToken("a", "r"))
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(t.TempDir(), "victim")
	mustWrite(t, victim, "", 0o600)
	mustSymlink(t, victim, path)

	want := "store: state file " + path + " is a symbolic link, not a regular file"
	_, err := db.Load("c")
	wantUnsafe(t, "Load", err, want)
	_, _, err = db.Changed(0)
	wantUnsafe(t, "Changed", err, want)
	if err := db.Update("c", setToken("b", "r")); !errors.Is(err, ErrUnsafe) || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("Update: %v\nwant %s", err, want)
	}
	if err := db.Forget("c"); !errors.Is(err, ErrUnsafe) || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("Forget: %v\nwant %s", err, want)
	}
	if fi, err := os.Stat(victim); err != nil || fi.Size() != 0 {
		t.Errorf("the link's target was written: %v, %v", fi.Size(), err)
	}
	if m := modeOf(t, path); m&fs.ModeSymlink == 0 || len(db.Warnings()) != 0 {
		t.Errorf("the link was moved or replaced (%v), warnings %q", m, db.Warnings())
	}
}

// TestPipeInPlace: a named pipe put in the place of the state file or the
// lock file after Open is refused at once; opening it the ordinary way would
// wait for a writer for ever.
func TestPipeInPlace(t *testing.T) {
	for _, tt := range []struct{ what, suffix string }{{"state file", ""}, {"lock file", ".lock"}} {
		t.Run(tt.what, func(t *testing.T) {
			db := mustOpen(t)
			mustUpdate(t, db, "c", setToken("a", "r"))
			pipe := db.Path() + tt.suffix
			if err := os.Remove(pipe); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Mkfifo(pipe, 0o600); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
			done := make(chan error, 1)
			go func() { _, err := db.Load("c"); done <- err }()
			select {
			case err := <-done:
				wantUnsafe(t, "Load", err, "store: "+tt.what+" "+pipe+" is a named pipe, not a regular file")
			case <-time.After(10 * time.Second):
				t.Fatalf("Load did not return: it waits on a named pipe in the %s's place", tt.what)
			}
		})
	}
}
