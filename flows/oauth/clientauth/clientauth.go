// Package clientauth signs the JWT client assertions of RFC 7523 §2.2 that
// authenticate a client at the token endpoint: private_key_jwt with the
// client's own key, client_secret_jwt with its secret (OpenID Connect Core
// 1.0 §9).
package clientauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// AssertionType is the client_assertion_type of RFC 7523 §2.2.
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// Lifetime is how long an assertion is valid: RFC 7523 §3 asks for an exp
// and lets the server refuse one "unreasonably far in the future"; two
// minutes covers a slow request and some clock skew, and each request gets
// its own assertion anyway.
const Lifetime = 2 * time.Minute

// MinRSABits is the smallest RSA key accepted (NIST SP 800-131A, and RFC
// 7518 §3.3: "A key of size 2048 bits or larger MUST be used").
const MinRSABits = 2048

// MinSecretBytes is the shortest client secret HS256 accepts (RFC 7518
// §3.2: a key at least as long as the hash output).
const MinSecretBytes = 32

// jtiBytes is the randomness of each jti: 128 bits, so that two assertions
// never share one (RFC 7519 §4.1.7: "a negligible probability").
const jtiBytes = 16

// Key is a private key read from PEM, with the JWS algorithm it signs with.
type Key struct {
	key any // *rsa.PrivateKey, *ecdsa.PrivateKey or ed25519.PrivateKey
	// Alg is RS256, ES256 or EdDSA.
	Alg jose.SignatureAlgorithm
}

// Public returns the key's public half, for registering it with a server.
func (k Key) Public() crypto.PublicKey {
	return k.key.(crypto.Signer).Public()
}

// String names the algorithm, never the key.
func (k Key) String() string { return "(" + string(k.Alg) + " private key)" }

// ParsePrivateKey reads the first PEM block of text: a PKCS#8 RSA, EC P-256
// or Ed25519 key, a PKCS#1 RSA key ("RSA PRIVATE KEY") or a SEC 1 EC key
// ("EC PRIVATE KEY"). RSA keys sign with RS256 and must have at least
// MinRSABits; P-256 keys with ES256; Ed25519 keys with EdDSA. Errors name
// what was found, never a byte of the file: the file is a secret.
func ParsePrivateKey(text []byte) (Key, error) {
	block, _ := pem.Decode(text)
	if block == nil {
		return Key{}, errors.New("no PEM block (want -----BEGIN PRIVATE KEY-----)")
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "ENCRYPTED PRIVATE KEY":
		return Key{}, errors.New("the key is encrypted with a passphrase: decrypt it first (openssl pkey -in KEY -out PLAIN)")
	default:
		if len(block.Type) > 40 {
			return Key{}, errors.New("PEM block is not a private key")
		}
		return Key{}, fmt.Errorf("PEM block %q is not a private key (want PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)", printable(block.Type))
	}
	if err != nil {
		// x509's messages name the structure that failed, not its bytes.
		return Key{}, fmt.Errorf("cannot parse the %s block: %w", block.Type, err)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < MinRSABits {
			return Key{}, fmt.Errorf("RSA key of %d bits is too short (at least %d)", bits, MinRSABits)
		}
		return Key{key: k, Alg: jose.RS256}, nil
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return Key{}, fmt.Errorf("EC key on curve %s is not supported (use P-256)", k.Curve.Params().Name)
		}
		return Key{key: k, Alg: jose.ES256}, nil
	case ed25519.PrivateKey:
		return Key{key: k, Alg: jose.EdDSA}, nil
	}
	return Key{}, fmt.Errorf("%T keys are not supported (use RSA, EC P-256 or Ed25519)", key)
}

// printable keeps the printable ASCII of s, for naming a PEM type.
func printable(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < ' ' || c > '~' {
			b[i] = '?'
		}
	}
	return string(b)
}

// Signer makes the assertions of one client.
type Signer struct {
	clientID string
	key      jose.SigningKey
	// Rand is the source of jti values; crypto/rand when nil.
	Rand io.Reader
}

// WithKey returns the private_key_jwt signer of clientID. keyID, when set,
// is the JWS kid header (RFC 7515 §4.1.4), which a server holding several of
// the client's keys uses to pick one.
func WithKey(clientID string, k Key, keyID string) (*Signer, error) {
	if k.key == nil {
		return nil, errors.New("no private key")
	}
	jwk := jose.JSONWebKey{Key: k.key, KeyID: keyID, Algorithm: string(k.Alg)}
	return &Signer{clientID: clientID, key: jose.SigningKey{Algorithm: k.Alg, Key: jwk}}, nil
}

// WithSecret returns the client_secret_jwt signer of clientID: HS256 under
// the client secret (OpenID Connect Core 1.0 §9), which must have at least
// MinSecretBytes.
func WithSecret(clientID, secret string) (*Signer, error) {
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("client_secret_jwt needs a client secret of at least %d bytes for HS256 (RFC 7518 §3.2)", MinSecretBytes)
	}
	return &Signer{clientID: clientID, key: jose.SigningKey{Algorithm: jose.HS256, Key: []byte(secret)}}, nil
}

// Assertion returns a fresh client assertion for audience aud, the token
// endpoint URL (RFC 7523 §3): iss and sub the client id, a random 128-bit
// jti, iat and nbf now, exp now+Lifetime.
func (s *Signer) Assertion(aud string, now time.Time) (string, error) {
	r := s.Rand
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, jtiBytes)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("client assertion: no randomness for jti: %w", err)
	}
	sig, err := jose.NewSigner(s.key, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", fmt.Errorf("client assertion: %w", err)
	}
	now = now.Truncate(time.Second)
	claims := jwt.Claims{
		Issuer:    s.clientID,
		Subject:   s.clientID,
		Audience:  jwt.Audience{aud},
		ID:        hex.EncodeToString(b),
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		Expiry:    jwt.NewNumericDate(now.Add(Lifetime)),
	}
	a, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("client assertion: %w", err)
	}
	return a, nil
}
