package flows

import (
	"crypto/rand"
	"encoding/base64"
)

// newVerifier returns a fresh PKCE code verifier (RFC 7636 §4.1): 32 random
// bytes, base64url, 43 characters. Only the S256 method is ever sent (RFC
// 9700 §2.1.1: plain must not be used); the Client derives the challenge.
func newVerifier() string { return random256() }

// newState returns a fresh state for one authorization request (RFC 6749
// §10.12 asks for a value an attacker cannot guess; RFC 6749 §10.10 for at
// least 128 bits): 256 bits, base64url, so it goes into a URL as it is. The
// redirect listener compares it in constant time and accepts it once.
func newState() string { return random256() }

// random256 is 32 bytes from crypto/rand, base64url without padding.
// crypto/rand.Read never fails since Go 1.24: the program crashes rather
// than hand out a predictable value.
func random256() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
