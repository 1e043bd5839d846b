package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"tokentop/flows"
)

// testPath returns where a test's state file goes: in a "tokentop"
// directory, as DefaultPath lays it out, that does not exist yet.
func testPath(tb testing.TB) string {
	return filepath.Join(tb.TempDir(), "tokentop", "tokentop.db")
}

// mustOpen opens a store in a new temporary directory.
func mustOpen(tb testing.TB) *DB {
	tb.Helper()
	return mustOpenAt(tb, testPath(tb), Options{})
}

func mustOpenAt(tb testing.TB, path string, opts Options) *DB {
	tb.Helper()
	db, err := Open(path, opts)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	return db
}

// setToken returns an Update function that stores a token pair.
func setToken(access, refresh string) func(*flows.State) error {
	return func(s *flows.State) error {
		s.Token = &flows.Token{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer"}
		return nil
	}
}

func mustUpdate(tb testing.TB, db *DB, name string, fn func(*flows.State) error) {
	tb.Helper()
	if err := db.Update(name, fn); err != nil {
		tb.Fatalf("Update(%q): %v", name, err)
	}
}

func mustLoad(tb testing.TB, db *DB, name string) flows.State {
	tb.Helper()
	s, err := db.Load(name)
	if err != nil {
		tb.Fatalf("Load(%q): %v", name, err)
	}
	return s
}

func TestReadsOfMissingFileCreateNothing(t *testing.T) {
	db := mustOpen(t)
	if s := mustLoad(t, db, "x"); !reflect.DeepEqual(s, flows.State{}) {
		t.Errorf("Load = %+v, want the zero State", s)
	}
	changed, next, err := db.Changed(0)
	if err != nil || changed != nil || next != 0 {
		t.Errorf("Changed(0) = %v, %d, %v; want nil, 0, nil", changed, next, err)
	}
	if err := db.Forget("x"); err != nil {
		t.Errorf("Forget: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(db.Path())); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("reads created the state directory (stat: %v)", err)
	}
}

func TestUpdateAndLoad(t *testing.T) {
	db := mustOpen(t)
	want := fullState()
	mustUpdate(t, db, "aha", func(s *flows.State) error { *s = fullState(); return nil })
	want.Rev = 1
	if got := mustLoad(t, db, "aha"); !reflect.DeepEqual(got, want) {
		t.Errorf("Load after Update:\n got %+v\nwant %+v", got, want)
	}
	// A second DB on the same file, as another process would have, sees it.
	other := mustOpenAt(t, db.Path(), Options{})
	mustUpdate(t, other, "aha", func(s *flows.State) error {
		s.Record(time.Unix(0, 0).UTC(), flows.EventCheck, "ok")
		return nil
	})
	got := mustLoad(t, db, "aha")
	if got.Rev != 2 || len(got.Events) != 2 || got.Token.AccessToken != want.Token.AccessToken {
		t.Errorf("after a second Update: Rev %d, %d events, token kept %v; want 2, 2, true",
			got.Rev, len(got.Events), got.Token.AccessToken == want.Token.AccessToken)
	}
	if s := mustLoad(t, db, "other"); !reflect.DeepEqual(s, flows.State{}) {
		t.Errorf("Load of an unknown connection = %+v", s)
	}
	if len(db.Warnings()) != 0 {
		t.Errorf("warnings on a fresh store: %q", db.Warnings())
	}
}

func TestUpdateFnErrorWritesNothing(t *testing.T) {
	errNo := errors.New("provider said no")
	tests := map[string]struct {
		before bool // a state is stored before the failing Update
	}{
		"new file":       {before: false},
		"existing state": {before: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			db := mustOpen(t)
			if tt.before {
				mustUpdate(t, db, "c", setToken("a1", "r1"))
			}
			err := db.Update("c", func(s *flows.State) error {
				// Changes made before failing must not reach the store.
				if s.Token == nil {
					s.Token = &flows.Token{}
				}
				s.Token.AccessToken = "a2"
				s.Token.Extra = map[string]string{"k": "v"}
				return errNo
			})
			if err != errNo {
				t.Fatalf("Update returned %v, want fn's error as is", err)
			}
			if !tt.before {
				if _, err := os.Stat(db.Path()); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("a failed first Update left a state file (stat: %v)", err)
				}
				return
			}
			s := mustLoad(t, db, "c")
			if s.Rev != 1 || s.Token.AccessToken != "a1" || s.Token.Extra != nil {
				t.Errorf("state after a failed Update: rev %d, token %v", s.Rev, s.Token)
			}
			if _, mark, _ := db.Changed(0); mark != 1 {
				t.Errorf("generation after a failed Update = %d, want 1", mark)
			}
		})
	}
}

func TestUpdatePanicInFnIsNotCorruption(t *testing.T) {
	db := mustOpen(t)
	mustUpdate(t, db, "c", setToken("a1", "r1"))
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the panic of fn", r)
			}
		}()
		_ = db.Update("c", func(*flows.State) error { panic("boom") })
	}()
	if w := db.Warnings(); len(w) != 0 {
		t.Errorf("a panic in fn produced warnings: %q", w)
	}
	if s := mustLoad(t, db, "c"); s.Token.AccessToken != "a1" {
		t.Errorf("state after a panicking Update: %v", s.Token)
	}
	// The store lock was released: another write goes through.
	mustUpdate(t, db, "c", setToken("a2", "r2"))
}

func TestForgetScrubsTokensFromFile(t *testing.T) {
	db := mustOpen(t)
	const (
		oldSentinel = "SENTINEL-OLD-ACCESS-TOKEN-7f3a"
		sentinel    = "SENTINEL-ACCESS-TOKEN-5c1e"
		refresh     = "SENTINEL-REFRESH-TOKEN-9b2d"
		keep        = "KEEP-ACCESS-TOKEN-1d4f"
	)
	mustUpdate(t, db, "kept", setToken(keep, "r"))
	mustUpdate(t, db, "gone", setToken(oldSentinel, refresh))
	// The page holding the old value is now free, and not yet reused.
	mustUpdate(t, db, "gone", setToken(sentinel, refresh))
	raw, err := os.ReadFile(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{oldSentinel, sentinel, refresh} {
		if !bytes.Contains(raw, []byte(s)) {
			t.Fatalf("%s not found in the file before Forget: the check below proves nothing", s)
		}
	}
	_, mark, err := db.Changed(0)
	if err != nil {
		t.Fatal(err)
	}

	if err := db.Forget("gone"); err != nil {
		t.Fatal(err)
	}
	raw, err = os.ReadFile(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{oldSentinel, sentinel, refresh} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("%s can still be read from the file after Forget", s)
		}
	}
	if s := mustLoad(t, db, "gone"); !reflect.DeepEqual(s, flows.State{}) {
		t.Errorf("Load after Forget = %+v", s)
	}
	if s := mustLoad(t, db, "kept"); s.Token.AccessToken != keep {
		t.Errorf("Forget lost another connection: %v", s.Token)
	}
	changed, _, err := db.Changed(mark)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := changed["gone"]; !ok || !reflect.DeepEqual(s, flows.State{}) || len(changed) != 1 {
		t.Errorf("Changed after Forget = %v, want only gone as a zero State", changed)
	}
	fi, err := os.Stat(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("compacted file has mode %#o, want 0600", fi.Mode().Perm())
	}
	if left, _ := filepath.Glob(db.Path() + ".compact-*"); len(left) > 0 {
		t.Errorf("compaction left %v", left)
	}
	// The store still works, and the revision keeps growing.
	mustUpdate(t, db, "kept", setToken("k2", "r"))
	if s := mustLoad(t, db, "kept"); s.Rev != 5 {
		t.Errorf("Rev after Forget and Update = %d, want 5", s.Rev)
	}
}

// age moves the state file's modification time back, as if the last write
// were long ago, so Changed may trust its stamp (see racyWindow).
func age(tb testing.TB, path string) {
	tb.Helper()
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		tb.Fatal(err)
	}
}

func TestChanged(t *testing.T) {
	db := mustOpen(t)
	mustUpdate(t, db, "a", setToken("a1", "r"))
	mustUpdate(t, db, "b", setToken("b1", "r"))

	changed, mark, err := db.Changed(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 2 || changed["a"].Token.AccessToken != "a1" || changed["b"].Rev != 2 || mark != 2 {
		t.Fatalf("Changed(0) = %v, %d; want a and b, mark 2", changed, mark)
	}

	// Nothing changed: the answer comes from a stat, without opening bbolt.
	age(t, db.Path())
	if changed, next, err := db.Changed(mark); err != nil || changed != nil || next != mark {
		t.Fatalf("Changed(%d) with no change = %v, %d, %v", mark, changed, next, err)
	}
	opens := db.opens.Load()
	for range 3 {
		if changed, next, err := db.Changed(mark); err != nil || changed != nil || next != mark {
			t.Fatalf("Changed(%d) with no change = %v, %d, %v", mark, changed, next, err)
		}
	}
	if n := db.opens.Load() - opens; n != 0 {
		t.Errorf("Changed opened bbolt %d times although nothing changed", n)
	}

	// A write by another process (another DB) is seen.
	other := mustOpenAt(t, db.Path(), Options{})
	mustUpdate(t, other, "b", setToken("b2", "r"))
	changed, next, err := db.Changed(mark)
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 1 || changed["b"].Token.AccessToken != "b2" || next != 3 {
		t.Errorf("Changed(%d) after an Update of b = %v, %d", mark, changed, next)
	}
	// An older mark gets everything since: b, not a (written at 1).
	if changed, _, _ := db.Changed(1); len(changed) != 1 || changed["b"].Rev != 3 {
		t.Errorf("Changed(1) = %v, want b", changed)
	}
	// A mark from a file that was replaced by a younger one gets all.
	if changed, next, _ := db.Changed(100); len(changed) != 2 || next != 3 {
		t.Errorf("Changed(100) = %v, %d; want everything and mark 3", changed, next)
	}
	// A deleted file is an empty store, and next < mark says so.
	if err := os.Remove(db.Path()); err != nil {
		t.Fatal(err)
	}
	if changed, next, err := db.Changed(3); err != nil || changed != nil || next != 0 {
		t.Errorf("Changed(3) of a deleted file = %v, %d, %v; want nil, 0, nil", changed, next, err)
	}
}

// TestChangedDistrustsRecentStamp covers the write that lands within the
// file system's time granularity of the previous one: same inode, same
// size, same modification time. Changed must not take it for no change.
func TestChangedDistrustsRecentStamp(t *testing.T) {
	db := mustOpen(t)
	mustUpdate(t, db, "a", setToken("a1", "r"))
	_, mark, err := db.Changed(0)
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, db, "a", setToken("a2", "r"))
	// Give the second write the first one's time, as a coarse clock would.
	if err := os.Chtimes(db.Path(), before.ModTime(), before.ModTime()); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !stampOf(before).equal(stampOf(after)) {
		t.Fatalf("setup: stamps differ (%v, %v), the case is not reproduced", stampOf(before), stampOf(after))
	}
	changed, _, err := db.Changed(mark)
	if err != nil {
		t.Fatal(err)
	}
	if changed["a"].Token == nil || changed["a"].Token.AccessToken != "a2" {
		t.Errorf("Changed(%d) = %v, missed the second write", mark, changed)
	}
}

func TestLockExcludesGoroutines(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	const workers, rounds = 4, 10
	var inside, maxInside int
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range workers {
		wg.Go(func() {
			<-start
			for range rounds {
				unlock, err := db.Lock(ctx, "aha")
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				inside++
				maxInside = max(maxInside, inside)
				mu.Unlock()
				for range 10 {
					runtime.Gosched() // let the others try to get in
				}
				mu.Lock()
				inside--
				mu.Unlock()
				unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if maxInside != 1 {
		t.Errorf("%d goroutines held the renewal lock at once", maxInside)
	}

	unlock, err := db.Lock(ctx, "aha")
	if err != nil {
		t.Fatal(err)
	}
	// Another connection's lock is independent.
	unlockB, err := db.Lock(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	unlockB()
	// The same connection's lock is not granted until released.
	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	if _, err := db.Lock(short, "aha"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second Lock while held: %v, want context.DeadlineExceeded", err)
	}
	unlock()
	unlock() // a second call is harmless
	unlock2, err := db.Lock(ctx, "aha")
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	unlock2()

	if fi, err := os.Stat(filepath.Join(db.Path()+".locks", lockFileName("aha"))); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("renewal lock file: %v; want mode 0600", err)
	}
	if fi, err := os.Stat(db.Path() + ".locks"); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("renewal lock directory: %v; want mode 0700", err)
	}
}

func TestLockFileName(t *testing.T) {
	long := strings.Repeat("n", 300)
	tests := map[string]string{
		"aha":            "616861.lock",
		"a/b":            "612f62.lock",
		"..":             "2e2e.lock",
		long:             "sha256-",
		long[:299] + "m": "sha256-",
	}
	seen := map[string]bool{}
	for name, prefix := range tests {
		got := lockFileName(name)
		if !strings.HasPrefix(got, prefix) || len(got) > 255 || strings.ContainsRune(got, '/') {
			t.Errorf("lockFileName(%.20q) = %q", name, got)
		}
		if seen[got] {
			t.Errorf("lockFileName(%.20q) = %q, already used", name, got)
		}
		seen[got] = true
	}
}

func TestReaderGivesUpWhileWriterHoldsLock(t *testing.T) {
	path := testPath(t)
	writer := mustOpenAt(t, path, Options{})
	mustUpdate(t, writer, "c", setToken("a", "r"))
	const timeout = 100 * time.Millisecond
	reader := mustOpenAt(t, path, Options{Timeout: timeout})

	holding, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- writer.Update("c", func(*flows.State) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	start := time.Now()
	_, err := reader.Load("c")
	waited := time.Since(start)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	want := fmt.Sprintf("state file %s is busy (another tokentop is writing): gave up after 100ms", path)
	if !errors.Is(err, ErrBusy) || err.Error() != want {
		t.Fatalf("Load while a writer holds the file: %v\nwant %s", err, want)
	}
	if waited < timeout || waited > timeout+2*time.Second {
		t.Errorf("Load gave up after %s, want about %s", waited, timeout)
	}
	if _, err := reader.Load("c"); err != nil {
		t.Errorf("Load once the writer is done: %v", err)
	}
}

func TestConcurrentUpdatesAllLand(t *testing.T) {
	path := testPath(t)
	shared := mustOpenAt(t, path, Options{Timeout: time.Minute})
	const goroutines, each = 8, 10
	var wg sync.WaitGroup
	for g := range goroutines {
		// Half share one DB, half have their own, as separate processes do.
		db := shared
		if g%2 == 1 {
			db = mustOpenAt(t, path, Options{Timeout: time.Minute})
		}
		wg.Go(func() {
			for range each {
				err := db.Update("counter", func(s *flows.State) error {
					if s.Token == nil {
						s.Token = &flows.Token{}
					}
					n, _ := strconv.Atoi(s.Token.AccessToken)
					s.Token.AccessToken = strconv.Itoa(n + 1)
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	s := mustLoad(t, shared, "counter")
	if s.Token == nil || s.Token.AccessToken != strconv.Itoa(goroutines*each) || s.Rev != goroutines*each {
		t.Errorf("after %d Updates: counter %v, Rev %d", goroutines*each, s.Token, s.Rev)
	}
}

func TestWriteFailureWrapsCause(t *testing.T) {
	db := mustOpenAt(t, testPath(t), Options{MaxSize: 1 << 16})
	mustUpdate(t, db, "c", setToken("small-access", "small-refresh"))
	const secret = "BIG-SECRET-ACCESS-TOKEN"
	big := secret + strings.Repeat("x", 1<<20)
	err := db.Update("c", setToken(big, "r"))
	if !errors.Is(err, berrors.ErrMaxSizeReached) {
		t.Fatalf("Update beyond MaxSize: %v, want an error wrapping ErrMaxSizeReached", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error quotes the token: %.100s", err)
	}
	if !strings.Contains(err.Error(), `"c"`) {
		t.Errorf("error does not name the connection: %v", err)
	}
	if s := mustLoad(t, db, "c"); s.Token.AccessToken != "small-access" || s.Rev != 1 {
		t.Errorf("state after a failed write: %v rev %d", s.Token, s.Rev)
	}
}

func TestNewerFileFormat(t *testing.T) {
	db := mustOpen(t)
	mustUpdate(t, db, "c", setToken("a", "r"))
	plantFormat(t, db.Path(), fileFormat+1)
	want := fmt.Sprintf("store: state file %s was written by a newer tokentop (format 2); upgrade tokentop", db.Path())
	for _, op := range []struct {
		name string
		err  error
	}{
		{"Load", func() error { _, err := db.Load("c"); return err }()},
		{"Update", db.Update("c", setToken("b", "r"))},
	} {
		if !errors.Is(op.err, ErrNewerFormat) || !strings.Contains(op.err.Error(), want) {
			t.Errorf("%s: %v\nwant %s", op.name, op.err, want)
		}
	}
	if len(db.Warnings()) != 0 {
		t.Errorf("a newer file was taken for a damaged one: %q", db.Warnings())
	}
}

func TestNewerValueFormat(t *testing.T) {
	db := mustOpen(t)
	mustUpdate(t, db, "c", setToken("a", "r"))
	plantValue(t, db.Path(), "c", []byte(`{"v":2,"state":{"new":"shape"}}`))
	_, err := db.Load("c")
	want := `store: connection "c" was saved by a newer tokentop (format 2); upgrade tokentop`
	if !errors.Is(err, ErrNewerFormat) || err.Error() != want {
		t.Errorf("Load: %v\nwant %s", err, want)
	}
	if err := db.Update("c", setToken("b", "r")); !errors.Is(err, ErrNewerFormat) {
		t.Errorf("Update over a newer value: %v, want ErrNewerFormat (and no overwrite)", err)
	}
}

func TestDefaultPath(t *testing.T) {
	home := t.TempDir()
	tests := map[string]struct {
		state, xdg string
		want       string
	}{
		"TOKENTOP_STATE wins": {state: "/s/t.db", xdg: "/x", want: "/s/t.db"},
		"XDG_STATE_HOME":      {xdg: "/x", want: "/x/tokentop/tokentop.db"},
		"relative XDG":        {xdg: "rel", want: filepath.Join(home, ".local/state/tokentop/tokentop.db")},
		"home":                {want: filepath.Join(home, ".local/state/tokentop/tokentop.db")},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv("HOME", home)
			t.Setenv("TOKENTOP_STATE", tt.state)
			t.Setenv("XDG_STATE_HOME", tt.xdg)
			got, err := DefaultPath()
			if err != nil || got != tt.want {
				t.Errorf("DefaultPath() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestPermissions(t *testing.T) {
	t.Run("new files are private", func(t *testing.T) {
		db := mustOpen(t)
		mustUpdate(t, db, "c", setToken("a", "r"))
		for path, want := range map[string]fs.FileMode{
			filepath.Dir(db.Path()): 0o700,
			db.Path():               0o600,
			db.Path() + ".lock":     0o600,
		} {
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
				t.Errorf("%s: %v, want mode %#o", path, err, want)
			}
		}
	})
	t.Run("loose files are tightened", func(t *testing.T) {
		path := testPath(t)
		mustUpdate(t, mustOpenAt(t, path, Options{}), "c", setToken("a", "r"))
		dir := filepath.Dir(path)
		loose := map[string]fs.FileMode{dir: 0o755, path: 0o644, path + ".lock": 0o666}
		for p, mode := range loose {
			if err := os.Chmod(p, mode); err != nil {
				t.Fatal(err)
			}
		}
		db := mustOpenAt(t, path, Options{})
		for p, want := range map[string]fs.FileMode{dir: 0o700, path: 0o600, path + ".lock": 0o600} {
			if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
				t.Errorf("%s: mode %v, %v; want %#o", p, fi.Mode().Perm(), err, want)
			}
		}
		if w := db.Warnings(); len(w) != 3 || !strings.Contains(w[0], "was open to other users (mode 0755); changed it to 0700") {
			t.Errorf("warnings = %q", w)
		}
	})
	t.Run("a shared directory is only warned about", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		db := mustOpenAt(t, filepath.Join(dir, "state.db"), Options{})
		if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o755 {
			t.Errorf("a directory that is not tokentop's own was changed to %#o", fi.Mode().Perm())
		}
		if w := db.Warnings(); len(w) != 1 || !strings.Contains(w[0], "is open to other users") {
			t.Errorf("warnings = %q", w)
		}
	})
}

// plant writes key=value into bucket with bbolt directly, as another
// tokentop version would.
func plant(tb testing.TB, path string, bucket, key, value []byte) {
	tb.Helper()
	bdb, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer bdb.Close()
	err = bdb.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucket).Put(key, value)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func plantFormat(tb testing.TB, path string, format uint64) {
	plant(tb, path, bucketMeta, keyFormat, encodeUint(format))
}

func plantValue(tb testing.TB, path, name string, value []byte) {
	plant(tb, path, bucketStates, []byte(name), value)
}
