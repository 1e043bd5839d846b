package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

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
	sortName             string // lower-case name, for sorting
	// Their widths in cells, for sizing the columns.
	nameW, providerW, flowW int

	// Derived from st by rebuild.
	renewable bool
	claims    []claim // of a JWT access token, unverified
	idClaims  []claim // of the verified ID token of the sign-in
	checkText string  // "200 · 84ms", without the age
	checkW    int     // its width in cells
	checkOK   bool
	scopes    string // the token's scopes, space-separated
	scopesW   int
	trend     trend // the recent checks, drawn

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
	r.sortName = strings.ToLower(r.name)
	r.nameW = ansi.StringWidth(r.name)
	r.providerW = ansi.StringWidth(r.provider)
	r.flowW = ansi.StringWidth(r.flow)
	r.rebuild()
	return r
}

// rebuild recomputes what the row derives from its state.
func (r *row) rebuild() {
	st := &r.st
	r.renewable = r.conn.Renewable(*st)
	r.claims, r.scopes = nil, ""
	r.idClaims = verifiedClaims(st.Token)
	if st.Token != nil {
		r.claims = decodeClaims(st.Token.AccessToken)
		r.scopes = redact.Sanitize(strings.Join(st.Token.Scopes, " "))
	}
	r.scopesW = ansi.StringWidth(r.scopes)
	r.checkText, r.checkOK = "", false
	if c := st.LastCheck; c != nil {
		r.checkText = checkSummary(c)
		r.checkOK = c.OK()
	}
	r.checkW = ansi.StringWidth(r.checkText)
	r.trend = buildTrend(st.Checks)
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

// expiresText is the countdown cell: "59m 12s", "expired 3m 02s ago",
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
		return flows.SignedOut.String() + " — press l"
	case !t.HasExpiry():
		return "no expiry"
	case now.Before(t.Expiry):
		return flows.Countdown(t.Expiry.Sub(now))
	default:
		return "expired " + ago(now, t.Expiry)
	}
}

// checkCell is the last check: "200 · 84ms · 2m 05s ago".
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

// lifeBarW is how many cells the EXPIRES bar takes.
const lifeBarW = 5

// lifeBars are the EXPIRES bars from empty to full: the glyphs show the
// fraction without colour.
var lifeBars = func() [lifeBarW + 1]string {
	var bars [lifeBarW + 1]string
	for i := range bars {
		bars[i] = strings.Repeat("▰", i) + strings.Repeat("▱", lifeBarW-i)
	}
	return bars
}()

// lifeBar is the bar of the token's remaining life at now, the part of
// Expiry − ObtainedAt still left; "" without an expiry, an obtained time,
// or once expired (the text says so).
func (r *row) lifeBar(now time.Time) string {
	t := r.st.Token
	if t == nil || !t.HasExpiry() || t.ObtainedAt.IsZero() || !now.Before(t.Expiry) {
		return ""
	}
	life := t.Expiry.Sub(t.ObtainedAt)
	if life <= 0 {
		return ""
	}
	left := t.Expiry.Sub(now)
	// To the nearest cell, but any life left shows as one cell at least.
	n := int((int64(left)*lifeBarW*2 + int64(life)) / (2 * int64(life)))
	return lifeBars[min(max(n, 1), lifeBarW)]
}

// expiryTone is how the EXPIRES cell is coloured: danger when expired or
// failing to renew, warn inside twice the renewal margin, ok otherwise;
// toneMuted when there is no countdown to judge.
func (r *row) expiryTone(now time.Time) tone {
	t := r.st.Token
	switch {
	case t == nil || t.AccessToken == "" || !t.HasExpiry():
		return toneMuted
	case !now.Before(t.Expiry):
		return toneDanger
	case r.cond.Condition == flows.Failing || r.cond.Condition == flows.SignInRequired:
		return toneDanger
	case t.Expiry.Sub(now) < 2*r.conn.RefreshBefore:
		return toneWarn
	}
	return toneOK
}
