package ui

import (
	"strings"
	"testing"
	"time"

	"tokentop/flows"
)

// TestDetailsVerifiedIDToken: the detail pane shows the verified ID token's
// claims under "id token (verified)", in a fixed order, times as local
// times, apart from the access token's claims, which stay unverified.
func TestDetailsVerifiedIDToken(t *testing.T) {
	clock := &fakeClock{t: t0}
	c := &flows.Connection{Name: "okta", Provider: flows.OAuth2, Flow: flows.AuthorizationCode, ClientID: "okta-client"}
	b := newFakeBackend(clock, c)
	p := flows.IDClaimPrefix
	b.put("okta", flows.State{Token: &flows.Token{
		AccessToken: jwt(`{"sub":"at-subject","scope":"read"}`), Expiry: t0.Add(time.Hour),
		Extra: map[string]string{
			p + "sub": "00u1abcd", p + "email": "dev@example.com", p + "name": "Dev \x1b[31mEloper",
			p + "iss": "https://okta.example", p + "aud": "okta-client", p + "exp": t0.Add(time.Hour).UTC().Format(time.RFC3339),
			"account_subdomain": "acme",
		},
	}})
	h := newHarnessWith(t, b, clock, 140, 40)
	h.press("enter")
	f := strings.Join(strings.Fields(h.frame()), " ")
	idAt, claimsAt := strings.Index(f, "id token (verified)"), strings.Index(f, "claims (JWT payload, unverified)")
	if idAt < 0 || claimsAt < 0 || idAt > claimsAt {
		t.Fatalf("want the verified id token section before the unverified claims:\n%s", f)
	}
	var order []int
	for _, want := range []string{"sub 00u1abcd", "name Dev [31mEloper", "email dev@example.com",
		"iss https://okta.example", "aud okta-client", "exp " + t0.Add(time.Hour).UTC().Format("2006-01-02 15:04:05 MST")} {
		i := strings.Index(f, want)
		if i < 0 {
			t.Fatalf("detail pane lacks %q:\n%s", want, f)
		}
		order = append(order, i)
	}
	for i := 1; i < len(order); i++ {
		if order[i] < order[i-1] {
			t.Fatalf("claims out of order:\n%s", f)
		}
	}
	if strings.Contains(f, "\x1b[31mEloper") || strings.Contains(f, "account_subdomain") {
		t.Fatalf("an escape or a non-ID extra reached the pane:\n%s", f)
	}
	noSecrets(t, f)
}
