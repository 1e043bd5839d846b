package store

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"tokentop/flows"
)

// fixedNow is the clock of the corruption tests, so the name a damaged file
// is moved to is known.
func fixedNow() time.Time { return time.Date(2026, 11, 23, 15, 42, 0, 0, time.UTC) }

const corruptSuffix = ".corrupt-20261123T154200Z"

// goodFile writes a store with a few connections and returns its path.
func goodFile(tb testing.TB) string {
	tb.Helper()
	db := mustOpen(tb)
	for i := range 20 {
		mustUpdate(tb, db, "conn-"+strings.Repeat("x", i), func(s *flows.State) error {
			s.Token = &flows.Token{AccessToken: strings.Repeat("a", 500), RefreshToken: "r"}
			return nil
		})
	}
	return db.Path()
}

// highWater returns the size the meta page says the file must have.
func highWater(tb testing.TB, path string) int64 {
	tb.Helper()
	b := make([]byte, 4096)
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := f.ReadAt(b, 0); err != nil {
		tb.Fatal(err)
	}
	m, ok := parseMeta(b)
	if !ok {
		tb.Fatal("meta page 0 of a good file is not valid")
	}
	return int64(m.pgid) * int64(m.pageSize)
}

func writeAt(tb testing.TB, path string, off int64, b []byte) {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		tb.Fatal(err)
	}
}

func TestDamagedFile(t *testing.T) {
	tests := map[string]struct {
		damage func(tb testing.TB, path string)
		// corrupt: the file must be moved aside. Otherwise bbolt can still
		// use it and it must stay where it is.
		corrupt bool
	}{
		"random garbage": {corrupt: true, damage: func(tb testing.TB, path string) {
			b := make([]byte, 64<<10)
			r := rand.NewChaCha8([32]byte{1})
			_, _ = r.Read(b)
			if err := os.WriteFile(path, b, 0o600); err != nil {
				tb.Fatal(err)
			}
		}},
		"some other file": {corrupt: true, damage: func(tb testing.TB, path string) {
			if err := os.WriteFile(path, []byte(`{"tokens":{}}`+"\n"), 0o600); err != nil {
				tb.Fatal(err)
			}
		}},
		"truncated to 100 bytes": {corrupt: true, damage: func(tb testing.TB, path string) {
			if err := os.Truncate(path, 100); err != nil {
				tb.Fatal(err)
			}
		}},
		"truncated below the high-water mark": {corrupt: true, damage: func(tb testing.TB, path string) {
			if err := os.Truncate(path, highWater(tb, path)-1); err != nil {
				tb.Fatal(err)
			}
		}},
		"both meta pages zeroed": {corrupt: true, damage: func(tb testing.TB, path string) {
			writeAt(tb, path, 0, make([]byte, 2*4096))
		}},
		"meta page 0 zeroed": {corrupt: false, damage: func(tb testing.TB, path string) {
			// bbolt falls back to meta page 1, the previous transaction.
			writeAt(tb, path, 0, make([]byte, 4096))
		}},
		"empty file": {corrupt: false, damage: func(tb testing.TB, path string) {
			if err := os.Truncate(path, 0); err != nil {
				tb.Fatal(err)
			}
		}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			path := goodFile(t)
			tt.damage(t, path)
			damaged, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}

			db := mustOpenAt(t, path, Options{Now: fixedNow})
			moved, err := os.ReadFile(path + corruptSuffix)
			if !tt.corrupt {
				if err == nil || len(db.Warnings()) != 0 {
					t.Fatalf("a usable file was moved aside: %q", db.Warnings())
				}
				if _, err := db.Load("conn-"); err != nil {
					t.Fatalf("Load: %v", err)
				}
				mustUpdate(t, db, "new", setToken("a", "r"))
				return
			}
			if err != nil {
				t.Fatalf("damaged file not moved aside: %v", err)
			}
			if !bytes.Equal(moved, damaged) {
				t.Error("the moved-aside file is not the damaged file")
			}
			w := db.Warnings()
			if len(w) != 1 || !strings.Contains(w[0], "moved it to "+path+corruptSuffix) {
				t.Errorf("warnings = %q", w)
			}
			// The store starts empty, and works.
			if s := mustLoad(t, db, "conn-"); !reflect.DeepEqual(s, flows.State{}) {
				t.Errorf("Load after moving aside = %+v", s)
			}
			mustUpdate(t, db, "new", setToken("a", "r"))
			if s := mustLoad(t, db, "new"); s.Token.AccessToken != "a" {
				t.Errorf("Load of a new state: %v", s.Token)
			}
		})
	}
}

// TestDamagedWhileOpen damages the file after Open: each kind of operation
// finds it, moves it aside and goes on with an empty store.
func TestDamagedWhileOpen(t *testing.T) {
	ops := map[string]func(*DB) error{
		"Load": func(db *DB) error {
			s, err := db.Load("conn-")
			if err == nil && s.Token != nil {
				return errors.New("Load returned a state from the damaged file")
			}
			return err
		},
		"Update":  func(db *DB) error { return db.Update("conn-", setToken("a", "r")) },
		"Changed": func(db *DB) error { _, _, err := db.Changed(7); return err },
		"Forget":  func(db *DB) error { return db.Forget("conn-") },
	}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			path := goodFile(t)
			db := mustOpenAt(t, path, Options{Now: fixedNow})
			if err := os.Truncate(path, highWater(t, path)/2); err != nil {
				t.Fatal(err)
			}
			if err := op(db); err != nil {
				t.Fatalf("%s on a damaged file: %v", name, err)
			}
			if _, err := os.Stat(path + corruptSuffix); err != nil {
				t.Errorf("damaged file not moved aside: %v", err)
			}
			if w := db.Warnings(); len(w) != 1 {
				t.Errorf("warnings = %q", w)
			}
		})
	}
}

// TestDamagedTreeIsCaught leaves the meta pages valid and overwrites the
// page of the root bucket: checkFile cannot see that, bbolt panics or
// errors, and the store must neither crash nor return garbage.
func TestDamagedTreeIsCaught(t *testing.T) {
	path := goodFile(t)
	b := make([]byte, 4096)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.ReadAt(b, 0)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	m, ok := parseMeta(b)
	if !ok {
		t.Fatal("meta page 0 not valid")
	}
	garbage := bytes.Repeat([]byte{0xff}, int(m.pageSize))
	writeAt(t, path, int64(m.root)*int64(m.pageSize), garbage)
	// Make meta 1 useless too, so that bbolt has no older tree to fall back on.
	writeAt(t, path, int64(m.pageSize), make([]byte, m.pageSize))

	db := mustOpenAt(t, path, Options{Now: fixedNow})
	s, err := db.Load("conn-")
	if err != nil {
		t.Logf("Load: %v", err)
	}
	t.Logf("warnings: %q", db.Warnings())
	if s.Token != nil {
		t.Errorf("Load returned a state from a damaged tree: %+v", s)
	}
	if _, err := os.Stat(path + corruptSuffix); err != nil {
		t.Errorf("damaged file not moved aside: %v (warnings %q)", err, db.Warnings())
	}
}

// TestStateFileIsDirectory: something that is not a file in its place is
// refused, not moved aside: by Open, and by the operations if it appears
// after Open.
func TestStateFileIsDirectory(t *testing.T) {
	path := testPath(t)
	db := mustOpenAt(t, path, Options{Now: fixedNow})
	if err := os.MkdirAll(path, 0o700); err != nil {
		t.Fatal(err)
	}
	want := "store: state file " + path + " is a directory, not a regular file"
	if _, err := db.Load("c"); !errors.Is(err, ErrUnsafe) || err.Error() != want {
		t.Errorf("Load: %v\nwant %s", err, want)
	}
	if err := db.Update("c", setToken("a", "r")); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), want) {
		t.Errorf("Update over a directory: %v\nwant %s", err, want)
	}
	if _, err := Open(path, Options{}); !errors.Is(err, ErrUnsafe) || err.Error() != want {
		t.Errorf("Open: %v\nwant %s", err, want)
	}
	if fi, err := os.Stat(path); err != nil || !fi.IsDir() || len(db.Warnings()) != 0 {
		t.Errorf("the directory was touched: %v, warnings %q", err, db.Warnings())
	}
}
