package ui

import (
	"fmt"
	"strings"
	"time"

	"tokentop/flows"
	"tokentop/flows/redact"
)

// row is one connection with its stored state and what the table derives
// from it. The derived fields are rebuilt only when the state changes; its
// condition whenever the clock moves too (Model.reassess); the other
// time-dependent cells (countdown, ages) are computed for visible rows only.
type row struct {
	conn *flows.Connection
	st   flows.State

	// Static, from the config, sanitised once.
	name, provider, flow string
	search               string // lower-case "name provider", for the filter

	// Derived from st by rebuild.
	renewable bool
	claims    []claim // of a JWT access token, unverified
	checkText string  // "200 · 84 ms", without the age
	checkOK   bool

	// cond is the row's condition at the model's clock, as flows.Assess
	// decides it; Model.reassess keeps it current.
	cond flows.Assessment

	// signInRequired is set when a renewal was refused for want of a
	// person; until a new token arrives it stops the scheduler and counts
	// as the state's NeedsSignIn (see assess).
	signInRequired bool

	// Automatic renewal: the next attempt, consecutive failures, and the
	// generation that invalidates older heap entries.
	due      time.Time
	retryAt  time.Time
	failures int
	gen      uint64

	// Periodic health checks: the next one, the generation of its heap
	// entry, and the row's phase within check_every.
	checkDue time.Time
	checkGen uint64
	phase    uint64

	// broken holds the problems of a connection whose table could not be
	// used ("config.toml:14: connections.NAME.KEY: …"); the row shows them
	// and nothing runs for it.
	broken []string
}

// newRow builds the row of a connection, before any state is known. Its
// renewal margin is the connection's RefreshBefore, which the configuration
// always sets (to its default when the file does not).
func newRow(c *flows.Connection) *row {
	r := &row{
		conn:     c,
		name:     redact.Sanitize(c.Name),
		provider: redact.Sanitize(string(c.Provider)),
		flow:     flowLabel(c.Flow),
		phase:    phaseOf(c.Name),
	}
	r.search = strings.ToLower(r.name + " " + r.provider)
	r.rebuild()
	return r
}

// rebuild recomputes what the row derives from its state.
func (r *row) rebuild() {
	st := &r.st
	r.renewable = r.conn.Renewable(*st)
	r.claims = nil
	if st.Token != nil {
		r.claims = decodeClaims(st.Token.AccessToken)
	}
	r.checkText, r.checkOK = "", false
	if c := st.LastCheck; c != nil {
		r.checkText = checkSummary(c)
		r.checkOK = c.OK()
	}
}

// setState replaces the stored state. A new token clears what the scheduler
// learned from failures of the old one.
func (r *row) setState(st flows.State) {
	if tokenChanged(r.st.Token, st.Token) {
		r.failures = 0
		r.signInRequired = false
	}
	r.st = st
	r.rebuild()
}

// tokenChanged reports whether b is a different token from a.
func tokenChanged(a, b *flows.Token) bool {
	if a == nil || b == nil {
		return a != b
	}
	return a.AccessToken != b.AccessToken || !a.Expiry.Equal(b.Expiry)
}

// needsPerson reports whether only a person signing in can get a token:
// the provider refused the grant and the flow cannot start over alone
// (client credentials and API keys can), or an automatic renewal said so.
func (r *row) needsPerson() bool {
	return r.signInRequired || (r.st.NeedsSignIn && !r.renewable)
}

// assess is the row's condition at now, decided by flows.Assess as for
// tokentop status. A refusal the scheduler met (signInRequired) counts as
// the provider's NeedsSignIn until a new token arrives: the service records
// it so, and the next poll only confirms it.
func (r *row) assess(now time.Time) flows.Assessment {
	if r.broken != nil {
		return flows.Assessment{Condition: flows.Misconfigured, Reason: r.broken[0]}
	}
	st := r.st
	if r.signInRequired {
		st.NeedsSignIn = true
	}
	return flows.Assess(r.conn, st, now)
}

// expiresText is the countdown cell: "59m 12s", "expired 3m ago",
// "no expiry", and without a token "no token yet" when one comes without
// a person, "signed out" otherwise, as tokentop status says.
func (r *row) expiresText(now time.Time, loaded bool) string {
	switch t := r.st.Token; {
	case r.broken != nil:
		return flows.Misconfigured.String()
	case !loaded:
		return "…"
	case t == nil || t.AccessToken == "":
		if r.renewable {
			return flows.NoToken.String()
		}
		return flows.SignedOut.String()
	case !t.HasExpiry():
		return "no expiry"
	case now.Before(t.Expiry):
		return flows.Countdown(t.Expiry.Sub(now))
	default:
		return "expired " + ago(now, t.Expiry)
	}
}

// checkCell is the last check: "200 · 84 ms · 2m ago".
func (r *row) checkCell(now time.Time) string {
	c := r.st.LastCheck
	if c == nil {
		return "—"
	}
	return r.checkText + " · " + ago(now, c.At)
}

// renewalCell is the last renewal, or why renewal is stuck.
func (r *row) renewalCell(now time.Time) (string, bool) {
	st := &r.st
	switch {
	case r.broken != nil:
		return fmt.Sprintf("line %d", r.conn.Line), true
	case r.needsPerson():
		return flows.SignInRequired.String(), true
	case st.LastError != "":
		if st.LastErrorAt.IsZero() {
			return "failed", true
		}
		return "failed " + ago(now, st.LastErrorAt), true
	case st.LastRenewal.IsZero():
		return "—", false
	}
	return ago(now, st.LastRenewal), false
}
