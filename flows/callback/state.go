package callback

import (
	"crypto/rand"
	"encoding/base64"
)

// stateBytes is how much randomness a state carries. RFC 6749 §10.12 asks
// for a value an attacker cannot guess and RFC 6749 §10.10 for at least 128
// bits of entropy; 32 bytes gives 256 bits, the same as a PKCE verifier.
const stateBytes = 32

// NewState returns a fresh state value for one authorization request: 256
// bits from crypto/rand, base64url without padding (43 characters), so it
// goes into a URL as it is. The Server that Listen starts with it compares
// the redirect's state with it in constant time and accepts it once (RFC
// 6749 §10.12, RFC 9700 §2.1 and §4.7).
func NewState() string {
	b := make([]byte, stateBytes)
	// crypto/rand.Read never fails since Go 1.24: the program crashes
	// rather than hand out a predictable value.
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
