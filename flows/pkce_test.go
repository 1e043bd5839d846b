package flows

import (
	"encoding/base64"
	"testing"

	"golang.org/x/oauth2"
)

func TestCallbackRandomValues(t *testing.T) {
	tests := map[string]struct {
		gen      func() string
		minBytes int
	}{
		"state":    {gen: newState, minBytes: 32},    // ≥128 bits asked; 256 given
		"verifier": {gen: newVerifier, minBytes: 32}, // RFC 7636 §4.1
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			seen := make(map[string]bool)
			for range 1000 {
				v := tc.gen()
				if len(v) < 43 {
					t.Fatalf("got %d characters, want at least 43", len(v))
				}
				raw, err := base64.RawURLEncoding.DecodeString(v)
				if err != nil {
					t.Fatalf("not base64url without padding: %v", err)
				}
				if len(raw) < tc.minBytes {
					t.Fatalf("got %d random bytes, want at least %d", len(raw), tc.minBytes)
				}
				if seen[v] {
					t.Fatal("the same value came back twice")
				}
				seen[v] = true
			}
		})
	}
}

// TestCallbackVerifierChallenge checks that the verifier fits the S256
// challenge the wire code sends: 43 characters give a 43-character challenge.
func TestCallbackVerifierChallenge(t *testing.T) {
	v := newVerifier()
	if c := oauth2.S256ChallengeFromVerifier(v); len(c) != 43 || c == v {
		t.Fatalf("challenge %q does not look like S256 of the verifier", c)
	}
}
