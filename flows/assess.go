package flows

import (
	"fmt"
	"time"
)

// Condition is the situation of one connection, as a person must act on it.
// It is decided by Assess alone; the dashboard and the command line both
// show its String and Mark, and ask a person to look exactly when
// NeedsAttention says so.
type Condition int

// The conditions a connection can be in, from good to bad.
const (
	// Valid: a token that stays valid beyond the renewal margin.
	Valid Condition = iota
	// NoExpiry: a token the provider gave no expiry (Aha!, API keys).
	NoExpiry
	// NoToken: nothing stored yet, and tokentop fetches a token without a
	// person on first use (client credentials, API keys, a configured
	// password).
	NoToken
	// Renewing: expired or within the renewal margin, and tokentop can get
	// a new one without a person (refresh token, client credentials).
	Renewing
	// Expiring: within the renewal margin and no way to renew it alone.
	Expiring
	// Failing: the last renewal or sign-in attempt failed (for any cause),
	// or the last health check did.
	Failing
	// SignedOut: no token, and only a person can sign in.
	SignedOut
	// SignInRequired: the token expired or was refused, and only a person
	// can sign in again.
	SignInRequired
	// Misconfigured: the connection's table in the config file has
	// problems, so it cannot be used until they are fixed. Assess never
	// decides it: the configuration does.
	Misconfigured

	numConditions // keep last: the count of conditions
)

// conditionWords are the String and Mark of every condition. The marks read
// without colour: full for a token that serves, half for one that is about
// to change, empty for none, dotted for none yet.
var conditionWords = [numConditions]struct{ word, mark string }{
	Valid:          {"valid", "●"},
	NoExpiry:       {"no expiry", "●"},
	NoToken:        {"no token yet", "◌"},
	Renewing:       {"renewable", "◐"},
	Expiring:       {"expiring", "◐"},
	Failing:        {"failing", "!"},
	SignedOut:      {"signed out", "○"},
	SignInRequired: {"sign-in required", "✗"},
	Misconfigured:  {"config error", "✎"},
}

// NeedsAttention reports whether a person should look at the connection.
func (c Condition) NeedsAttention() bool { return c >= Expiring }

// String names the condition as tokentop status prints it and the
// dashboard labels it.
func (c Condition) String() string {
	if c < 0 || c >= numConditions {
		return fmt.Sprintf("Condition(%d)", int(c))
	}
	return conditionWords[c].word
}

// Mark is the condition's one-cell glyph, as the dashboard's table shows
// it beside the connection's name.
func (c Condition) Mark() string {
	if c < 0 || c >= numConditions {
		return "?"
	}
	return conditionWords[c].mark
}

// Assessment is a connection's condition at one moment, with the words to
// show for it.
type Assessment struct {
	Condition Condition
	// Left is the time until expiry (negative once expired); meaningful
	// only when HasExpiry.
	Left      time.Duration
	HasExpiry bool
	// Reason says why a connection needs attention, in one safe line of
	// facts ("no token", the provider's refusal); what a person should do
	// about it is for each edge to add in its own terms.
	Reason string
}

// Assess tells the condition of connection c with state st at now.
func Assess(c *Connection, st State, now time.Time) Assessment {
	margin := c.RefreshBefore
	a := Assessment{}
	tok := st.Token
	if tok != nil && tok.HasExpiry() {
		a.HasExpiry, a.Left = true, tok.Expiry.Sub(now)
	}
	renewable := c.Renewable(st)
	switch {
	case st.NeedsSignIn && !renewable:
		a.Condition, a.Reason = SignInRequired, st.LastError
	case st.LastError != "" && !st.LastErrorAt.Before(st.LastRenewal):
		// The last renewal or sign-in failed, whatever the cause and
		// whether or not a token is left: someone should know.
		a.Condition, a.Reason = Failing, failingReason(st, now)
	case tok == nil || tok.AccessToken == "":
		if renewable {
			a.Condition, a.Reason = NoToken, "no token yet; one is fetched on first use"
		} else {
			// A fact, not an instruction: each edge adds its own (the
			// command line "run tokentop login NAME", the dashboard "press l").
			a.Condition, a.Reason = SignedOut, "no token"
		}
	case a.HasExpiry && a.Left <= 0:
		if renewable {
			a.Condition, a.Reason = Renewing, "expired; renews on next use"
		} else {
			a.Condition, a.Reason = SignInRequired, "expired and cannot be renewed without a person"
		}
	case a.HasExpiry && a.Left < margin && !renewable:
		a.Condition, a.Reason = Expiring, fmt.Sprintf("expires in %s and cannot be renewed without a person", Countdown(a.Left))
	case st.LastCheck != nil && !st.LastCheck.OK():
		a.Condition = Failing
		a.Reason = st.LastCheck.Err
		if a.Reason == "" {
			a.Reason = fmt.Sprintf("health check answered HTTP %d", st.LastCheck.Status)
		}
	case a.HasExpiry && a.Left < margin:
		a.Condition = Renewing
	case !a.HasExpiry:
		a.Condition = NoExpiry
	default:
		a.Condition = Valid
	}
	return a
}

// failingReason says why renewing fails and when it is tried again:
// "token endpoint: not sent: cannot connect: connection refused; retrying
// in 20s" (status prints it after "failing: ").
func failingReason(st State, now time.Time) string {
	r := st.LastError
	if st.Failures > 0 && st.RetryAt.After(now) {
		r += "; retrying in " + Countdown(st.RetryAt.Sub(now))
	}
	return r
}

// Countdown renders a duration the way the dashboard and status show time
// left, to the second under an hour, to the minute under two days, to the
// hour beyond: "45s", "59m 12s", "30h 05m", "2d 4h". A negative duration is
// rendered as its size, for "expired … ago".
func Countdown(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	d = d.Truncate(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
	}
}

// TimeLeft renders an assessment's expiry for people: "59m 12s",
// "expired 3m 02s ago", "no expiry" or "signed out".
func TimeLeft(tok *Token, now time.Time) string {
	switch {
	case tok == nil || tok.AccessToken == "":
		return "signed out"
	case !tok.HasExpiry():
		return "no expiry"
	case tok.Expiry.After(now):
		return Countdown(tok.Expiry.Sub(now))
	default:
		return "expired " + Countdown(now.Sub(tok.Expiry)) + " ago"
	}
}
