package flows

import (
	"encoding/base64"
	"net/url"
	"regexp"
	"testing"

	"golang.org/x/oauth2"
)

// verifierSyntax is code-verifier of RFC 7636 §4.1: 43 to 128 unreserved
// characters.
var verifierSyntax = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// TestVerifierRandom: every verifier is new, fits the grammar of RFC 7636
// §4.1 and carries the 32 random octets §4.1 recommends.
func TestVerifierRandom(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		v := newVerifier()
		if !verifierSyntax.MatchString(v) {
			t.Fatalf("verifier %q is not 43 to 128 unreserved characters", v)
		}
		raw, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil {
			t.Fatalf("verifier %q is not base64url without padding: %v", v, err)
		}
		if len(raw) < 32 {
			t.Fatalf("verifier carries %d random octets, want at least 32", len(raw))
		}
		if seen[v] {
			t.Fatalf("verifier %q came back twice", v)
		}
		seen[v] = true
	}
}

// TestVerifierChallenge checks the S256 challenge the authorization request
// carries against the example of RFC 7636 Appendix B, through the option the
// wire code sends it with, and that a fresh verifier gets its own challenge.
func TestVerifierChallenge(t *testing.T) {
	const (
		verifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
		challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	)
	if got := oauth2.S256ChallengeFromVerifier(verifier); got != challenge {
		t.Fatalf("S256 challenge of the RFC 7636 example = %q, want %q", got, challenge)
	}
	conf := &oauth2.Config{ClientID: "c", Endpoint: oauth2.Endpoint{AuthURL: "https://as.example/authorize"}}
	query := func(v string) url.Values {
		u, err := url.Parse(conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v)))
		if err != nil {
			t.Fatal(err)
		}
		return u.Query()
	}
	q := query(verifier)
	if q.Get("code_challenge") != challenge || q.Get("code_challenge_method") != "S256" {
		t.Fatalf("authorization request carries code_challenge=%q code_challenge_method=%q, want %q and S256",
			q.Get("code_challenge"), q.Get("code_challenge_method"), challenge)
	}
	if q.Has("code_verifier") {
		t.Fatal("the authorization request carries the verifier itself")
	}
	fresh := newVerifier()
	if got := query(fresh).Get("code_challenge"); got == challenge || got == fresh || got != oauth2.S256ChallengeFromVerifier(fresh) {
		t.Fatalf("challenge %q of a fresh verifier is not its own S256", got)
	}
}
