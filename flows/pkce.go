package flows

import (
	"crypto/rand"
	"encoding/base64"

	"golang.org/x/oauth2"
)

// cbStateBytes is how much randomness a state carries. RFC 6749 §10.12 asks
// for a value an attacker cannot guess and RFC 6749 §10.10 for at least 128
// bits of entropy; 32 bytes gives 256 bits, the same as a PKCE verifier.
const cbStateBytes = 32

// newState returns a fresh state value for one authorization request: 256
// bits from crypto/rand, base64url without padding (43 characters), so it
// goes into a URL as it is. The loopback listener compares the redirect's
// state with it in constant time and accepts it once (RFC 6749 §10.12,
// RFC 9700 §2.1 and §4.7).
func newState() string {
	b := make([]byte, cbStateBytes)
	// crypto/rand.Read never fails since Go 1.24: the program crashes
	// rather than hand out a predictable value.
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newVerifier returns a fresh PKCE code verifier (RFC 7636 §4.1): 32 random
// bytes, base64url, 43 characters. Only the S256 method is ever sent (RFC
// 9700 §2.1.1: plain must not be used); the wire code derives the challenge
// with oauth2.S256ChallengeOption.
func newVerifier() string {
	return oauth2.GenerateVerifier()
}
