package flows_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"tokentop/flows"
)

func TestAssess(t *testing.T) {
	now := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	const margin = time.Minute
	tok := func(left time.Duration, refresh string) *flows.Token {
		return &flows.Token{AccessToken: "at", RefreshToken: refresh, Expiry: now.Add(left)}
	}
	cases := map[string]struct {
		flow       flows.Flow
		st         flows.State
		want       flows.Condition
		wantReason string // the whole reason
	}{
		"client credentials, nothing stored": {flows.ClientCredentials, flows.State{}, flows.NoToken, "no token yet; one is fetched on first use"},
		"auth code, nothing stored":          {flows.AuthorizationCode, flows.State{}, flows.SignedOut, "no token"},
		"valid":                              {flows.AuthorizationCode, flows.State{Token: tok(time.Hour, "r")}, flows.Valid, ""},
		"no expiry":                          {flows.AuthorizationCode, flows.State{Token: &flows.Token{AccessToken: "key"}}, flows.NoExpiry, ""},
		"within the margin, renewable":       {flows.AuthorizationCode, flows.State{Token: tok(30*time.Second, "r")}, flows.Renewing, ""},
		"expired, renewable":                 {flows.AuthorizationCode, flows.State{Token: tok(-time.Minute, "r")}, flows.Renewing, "expired; renews on next use"},
		"within the margin, not renewable": {flows.DeviceCode, flows.State{Token: tok(30*time.Second, "")}, flows.Expiring,
			"expires in 30s and cannot be renewed without a person"},
		"outside the margin, not renewable": {flows.DeviceCode, flows.State{Token: tok(2*time.Minute, "")}, flows.Valid, ""},
		"expired, not renewable": {flows.DeviceCode, flows.State{Token: tok(-time.Minute, "")}, flows.SignInRequired,
			"expired and cannot be renewed without a person"},
		"refused": {flows.AuthorizationCode, flows.State{Token: tok(time.Hour, "r"), NeedsSignIn: true,
			LastError: "invalid_grant: refresh token expired", LastErrorAt: now.Add(-time.Minute)}, flows.SignInRequired,
			"invalid_grant: refresh token expired"},
		"renewal failing, retried": {flows.AuthorizationCode, flows.State{Token: tok(time.Hour, "r"),
			LastError: "token endpoint: connection refused", LastErrorAt: now.Add(-time.Minute), Failures: 2, RetryAt: now.Add(20 * time.Second)},
			flows.Failing, "token endpoint: connection refused; retrying in 20s"},
		"client credentials failing without a token": {flows.ClientCredentials, flows.State{
			LastError: "invalid_client: nope", LastErrorAt: now.Add(-time.Minute)}, flows.Failing, "invalid_client: nope"},
		"an old failure, renewed since": {flows.AuthorizationCode, flows.State{Token: tok(time.Hour, "r"),
			LastError: "connection refused", LastErrorAt: now.Add(-time.Hour), LastRenewal: now.Add(-time.Minute)}, flows.Valid, ""},
		"check failing": {flows.AuthorizationCode, flows.State{Token: tok(time.Hour, "r"),
			LastCheck: &flows.Check{At: now, Status: 401, Err: "401 Unauthorized"}}, flows.Failing, "401 Unauthorized"},
		"check answered badly": {flows.AuthorizationCode, flows.State{Token: tok(time.Hour, "r"),
			LastCheck: &flows.Check{At: now, Status: 503}}, flows.Failing, "health check answered HTTP 503"},
	}
	for name, tc := range cases {
		c := &flows.Connection{Name: "aerion", Flow: tc.flow, RefreshBefore: margin}
		a := flows.Assess(c, tc.st, now)
		if a.Condition != tc.want || a.Reason != tc.wantReason {
			t.Errorf("%s: %v (%q), want %v (%q)", name, a.Condition, a.Reason, tc.want, tc.wantReason)
		}
		// Facts only: what to do is each edge's to say, and the name is
		// added by the edge too.
		if strings.Contains(a.Reason, "tokentop") || strings.Contains(a.Reason, "aerion") {
			t.Errorf("%s: reason %q gives advice or names the connection", name, a.Reason)
		}
	}
}

// TestConditionWords: every condition has its own word (what status
// prints and the dashboard labels) and a one-cell mark, and exactly the
// conditions a person must act on need attention.
func TestConditionWords(t *testing.T) {
	attention := map[flows.Condition]bool{flows.Expiring: true, flows.Failing: true, flows.SignedOut: true, flows.SignInRequired: true, flows.Misconfigured: true}
	words := map[string]flows.Condition{}
	for c := flows.Valid; c <= flows.Misconfigured; c++ {
		w := c.String()
		if w == "" || strings.HasPrefix(w, "Condition(") {
			t.Errorf("condition %d has no word", int(c))
		}
		if prev, dup := words[w]; dup {
			t.Errorf("%d and %d are both %q", int(prev), int(c), w)
		}
		words[w] = c
		if m := c.Mark(); utf8.RuneCountInString(m) != 1 || m == "?" {
			t.Errorf("%v: mark %q", c, m)
		}
		if c.NeedsAttention() != attention[c] {
			t.Errorf("%v: NeedsAttention %v", c, c.NeedsAttention())
		}
	}
	if got := flows.Condition(flows.Misconfigured + 1).String(); !strings.HasPrefix(got, "Condition(") {
		t.Errorf("a condition past the last is %q", got)
	}
	if flows.NoToken.Mark() == flows.SignedOut.Mark() || flows.NoToken.String() == flows.SignedOut.String() {
		t.Error("no token yet reads like signed out")
	}
}

// TestCountdown pins the one countdown format the dashboard and status
// share.
func TestCountdown(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                     "0s",
		42 * time.Second:                      "42s",
		42*time.Second + 900*time.Millisecond: "42s",
		time.Minute:                           "1m 00s",
		59*time.Minute + 12*time.Second:       "59m 12s",
		time.Hour + 5*time.Minute:             "1h 05m",
		30 * time.Hour:                        "30h 00m",
		48*time.Hour - time.Second:            "47h 59m",
		48 * time.Hour:                        "2d 0h",
		76 * time.Hour:                        "3d 4h",
		-3*time.Minute - 2*time.Second:        "3m 02s",
	} {
		if got := flows.Countdown(d); got != want {
			t.Errorf("Countdown(%s) = %q, want %q", d, got, want)
		}
	}
}
