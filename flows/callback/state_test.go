package callback

import (
	"encoding/base64"
	"testing"
)

// TestNewState: every state is new, goes into a URL as it is, and carries
// 256 random bits (RFC 6749 §10.10 asks for at least 128).
func TestNewState(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		s := NewState()
		raw, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("state %q is not base64url without padding: %v", s, err)
		}
		if len(raw) != stateBytes || len(s) != 43 {
			t.Fatalf("state %q carries %d random octets, want %d", s, len(raw), stateBytes)
		}
		if seen[s] {
			t.Fatalf("state %q came back twice", s)
		}
		seen[s] = true
	}
}
