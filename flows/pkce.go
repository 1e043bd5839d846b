package flows

import "golang.org/x/oauth2"

// newVerifier returns a fresh PKCE code verifier (RFC 7636 §4.1): 32 random
// bytes, base64url, 43 characters. Only the S256 method is ever sent (RFC
// 9700 §2.1.1: plain must not be used); the wire code derives the challenge
// with oauth2.S256ChallengeOption.
func newVerifier() string {
	return oauth2.GenerateVerifier()
}
