package ui

import (
	"strings"
	"time"

	"tokentop/flows"
	"tokentop/flows/redact"
)

// defaultRefreshBefore is the renewal margin when neither the connection
// nor the config sets one.
const defaultRefreshBefore = 5 * time.Minute

// row is one connection with its stored state and what the table derives
// from it. The derived fields are rebuilt only when the state changes; the
// time-dependent cells (countdown, ages) are computed for visible rows only.
type row struct {
	conn *flows.Connection
	st   flows.State

	// Static, from the config, sanitised once.
	name, provider, flow string
	search               string // lower-case "name provider", for the filter
	refreshBefore        time.Duration

	// Derived from st by rebuild.
	renewable bool
	claims    []claim // of a JWT access token, unverified
	checkText string  // "200 · 84 ms", without the age
	checkOK   bool
	alert     bool // a problem that only time will not fix (counted in the title)

	// signInRequired is set when an automatic renewal was refused for want
	// of a person; it stops the scheduler until the state changes.
	signInRequired bool

	// Automatic renewal: the next attempt, consecutive failures, and the
	// generation that invalidates older heap entries.
	due      time.Time
	retryAt  time.Time
	failures int
	gen      uint64
}

// newRow builds the row of a connection, before any state is known.
func newRow(c *flows.Connection, defaultMargin time.Duration) *row {
	r := &row{
		conn:     c,
		name:     redact.Sanitize(c.Name),
		provider: redact.Sanitize(string(c.Provider)),
		flow:     flowLabel(c.Flow),
	}
	r.search = strings.ToLower(r.name + " " + r.provider)
	r.refreshBefore = c.RefreshBefore
	if r.refreshBefore <= 0 {
		r.refreshBefore = defaultMargin
	}
	if r.refreshBefore <= 0 {
		r.refreshBefore = defaultRefreshBefore
	}
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
	r.alert = st.NeedsSignIn || r.signInRequired || st.LastError != "" ||
		(st.LastCheck != nil && !r.checkOK)
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

// status is the one situation a row is in, in order of precedence: each
// asks something different of the person.
type status int

const (
	statusLoading        status = iota // state not read yet
	statusSignedOut                    // no token: press l
	statusSignInRequired               // the grant was refused, or expired without a way to renew
	statusFailed                       // the last renewal or check failed
	statusExpired                      // expired, renewal pending
	statusExpiring                     // within refresh_before of expiry
	statusOK                           // valid for longer than refresh_before
	statusNoExpiry                     // valid, no known expiry
)

// status classifies the row at now.
func (r *row) status(now time.Time, loaded bool) status {
	st := &r.st
	switch {
	case !loaded:
		return statusLoading
	case r.needsPerson():
		return statusSignInRequired
	case st.LastError != "" && !st.LastErrorAt.Before(st.LastRenewal):
		// The last attempt failed, token or not: as status says.
		return statusFailed
	case st.Token == nil:
		return statusSignedOut
	}
	expired := st.Token.HasExpiry() && !now.Before(st.Token.Expiry)
	switch {
	case expired && !r.renewable:
		return statusSignInRequired
	case st.LastError != "" || (st.LastCheck != nil && !r.checkOK):
		return statusFailed
	case expired:
		return statusExpired
	case !st.Token.HasExpiry():
		return statusNoExpiry
	case st.Token.Expiry.Sub(now) <= r.refreshBefore:
		return statusExpiring
	}
	return statusOK
}

// mark is the status's glyph, readable without colour.
func (s status) mark() string {
	switch s {
	case statusLoading:
		return "·"
	case statusSignedOut:
		return "○"
	case statusSignInRequired:
		return "✗"
	case statusFailed:
		return "!"
	case statusExpired, statusExpiring:
		return "◐"
	}
	return "●"
}

// label is the status in words, for the detail pane.
func (s status) label() string {
	switch s {
	case statusLoading:
		return "loading"
	case statusSignedOut:
		return "signed out — press l to sign in"
	case statusSignInRequired:
		return "sign-in required — press l to sign in"
	case statusFailed:
		return "failing"
	case statusExpired:
		return "expired — renewing"
	case statusExpiring:
		return "expiring soon"
	case statusNoExpiry:
		return "ok, no expiry"
	}
	return "ok"
}

// attention reports whether the row should stand out.
func (s status) attention() bool {
	switch s {
	case statusSignInRequired, statusFailed, statusExpired, statusExpiring:
		return true
	}
	return false
}

// expiresText is the countdown cell: "59m 12s", "expired 3m ago",
// "no expiry", "signed out".
func (r *row) expiresText(now time.Time, loaded bool) string {
	switch t := r.st.Token; {
	case !loaded:
		return "…"
	case t == nil:
		return "signed out"
	case !t.HasExpiry():
		return "no expiry"
	case now.Before(t.Expiry):
		return countdown(t.Expiry.Sub(now))
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
	case r.needsPerson():
		return "sign-in required", true
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
