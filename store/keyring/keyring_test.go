package keyring

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	gokeyring "github.com/zalando/go-keyring"

	"tokentop/flows"
	"tokentop/store"
)

// mock puts go-keyring's in-memory keyring in place of the system's, with
// a session bus named so that call does not refuse first.
func mock(t *testing.T) {
	t.Helper()
	gokeyring.MockInit()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/tokentop-test")
}

func TestKeysMock(t *testing.T) {
	mock(t)
	k := New("/home/x/.local/state/tokentop/tokentop.db")
	if _, err := k.Key(); !errors.Is(err, store.ErrKeyGone) {
		t.Fatalf("Key of an empty keyring = %v, want ErrKeyGone", err)
	}
	m, err := k.NewKey()
	if err != nil || len(m) != 32 {
		t.Fatalf("NewKey = %d bytes, %v", len(m), err)
	}
	got, err := k.Key()
	if err != nil || string(got) != string(m) {
		t.Fatalf("Key = %v, %v; want what NewKey made", got, err)
	}
	// Another state file has its own entry.
	if _, err := New("/tmp/other.db").Key(); !errors.Is(err, store.ErrKeyGone) {
		t.Fatalf("another path's Key = %v", err)
	}
	if v, err := gokeyring.Get(Service, k.User); err != nil || strings.Contains(v, string(m)) || len(v) != 44 {
		t.Fatalf("the entry is %d characters (%v), want 32 bytes in base64", len(v), err)
	}
	if err := gokeyring.Set(Service, k.User, "hunter2"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Key(); !errors.Is(err, store.ErrKeyGone) || !strings.Contains(err.Error(), "not a key tokentop made") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("Key of a foreign entry = %v", err)
	}
	if err := k.Delete(); err != nil {
		t.Fatal(err)
	}
	if err := k.Delete(); err != nil {
		t.Fatalf("Delete of no entry = %v", err)
	}
	if _, err := k.Key(); !errors.Is(err, store.ErrKeyGone) {
		t.Fatalf("Key after Delete = %v", err)
	}
}

func TestKeysErrors(t *testing.T) {
	mock(t)
	gokeyring.MockInitWithError(errors.New("org.freedesktop.secrets was not provided by any .service files"))
	t.Cleanup(gokeyring.MockInit)
	_, err := New("/x.db").Key()
	if err == nil || errors.Is(err, store.ErrKeyGone) || !strings.HasPrefix(err.Error(), "keyring: org.freedesktop.secrets") {
		t.Fatalf("Key = %v: a keyring that fails is no lost key", err)
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		return
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	if _, err := New("/x.db").Key(); !errors.Is(err, errNoSession) {
		t.Fatalf("Key without a session bus = %v", err)
	}
}

func TestKeysDeadline(t *testing.T) {
	mock(t)
	release := make(chan struct{})
	get = func(string, string) (string, error) { <-release; return "", gokeyring.ErrNotFound }
	t.Cleanup(func() { close(release); get = gokeyring.Get })
	k := &Keys{User: "/x.db", Timeout: 50 * time.Millisecond}
	start := time.Now()
	_, err := k.Key()
	if err == nil || !strings.Contains(err.Error(), "no answer in 50ms") {
		t.Fatalf("Key of a keyring that never answers = %v", err)
	}
	// The next call waits for the first within its own deadline, and
	// starts no second goroutine.
	if _, err := k.Key(); err == nil || !strings.Contains(err.Error(), "no answer") {
		t.Fatalf("second Key = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("two calls took %s", d)
	}
}

// TestStoreWithKeyring runs the real store on go-keyring's mock: sealed on
// disk, and signed out once the entry is deleted.
func TestStoreWithKeyring(t *testing.T) {
	mock(t)
	path := filepath.Join(t.TempDir(), "tokentop.db")
	keys := New(path)
	db, err := store.Open(path, store.Options{Keys: keys, KeysOptional: true})
	if err != nil {
		t.Fatal(err)
	}
	if e := db.Encryption(); e.Source != "keyring" {
		t.Fatalf("Encryption = %+v", e)
	}
	if err := db.Update("aha", func(s *flows.State) error {
		s.Token = &flows.Token{AccessToken: "at-MOCK-SECRET", RefreshToken: "rt-MOCK-SECRET"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), "MOCK-SECRET") {
		t.Fatal("the file holds the tokens")
	}
	if err := keys.Delete(); err != nil {
		t.Fatal(err)
	}
	db, err = store.Open(path, store.Options{Keys: keys, KeysOptional: true})
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.Load("aha")
	if err != nil || st.Token != nil || !strings.HasPrefix(st.LastError, store.KeyGone) {
		t.Fatalf("Load after the entry was deleted = %+v, %v", st, err)
	}
}
