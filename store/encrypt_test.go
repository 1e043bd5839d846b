package store

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"tokentop/flows"
	"tokentop/store/seal"
)

// fakeKeys is an in-memory Keys that counts its calls and can fail.
type fakeKeys struct {
	mu       sync.Mutex
	material []byte // nil: none kept
	err      error  // returned by every call when set
	gets     int
	news     int
}

func (f *fakeKeys) Source() string { return "keyring" }

func (f *fakeKeys) Key() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	switch {
	case f.err != nil:
		return nil, f.err
	case f.material == nil:
		return nil, ErrKeyGone
	}
	return bytes.Clone(f.material), nil
}

func (f *fakeKeys) NewKey() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.news++
	if f.err != nil {
		return nil, f.err
	}
	f.material = make([]byte, 32)
	rand.Read(f.material)
	return bytes.Clone(f.material), nil
}

// forget deletes the key, as a person deleting the keyring entry.
func (f *fakeKeys) forget() {
	f.mu.Lock()
	f.material = nil
	f.mu.Unlock()
}

func (f *fakeKeys) counts() (gets, news int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gets, f.news
}

// Token values the tests look for in the raw file.
const (
	sealAccess  = "at-SEALME-0123456789"
	sealRefresh = "rt-SEALME-9876543210"
	plainAccess = "at-PLAIN-OLD-24680"
)

// rawHolds returns which of secrets the state file's bytes hold, by
// position (1 for the first): a failure names them without printing them.
func rawHolds(t *testing.T, path string, secrets ...string) []int {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var found []int
	for i, s := range secrets {
		if bytes.Contains(raw, []byte(s)) {
			found = append(found, i+1)
		}
	}
	return found
}

func tokenOf(s flows.State) string {
	if s.Token == nil {
		return ""
	}
	return s.Token.AccessToken
}

func TestSealedStateHoldsNoTokenBytes(t *testing.T) {
	keys := &fakeKeys{}
	path := testPath(t)
	db := mustOpenAt(t, path, Options{Keys: keys})
	mustUpdate(t, db, "aha", func(s *flows.State) error {
		s.Token = &flows.Token{AccessToken: sealAccess, RefreshToken: sealRefresh, TokenType: "Bearer",
			Extra: map[string]string{"id_token": "idt-SEALME"}}
		return nil
	})
	if found := rawHolds(t, path, sealAccess, sealRefresh, "idt-SEALME", "Bearer"); len(found) > 0 {
		t.Fatalf("the state file holds tokens %v of those looked for in plain text", found)
	}
	if _, news := keys.counts(); news != 1 {
		t.Fatalf("NewKey called %d times, want 1 (no key was kept)", news)
	}
	if got := mustLoad(t, db, "aha"); tokenOf(got) != sealAccess || got.Token.RefreshToken != sealRefresh || got.Token.Extra["id_token"] != "idt-SEALME" {
		t.Fatalf("Load = %+v", got.Token)
	}
	// Another process: the key comes from Keys, and opens the value.
	other := mustOpenAt(t, path, Options{Keys: keys})
	if got := mustLoad(t, other, "aha"); tokenOf(got) != sealAccess {
		t.Fatalf("another DB loads %q", tokenOf(got))
	}
	changed, _, err := other.Changed(0)
	if err != nil || tokenOf(changed["aha"]) != sealAccess {
		t.Fatalf("Changed = %v, %v", changed, err)
	}
	if e := db.Encryption(); e != (Encryption{Source: "keyring"}) || !e.Sealed() {
		t.Fatalf("Encryption = %+v", e)
	}
}

func TestPlainFileMigratesOnFirstWrite(t *testing.T) {
	path := testPath(t)
	plain := mustOpenAt(t, path, Options{})
	mustUpdate(t, plain, "old", setToken(plainAccess, "rt-PLAIN-OLD"))
	mustUpdate(t, plain, "aha", setToken("at-PLAIN-AHA", "rt-PLAIN-AHA"))
	if e := plain.Encryption(); e.Sealed() || e.Source != "none" {
		t.Fatalf("Encryption without Keys = %+v", e)
	}

	keys := &fakeKeys{}
	db := mustOpenAt(t, path, Options{Keys: keys})
	// Reading accepts the plain values.
	if got := mustLoad(t, db, "old"); tokenOf(got) != plainAccess {
		t.Fatalf("Load of a plain value = %q", tokenOf(got))
	}
	// The first write seals every value, and scrubs the plain copies
	// bbolt left in its free pages.
	mustUpdate(t, db, "aha", setToken(sealAccess, sealRefresh))
	if found := rawHolds(t, path, plainAccess, "rt-PLAIN-OLD", "at-PLAIN-AHA", "rt-PLAIN-AHA", sealAccess); len(found) > 0 {
		t.Fatalf("after the first sealed write the file holds tokens %v of those looked for", found)
	}
	fresh := mustOpenAt(t, path, Options{Keys: keys})
	if got := mustLoad(t, fresh, "old"); tokenOf(got) != plainAccess || got.Rev == 0 {
		t.Fatalf("the migrated value loads as %+v", got)
	}
	if got := mustLoad(t, fresh, "aha"); tokenOf(got) != sealAccess {
		t.Fatalf("the written value loads as %q", tokenOf(got))
	}
}

// keyGone checks that s is the signed-out state of a lost key.
func keyGone(t *testing.T, what string, s flows.State) {
	t.Helper()
	if s.Token != nil || !s.NeedsSignIn || !strings.HasPrefix(s.LastError, KeyGone) {
		t.Fatalf("%s: %+v, want signed out with LastError %q…", what, s, KeyGone)
	}
}

// noneMovedAside fails when a state file was taken for damaged.
func noneMovedAside(t *testing.T, db *DB) {
	t.Helper()
	if m, _ := filepath.Glob(db.Path() + ".corrupt-*"); len(m) > 0 {
		t.Fatalf("the state file was moved aside: %q", m)
	}
	if w := db.Warnings(); len(w) > 0 {
		t.Fatalf("warnings: %q", w)
	}
}

func TestLostKeyReadsSignedOut(t *testing.T) {
	keys := &fakeKeys{}
	path := testPath(t)
	db := mustOpenAt(t, path, Options{Keys: keys})
	mustUpdate(t, db, "aha", setToken(sealAccess, sealRefresh))
	mustUpdate(t, db, "aikido", setToken("at-AIKIDO", ""))
	keys.forget()

	after := mustOpenAt(t, path, Options{Keys: keys})
	keyGone(t, "Load", mustLoad(t, after, "aha"))
	changed, _, err := after.Changed(0)
	if err != nil {
		t.Fatalf("Changed: %v", err)
	}
	keyGone(t, "Changed", changed["aha"])
	keyGone(t, "Changed", changed["aikido"])
	if s := changed["aha"]; strings.Contains(s.LastError, sealAccess) || !strings.Contains(s.LastError, "the keyring holds none") {
		t.Fatalf("LastError = %q", s.LastError)
	}
	noneMovedAside(t, after)

	// Signing in again writes under a new key; the other connection stays
	// signed out, never damaged.
	mustUpdate(t, after, "aha", func(s *flows.State) error {
		if s.Token != nil || !s.NeedsSignIn {
			t.Errorf("Update saw %+v", s)
		}
		*s = flows.State{Token: &flows.Token{AccessToken: "at-NEW"}}
		return nil
	})
	again := mustOpenAt(t, path, Options{Keys: keys})
	if got := mustLoad(t, again, "aha"); tokenOf(got) != "at-NEW" || got.NeedsSignIn {
		t.Fatalf("after signing in again: %+v", got)
	}
	keyGone(t, "the other connection", mustLoad(t, again, "aikido"))
	noneMovedAside(t, again)
}

func TestOtherSecretKeyReadsSignedOut(t *testing.T) {
	secret := func(s string) Keys {
		return SecretKeys("cmd", func() ([]byte, error) { return []byte(s), nil })
	}
	path := testPath(t)
	db := mustOpenAt(t, path, Options{Keys: secret("first-team-key-0123456789")})
	mustUpdate(t, db, "aha", setToken(sealAccess, sealRefresh))
	if found := rawHolds(t, path, sealAccess); len(found) > 0 {
		t.Fatal("a cmd: key left the token in plain text")
	}
	if got := mustLoad(t, mustOpenAt(t, path, Options{Keys: secret("first-team-key-0123456789")}), "aha"); tokenOf(got) != sealAccess {
		t.Fatalf("the same secret loads %q", tokenOf(got))
	}
	other := mustOpenAt(t, path, Options{Keys: secret("another-key-entirely-9876")})
	s := mustLoad(t, other, "aha")
	keyGone(t, "another cmd: key", s)
	if !strings.Contains(s.LastError, `encryption = "cmd:…" gives key `) {
		t.Fatalf("LastError = %q", s.LastError)
	}
	noneMovedAside(t, other)

	short := mustOpenAt(t, path, Options{Keys: secret("hunter2")})
	if err := short.Update("x", setToken("at", "")); err == nil || !strings.Contains(err.Error(), "at least 16") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("Update with a 7-byte secret = %v", err)
	}
}

func TestKeysNotAnsweringIsAnError(t *testing.T) {
	keys := &fakeKeys{}
	path := testPath(t)
	mustUpdate(t, mustOpenAt(t, path, Options{Keys: keys}), "aha", setToken(sealAccess, sealRefresh))
	before, _ := os.ReadFile(path)

	keys.err = errors.New("keyring: no answer in 2s")
	db := mustOpenAt(t, path, Options{Keys: keys})
	if _, err := db.Load("aha"); err == nil || errors.Is(err, ErrKeyGone) || !strings.Contains(err.Error(), "no answer") {
		t.Fatalf("Load while the keyring does not answer = %v", err)
	}
	// Nothing is written, neither plain nor under a new key.
	if err := db.Update("aikido", setToken("at-AIKIDO", "")); err == nil {
		t.Fatal("Update wrote while the keyring does not answer")
	}
	if _, news := keys.counts(); news != 1 {
		t.Fatalf("NewKey called %d times, want only the first", news)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("the file changed")
	}
	// The failure is remembered: one call, not one per value.
	gets, _ := keys.counts()
	db.Load("aha")
	db.Changed(0)
	if g, _ := keys.counts(); g != gets {
		t.Fatalf("%d more keyring calls within keyTTL", g-gets)
	}
	noneMovedAside(t, db)
}

func TestOptionalKeysFallBackToPlain(t *testing.T) {
	keys := &fakeKeys{err: errors.New("keyring: no D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set)")}
	path := testPath(t)
	db := mustOpenAt(t, path, Options{Keys: keys, KeysOptional: true})
	e := db.Encryption()
	if e.Sealed() || !strings.Contains(e.Note, "no D-Bus session") {
		t.Fatalf("Encryption = %+v", e)
	}
	mustUpdate(t, db, "aha", setToken(plainAccess, ""))
	if found := rawHolds(t, path, plainAccess); len(found) != 1 {
		t.Fatal("the fallback did not write plain text")
	}

	// A keyring that answers, even with no key yet, keeps sealing on.
	ok := mustOpenAt(t, testPath(t), Options{Keys: &fakeKeys{}, KeysOptional: true})
	if e := ok.Encryption(); !e.Sealed() {
		t.Fatalf("Encryption with an empty keyring = %+v", e)
	}
}

func TestPlainAfterKeyringUnsealsWhileTheKeyIsThere(t *testing.T) {
	keys := &fakeKeys{}
	path := testPath(t)
	sealed := mustOpenAt(t, path, Options{Keys: keys})
	mustUpdate(t, sealed, "aha", setToken(sealAccess, sealRefresh))
	mustUpdate(t, sealed, "aikido", setToken("at-AIKIDO-SEALED", ""))

	db := mustOpenAt(t, path, Options{Keys: keys, Plain: true})
	if e := db.Encryption(); e.Sealed() || e.Note != "" {
		t.Fatalf("Encryption = %+v", e)
	}
	if got := mustLoad(t, db, "aha"); tokenOf(got) != sealAccess {
		t.Fatalf("Load of a sealed value under none = %q", tokenOf(got))
	}
	mustUpdate(t, db, "aha", setToken("at-PLAIN-NOW", ""))
	if found := rawHolds(t, path, "at-PLAIN-NOW", "at-AIKIDO-SEALED"); len(found) != 2 {
		t.Fatalf("under none the file holds in plain text only tokens %v of the two", found)
	}
	if _, news := keys.counts(); news != 1 {
		t.Fatal("encryption = none made a key")
	}
}

func TestSealedValueBoundToItsConnection(t *testing.T) {
	keys := &fakeKeys{}
	path := testPath(t)
	db := mustOpenAt(t, path, Options{Keys: keys})
	mustUpdate(t, db, "aha", setToken(sealAccess, sealRefresh))
	mustUpdate(t, db, "bolt", setToken("at-BOLT", ""))
	// Copy aha's sealed value over bolt's, as someone editing the file.
	bdb, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketStates)
		return b.Put([]byte("bolt"), bytes.Clone(b.Get([]byte("aha"))))
	})
	bdb.Close()
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Load("bolt")
	if err == nil || !strings.Contains(err.Error(), "does not open") || strings.Contains(err.Error(), sealAccess) {
		t.Fatalf("Load of a value moved from another connection = %v", err)
	}
	noneMovedAside(t, db)
}

func TestKeyMadeOnceAcrossWriters(t *testing.T) {
	keys := &fakeKeys{}
	path := testPath(t)
	var wg sync.WaitGroup
	for i := range 4 {
		db := mustOpenAt(t, path, Options{Keys: keys})
		wg.Go(func() {
			name := string(rune('a' + i))
			if err := db.Update(name, setToken("at-"+name, "")); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if _, news := keys.counts(); news != 1 {
		t.Fatalf("NewKey called %d times by 4 writers, want 1", news)
	}
	db := mustOpenAt(t, path, Options{Keys: keys})
	for _, name := range []string{"a", "b", "c", "d"} {
		if got := mustLoad(t, db, name); tokenOf(got) != "at-"+name {
			t.Fatalf("%s loads %+v", name, got)
		}
	}
}

func TestLongRunningDBFollowsAReplacedKey(t *testing.T) {
	keys := &fakeKeys{}
	path := testPath(t)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	dash := mustOpenAt(t, path, Options{Keys: keys, Now: clock})
	mustUpdate(t, dash, "aha", setToken("at-1", ""))

	// The entry is deleted, and another process signs in under a new key.
	keys.forget()
	mustUpdate(t, mustOpenAt(t, path, Options{Keys: keys}), "aikido", setToken("at-AIKIDO", ""))

	// The dashboard reads the new value (fetching the new key), and once
	// keyTTL has passed it seals with it, so others can read what it writes.
	now = now.Add(keyTTL + time.Second)
	mustUpdate(t, dash, "aha", setToken("at-2", ""))
	if got := mustLoad(t, mustOpenAt(t, path, Options{Keys: keys}), "aha"); tokenOf(got) != "at-2" {
		t.Fatalf("another process loads %+v", got)
	}
}

func TestSealKidMatchesEnvelope(t *testing.T) {
	keys := &fakeKeys{}
	path := testPath(t)
	db := mustOpenAt(t, path, Options{Keys: keys})
	mustUpdate(t, db, "aha", setToken(sealAccess, ""))
	k, err := seal.New(keys.material, stateInfo)
	if err != nil {
		t.Fatal(err)
	}
	var kid string
	err = db.read(func(tx *bbolt.Tx, _ stamp) error {
		kid, _ = seal.Sealed(tx.Bucket(bucketStates).Get([]byte("aha")))
		return nil
	})
	if err != nil || kid != k.ID() {
		t.Fatalf("envelope names key %q, want %q (%v)", kid, k.ID(), err)
	}
}

// FuzzDecodeValue checks that no stored value, plain or sealed, makes the
// decoder panic, and that a sealed value's errors never quote it.
func FuzzDecodeValue(f *testing.F) {
	keys := &fakeKeys{}
	db, err := Open(filepath.Join(f.TempDir(), "s.db"), Options{Keys: keys})
	if err != nil {
		f.Fatal(err)
	}
	plain, _ := encodeState(flows.State{Token: &flows.Token{AccessToken: "at-FUZZ"}})
	keys.NewKey()
	k, _ := db.sealKey()
	sealed, _ := k.Seal(sealedAD(bucketStates, "fuzz"), plain)
	f.Add(plain)
	f.Add(sealed)
	f.Add([]byte(`{"v":1,"kid":"00000000","nonce":"AAAAAAAAAAAAAAAA","ct":""}`))
	f.Add([]byte(`{"v":2,"kid":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := db.decode(bucketStates, "fuzz", b)
		if err != nil && len(b) > 8 && strings.Contains(err.Error(), string(b)) {
			t.Fatalf("the error quotes the value: %v", err)
		}
		if err == nil && s.LastError != "" && strings.HasPrefix(s.LastError, KeyGone) && s.Token != nil {
			t.Fatal("a lost key kept a token")
		}
	})
}
