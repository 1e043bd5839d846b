package ui

import (
	"charm.land/lipgloss/v2"

	"tokentop/flows"
)

// The dashboard shows a connection's condition as flows.Assess decides it,
// in the words and marks tokentop status uses (flows.Condition's String and
// Mark), and counts in its title exactly the rows status marks
// needs_attention. Only two things are its own: a row not read yet
// (loading) and a row with a job running (busy, a spinner in place of the
// mark).

// loadingMark and loadingLabel stand for a condition until the first poll
// has read the state.
const (
	loadingMark  = "·"
	loadingLabel = "loading"
)

// signInHelps reports whether only a person signing in can get the
// connection a token, which is what l does.
func signInHelps(c flows.Condition) bool {
	switch c {
	case flows.SignedOut, flows.SignInRequired, flows.Expiring:
		return true
	}
	return false
}

// label is a condition in status's word, with the key that helps when
// only a person can: "sign-in required — press l to sign in".
func label(c flows.Condition) string {
	if signInHelps(c) {
		return c.String() + " — press l to sign in"
	}
	return c.String()
}

// reassess decides every row's condition at the model's clock and counts
// those that need attention. It runs once per Update that moved the clock
// or changed a row, so the title and the rows agree within a frame.
func (m *Model) reassess() {
	m.stale = false
	m.attention = 0
	for _, r := range m.rows {
		r.cond = r.assess(m.clock)
		if m.loaded && r.cond.Condition.NeedsAttention() {
			m.attention++
		}
	}
}

// tone is how strongly a condition asks for a look, as a colour.
type tone int

const (
	toneMuted  tone = iota // nothing to judge yet
	toneOK                 // a token that serves
	toneWarn               // one about to change, or none and a person can fix it
	toneDanger             // something failed or only a person can help
)

// toneOf is a condition's tone.
func toneOf(c flows.Condition) tone {
	switch c {
	case flows.Valid, flows.NoExpiry:
		return toneOK
	case flows.Renewing, flows.Expiring, flows.SignedOut:
		return toneWarn
	case flows.Failing, flows.SignInRequired, flows.Misconfigured:
		return toneDanger
	}
	return toneMuted
}

// condition is the ink of a condition.
func (k *inks) condition(c flows.Condition) ink {
	return [...]ink{toneMuted: k.muted, toneOK: k.ok, toneWarn: k.warn, toneDanger: k.danger}[toneOf(c)]
}

// conditionStyle is the colour of a condition.
func (m *Model) conditionStyle(c flows.Condition) lipgloss.Style {
	return [...]lipgloss.Style{toneMuted: m.st.Muted, toneOK: m.st.OK, toneWarn: m.st.Warn, toneDanger: m.st.Danger}[toneOf(c)]
}
