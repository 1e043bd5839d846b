package store

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.etcd.io/bbolt"

	"tokentop/flows"
	"tokentop/store/seal"
)

// Tokens at rest: with Options.Keys, every state the DB writes is sealed
// whole (tokens, extra values, history) with AES-256-GCM (package seal),
// under a key derived with HKDF-SHA256 from the key material Keys gives,
// the bucket and connection name as the additional data. The envelope
// names the key that sealed it (the derived key's ID); the key material
// itself never touches the file.

// stateInfo is the HKDF info of the state file's key: the same key
// material given as a [team] key yields another key.
const stateInfo = "tokentop state v1"

// keyTTL is how long a key fetched from Keys is used for sealing before it
// is asked for again, so a dashboard running for days follows a key
// replaced meanwhile; and how long a failure to fetch it is remembered, so
// a keyring that does not answer costs one deadline, not one per value.
const keyTTL = 30 * time.Second

// Keys is where a DB's key material comes from: the operating system's
// keyring (package store/keyring) or a secret reference (SecretKeys).
type Keys interface {
	// Source names where the key is kept, as status shows it:
	// "keyring", "cmd", "env", "file".
	Source() string
	// Key returns the key material. An error wrapping ErrKeyGone means
	// none is kept (never made, or deleted); any other error means the
	// source did not answer, and nothing is concluded from it.
	Key() ([]byte, error)
	// NewKey makes new key material, keeps it in place of any other and
	// returns it. The DB calls it only under the exclusive store lock and
	// after Key said ErrKeyGone, so two processes never make two keys.
	NewKey() ([]byte, error)
}

// ErrKeyGone means the key that sealed a value is no longer kept: the
// keyring entry was deleted, or a secret reference now gives another key.
var ErrKeyGone = errors.New("the encryption key is gone")

// KeyGone starts the LastError of a state whose key is gone: Load and
// Changed return such a connection signed out, with no token and
// NeedsSignIn set, never as a damaged file. The next write seals the new
// state with the key in force.
const KeyGone = "signed out: the encryption key is gone"

// Encryption says how a DB keeps tokens at rest.
type Encryption struct {
	// Source is where the key comes from when states are sealed
	// ("keyring", "cmd", "env", "file"), or "none" when they are written
	// in plain text.
	Source string
	// Note says why states are written in plain text although encryption
	// was asked for (no keyring answers); empty otherwise.
	Note string
}

// Sealed reports whether states are written sealed.
func (e Encryption) Sealed() bool { return e.Source != "none" }

// Encryption returns how the DB writes states.
func (db *DB) Encryption() Encryption {
	if db.keys == nil || db.plain {
		return Encryption{Source: "none", Note: db.plainNote}
	}
	return Encryption{Source: db.keys.Source()}
}

// keyCache is the key last fetched from Keys, or the failure to fetch it.
type keyCache struct {
	key   *seal.Key
	at    time.Time
	err   error
	errAt time.Time
}

// probe asks Keys for the key at Open (Options.KeysOptional): a source
// that does not answer turns sealing off, and Encryption says why. No key
// kept yet is an answer: the first write makes one.
func (db *DB) probe() {
	if _, err := db.fetchKey(); err != nil && !errors.Is(err, ErrKeyGone) {
		cause := cmp.Or(errors.Unwrap(err), err)
		db.plain, db.plainNote = true, fmt.Sprintf("the %s does not answer: %v", db.keys.Source(), strings.TrimPrefix(cause.Error(), "keyring: "))
		db.log.Warn("tokens are written in plain text", "cause", db.plainNote)
	}
}

// fetchKey asks Keys for the key material and keeps the key derived
// from it.
func (db *DB) fetchKey() (*seal.Key, error) {
	db.mu.Lock()
	c := db.kc
	db.mu.Unlock()
	now := db.now()
	if c.err != nil && now.Sub(c.errAt) < keyTTL {
		return nil, c.err
	}
	m, err := db.keys.Key()
	var k *seal.Key
	if err == nil {
		k, err = seal.New(m, stateInfo)
		clear(m)
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	switch {
	case err == nil:
		db.kc = keyCache{key: k, at: now}
	case errors.Is(err, ErrKeyGone):
		db.kc = keyCache{}
	default:
		db.kc.err, db.kc.errAt = fmt.Errorf("encryption key: %w", err), now
		return nil, db.kc.err
	}
	return k, err
}

// openKey returns the key that sealed a value with key ID kid: the one
// kept, else the one Keys gives now. An error wrapping ErrKeyGone says
// why neither is it.
func (db *DB) openKey(kid string) (*seal.Key, error) {
	db.mu.Lock()
	k := db.kc.key
	db.mu.Unlock()
	if k != nil && k.ID() == kid {
		return k, nil
	}
	if db.keys == nil {
		return nil, fmt.Errorf("%w (sealed with key %s; no encryption is configured)", ErrKeyGone, kid)
	}
	k, err := db.fetchKey()
	switch {
	case errors.Is(err, ErrKeyGone):
		return nil, fmt.Errorf("%w (sealed with key %s; %s holds none)", ErrKeyGone, kid, db.keysName())
	case err != nil:
		return nil, err
	case k.ID() != kid:
		return nil, fmt.Errorf("%w (sealed with key %s; %s gives key %s)", ErrKeyGone, kid, db.keysName(), k.ID())
	}
	return k, nil
}

// keysName names where the key comes from in a sentence: "the keyring",
// `encryption = "cmd:…"`.
func (db *DB) keysName() string {
	if s := db.keys.Source(); s != "keyring" {
		return `encryption = "` + s + `:…"`
	}
	return "the keyring"
}

// sealKey returns the key to seal with, nil when states are written plain.
// It runs under the exclusive store lock: it makes the key when none is
// kept.
func (db *DB) sealKey() (*seal.Key, error) {
	if db.keys == nil || db.plain {
		return nil, nil
	}
	db.mu.Lock()
	c := db.kc
	db.mu.Unlock()
	if c.key != nil && db.now().Sub(c.at) < keyTTL {
		return c.key, nil
	}
	k, err := db.fetchKey()
	if !errors.Is(err, ErrKeyGone) {
		return k, err
	}
	m, err := db.keys.NewKey()
	if err != nil {
		return nil, fmt.Errorf("making the encryption key (%s): %w", db.keys.Source(), err)
	}
	k, err = seal.New(m, stateInfo)
	clear(m)
	if err != nil {
		return nil, err
	}
	db.mu.Lock()
	db.kc = keyCache{key: k, at: db.now()}
	db.mu.Unlock()
	db.log.Info("made a new encryption key", "source", db.keys.Source(), "key", k.ID())
	return k, nil
}

// sealedAD is the additional data of a value: its bucket and connection
// name, so a value copied to another connection (or bucket) does not open.
func sealedAD(bucket []byte, name string) string { return string(bucket) + "/" + name }

// decode reads a value of bucket for the connection name: plain, or
// sealed. A value whose key is gone reads as a signed-out state.
func (db *DB) decode(bucket []byte, name string, v []byte) (flows.State, error) {
	kid, sealed := seal.Sealed(v)
	if !sealed {
		return decodeState(name, v)
	}
	k, err := db.openKey(kid)
	if errors.Is(err, ErrKeyGone) {
		return keyGoneState(err), nil
	}
	if err != nil {
		return flows.State{}, fmt.Errorf("store: connection %q: %w", name, err)
	}
	plain, err := k.Open(sealedAD(bucket, name), v)
	if err != nil {
		return flows.State{}, fmt.Errorf("store: connection %q: %w", name, err)
	}
	return decodeState(name, plain)
}

// keyGoneState is what a connection whose key is gone reads as.
func keyGoneState(err error) flows.State {
	// err reads "the encryption key is gone (sealed with key …)".
	return flows.State{NeedsSignIn: true, LastError: "signed out: " + err.Error()}
}

// encode returns the stored form of s in bucket for the connection name,
// sealed when encryption is in force. It runs under the exclusive lock.
func (db *DB) encode(bucket []byte, name string, s flows.State) ([]byte, error) {
	b, err := encodeState(s)
	if err != nil {
		return nil, err
	}
	k, err := db.sealKey()
	if err != nil || k == nil {
		return b, err
	}
	return k.Seal(sealedAD(bucket, name), b)
}

// migrate re-encodes, once per DB, the states written otherwise than the
// DB writes them: plain ones are sealed when encryption is in force, and
// sealed ones whose key is at hand are written plain under encryption =
// "none" (not when sealing is off because no keyring answers: that is no
// choice to undo it). It runs under the exclusive lock, and reports
// whether a plain value was sealed: its plain text is left in bbolt's free
// pages, for the caller to scrub.
func (db *DB) migrate(tx *bbolt.Tx) (sealedPlain bool, err error) {
	db.mu.Lock()
	done := db.migrated
	db.mu.Unlock()
	if done || db.keys == nil || db.plainNote != "" {
		return false, nil
	}
	states := tx.Bucket(bucketStates)
	redo := map[string][]byte{}
	err = states.ForEach(func(k, v []byte) error {
		name := string(k)
		kid, sealed := seal.Sealed(v)
		switch {
		case !db.plain && !sealed:
			// The plain value is the encoded state: sealed as it is.
			key, err := db.sealKey()
			if err != nil {
				return err
			}
			if redo[name], err = key.Seal(sealedAD(bucketStates, name), v); err != nil {
				return err
			}
			sealedPlain = true
		case db.plain && sealed:
			key, err := db.openKey(kid)
			if err != nil {
				return nil // its key is not at hand: left sealed
			}
			if plain, err := key.Open(sealedAD(bucketStates, name), v); err == nil {
				redo[name] = plain
			}
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	for name, v := range redo {
		if err := states.Put([]byte(name), v); err != nil {
			return false, err
		}
	}
	return sealedPlain, nil
}

// minSecretKey is the least key material a secret reference may give:
// HKDF stretches nothing, so the secret must be a key, not a password
// ("openssl rand -base64 32" gives 44 bytes).
const minSecretKey = 16

// SecretKeys is Keys for key material from a secret reference
// (encryption = "cmd:…", "env:…" or "file:…"), source naming its kind:
// resolve runs when a value is first sealed or opened, and once it has
// given the key, never again. NewKey refuses: such a key is its owner's to
// make, and a different one reads as a key gone.
func SecretKeys(source string, resolve func() ([]byte, error)) Keys {
	return &secretKeys{source: source, resolve: resolve}
}

type secretKeys struct {
	source  string
	resolve func() ([]byte, error)

	mu       sync.Mutex
	material []byte
}

func (s *secretKeys) Source() string { return s.source }

func (s *secretKeys) Key() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.material == nil {
		m, err := s.resolve()
		if err != nil {
			return nil, err
		}
		if len(m) < minSecretKey {
			return nil, fmt.Errorf("the %s secret gives %d bytes; a key needs at least %d", s.source, len(m), minSecretKey)
		}
		s.material = m
	}
	return bytes.Clone(s.material), nil
}

func (s *secretKeys) NewKey() ([]byte, error) {
	return nil, fmt.Errorf("the key comes from a %s secret, which tokentop cannot make", s.source)
}
