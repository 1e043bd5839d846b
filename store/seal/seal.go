// Package seal encrypts stored values: AES-256-GCM under a key derived with
// HKDF-SHA256, in a small JSON envelope that names the key, so that the
// bbolt state file and the team's etcd store keep tokens the same way.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// Version is the envelope's version: the only one this tokentop writes
// and opens.
const Version = 1

// Key seals and opens values. It is safe for concurrent use.
type Key struct {
	aead cipher.AEAD
	id   string
}

// envelope is the stored form of a sealed value. A plain state of package
// store is {"v":1,"state":{…}}: it has no "kid", which tells the two apart.
type envelope struct {
	V     int    `json:"v"`
	KID   string `json:"kid"`
	Nonce []byte `json:"nonce"`
	CT    []byte `json:"ct"`
}

// New derives the AES-256 key from secret with HKDF-SHA256 (RFC 5869, no
// salt) and info, which binds the derived key to one use: the same secret
// given for two uses yields two keys. The key's ID is the first 4 bytes of
// the SHA-256 of the derived key, in hex: it names the key in envelopes
// and errors without revealing it.
func New(secret []byte, info string) (*Key, error) {
	if len(secret) == 0 {
		return nil, errors.New("the key material is empty")
	}
	key, err := hkdf.Key(sha256.New, secret, nil, info, 32)
	if err != nil {
		return nil, fmt.Errorf("deriving the encryption key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(key)
	return &Key{aead: aead, id: hex.EncodeToString(sum[:4])}, nil
}

// ID names the key: what Sealed returns for the values it sealed.
func (k *Key) ID() string { return k.id }

// Seal returns the envelope of plain, with ad as the AEAD's additional
// data: the value opens only with the same ad (its connection's name, its
// etcd key), so a value copied to another connection does not open there.
// Every call draws a fresh random 96-bit nonce.
func (k *Key) Seal(ad string, plain []byte) ([]byte, error) {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return json.Marshal(envelope{V: Version, KID: k.id, Nonce: nonce, CT: k.aead.Seal(nil, nonce, plain, []byte(ad))})
}

// Sealed reports whether b is an envelope, and the ID of the key that
// sealed it.
func Sealed(b []byte) (kid string, ok bool) {
	env, ok := parse(b)
	return env.KID, ok
}

func parse(b []byte) (envelope, bool) {
	var env envelope
	if json.Unmarshal(b, &env) != nil || env.KID == "" || env.V == 0 {
		return envelope{}, false
	}
	return env, true
}

// ErrNotSealed is Open's error for a value that is not an envelope.
var ErrNotSealed = errors.New("not sealed")

// ErrOtherKey is wrapped by Open's error for a value another key sealed.
var ErrOtherKey = errors.New("sealed with another key")

// otherKeyError names both keys: "sealed with key 1a2b3c4d, not this one
// (5e6f7a8b)".
type otherKeyError struct{ sealed, have string }

func (e *otherKeyError) Error() string {
	return fmt.Sprintf("sealed with key %s, not this one (%s)", e.sealed, e.have)
}

func (e *otherKeyError) Unwrap() error { return ErrOtherKey }

// Open returns the plain value of an envelope sealed with ad. Its errors
// never quote the value: ErrNotSealed, one wrapping ErrOtherKey, a newer
// envelope version, or a value that does not open (altered, or moved from
// another ad).
func (k *Key) Open(ad string, b []byte) ([]byte, error) {
	env, ok := parse(b)
	if !ok {
		return nil, ErrNotSealed
	}
	if env.V != Version {
		return nil, fmt.Errorf("sealed in envelope version %d, newer than this tokentop", env.V)
	}
	if env.KID != k.id {
		return nil, &otherKeyError{sealed: env.KID, have: k.id}
	}
	if len(env.Nonce) != k.aead.NonceSize() {
		return nil, errors.New("sealed value has a malformed nonce")
	}
	plain, err := k.aead.Open(nil, env.Nonce, env.CT, []byte(ad))
	if err != nil {
		return nil, fmt.Errorf("sealed value with key %s does not open here (altered, or moved from another key)", env.KID)
	}
	return plain, nil
}
