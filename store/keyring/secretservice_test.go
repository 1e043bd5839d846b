package keyring

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gokeyring "github.com/zalando/go-keyring"

	"tokentop/flows"
	"tokentop/store"
	"tokentop/store/keyring/keyringtest"
)

// TestSecretService runs the real store against a real Secret Service of
// its own (keyringtest): sealed on disk, a plain file migrated, and signed
// out once the keyring entry is deleted.
func TestSecretService(t *testing.T) {
	if !keyringtest.Session(t) {
		return
	}

	path := filepath.Join(t.TempDir(), "state", "tokentop.db")
	keys := New(path)
	const (
		access  = "at-SECRET-SERVICE-1357"
		refresh = "rt-SECRET-SERVICE-2468"
		old     = "at-PLAIN-BEFORE-9999"
	)
	// A plain file, as tokentop wrote before encryption.
	plain, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.Update("old", func(s *flows.State) error {
		s.Token = &flows.Token{AccessToken: old, TokenType: "Bearer"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	open := func() *store.DB {
		t.Helper()
		db, err := store.Open(path, store.Options{Keys: keys, KeysOptional: true})
		if err != nil {
			t.Fatal(err)
		}
		if e := db.Encryption(); e.Source != "keyring" || e.Note != "" {
			t.Fatalf("Encryption = %+v: the Secret Service did not answer", e)
		}
		return db
	}
	db := open()
	if err := db.Update("aha", func(s *flows.State) error {
		s.Token = &flows.Token{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for what, s := range map[string]string{"the access token": access, "the refresh token": refresh, "the plain file's token": old} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the state file holds %s in plain text", what)
		}
	}
	// The key is in the keyring, under the file's path.
	if v, err := gokeyring.Get(Service, path); err != nil || len(v) != 44 {
		t.Fatalf("the keyring entry: %d characters, %v", len(v), err)
	}
	db = open()
	for name, want := range map[string]string{"aha": access, "old": old} {
		st, err := db.Load(name)
		if err != nil || st.Token == nil || st.Token.AccessToken != want {
			t.Fatalf("Load(%s) = %+v, %v", name, st.Token, err)
		}
	}

	// The entry deleted: signed out, not a damaged file.
	if err := gokeyring.Delete(Service, path); err != nil {
		t.Fatal(err)
	}
	db = open()
	st, err := db.Load("aha")
	if err != nil || st.Token != nil || !strings.HasPrefix(st.LastError, store.KeyGone) {
		t.Fatalf("Load after deleting the entry = %+v, %v", st, err)
	}
	t.Logf("after deleting the entry: %s", st.LastError)
	if m, _ := filepath.Glob(path + ".corrupt-*"); len(m) > 0 || len(db.Warnings()) > 0 {
		t.Fatalf("moved aside: %q; warnings %q", m, db.Warnings())
	}
	_ = keys.Delete()
}
