package etcd

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

// hkdfInfo binds the derived key to this use, so the same team secret used
// elsewhere yields another key.
const hkdfInfo = "tokentop team v1"

// sealer encrypts values before they leave for etcd: AES-256-GCM under a
// key derived with HKDF-SHA256, the etcd key as additional data so a value
// copied to another key does not open there.
type sealer struct {
	aead cipher.AEAD
	kid  string
}

// sealed is the stored form of an encrypted value.
type sealed struct {
	V     int    `json:"v"`
	KID   string `json:"kid"`
	Nonce []byte `json:"nonce"`
	CT    []byte `json:"ct"`
}

func newSealer(secret []byte) (*sealer, error) {
	key, err := hkdf.Key(sha256.New, secret, nil, hkdfInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("etcd: deriving the encryption key: %w", err)
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
	return &sealer{aead: aead, kid: hex.EncodeToString(sum[:4])}, nil
}

// seal returns the envelope of plain stored under key.
func (s *sealer) seal(key string, plain []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return json.Marshal(sealed{V: 1, KID: s.kid, Nonce: nonce, CT: s.aead.Seal(nil, nonce, plain, []byte(key))})
}

// errNotSealed is the error of open for a value that is not an envelope.
var errNotSealed = errors.New("not sealed")

// isSealed tells an envelope from a plain state (which has "state", not
// "kid").
func isSealed(b []byte) (sealed, bool) {
	var env sealed
	if json.Unmarshal(b, &env) != nil || env.KID == "" || env.V == 0 {
		return sealed{}, false
	}
	return env, true
}

// open returns the plain value of an envelope stored under key.
func (s *sealer) open(key string, b []byte) ([]byte, error) {
	env, ok := isSealed(b)
	if !ok {
		return nil, errNotSealed
	}
	if env.V != 1 {
		return nil, fmt.Errorf("sealed in envelope version %d, newer than this tokentop", env.V)
	}
	if env.KID != s.kid {
		return nil, fmt.Errorf("sealed with key %s, not this one (%s)", env.KID, s.kid)
	}
	if len(env.Nonce) != s.aead.NonceSize() {
		return nil, errors.New("sealed value has a malformed nonce")
	}
	plain, err := s.aead.Open(nil, env.Nonce, env.CT, []byte(key))
	if err != nil {
		return nil, fmt.Errorf("sealed value with key %s does not open here (altered, or moved from another key)", env.KID)
	}
	return plain, nil
}
