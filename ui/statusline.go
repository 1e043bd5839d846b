package ui

import (
	"errors"
	"regexp"
	"strings"
	"time"

	"tokentop/flows"
	"tokentop/flows/secret"
)

// The status line and the panes tell a person what happened in one
// sentence each. Errors arrive as facts from flows; the dashboard adds its
// own words for what to do ("press l to sign in"), never the command
// line's.

// statusFor is how long a message stays on the status line; the log keeps
// it.
const statusFor = 10 * time.Second

// setStatus puts a message about connection conn ("" for one about none
// in particular) on the status line and in the log. Whatever the text came
// from, it shows no advice meant for the command line.
func (m *Model) setStatus(conn string, l level, text string) {
	text = forPeople(text)
	m.record(conn, l, text)
	m.showStatus(conn, l, text)
}

// showStatus replaces the status line without logging: for progress the
// log would only repeat ("renewed 3 of 10").
func (m *Model) showStatus(conn string, l level, text string) {
	m.statusLevel, m.status, m.statusConn = l, forPeople(text), conn
	m.statusAt, m.statusSel = m.clock, m.selectedName()
}

// setStatusWarn reports a success, or a success with a warning.
func (m *Model) setStatusWarn(conn, text, warn string) {
	if warn != "" {
		m.setStatus(conn, levelWarn, text+"; "+warn)
		return
	}
	m.setStatus(conn, levelOK, text)
}

// clearStatus empties the status line.
func (m *Model) clearStatus() {
	m.status, m.statusConn, m.statusLevel = "", "", levelInfo
}

// expireStatus clears a status line that has gone stale: shown for
// statusFor by the model's clock, or about another connection than the
// selected one once the selection moved.
func (m *Model) expireStatus() {
	if m.status == "" {
		return
	}
	if m.clock.Sub(m.statusAt) >= statusFor {
		m.clearStatus()
		return
	}
	if sel := m.selectedName(); sel != m.statusSel {
		m.statusSel = sel
		if m.statusConn != "" && m.statusConn != sel {
			m.clearStatus()
		}
	}
}

// withConn is a message as the status line and the log show it: named by
// its connection unless the text already starts with the name.
func withConn(conn, text string) string {
	if conn == "" || text == conn {
		return text
	}
	if rest, ok := strings.CutPrefix(text, conn); ok && (strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, " ")) {
		return text
	}
	return conn + ": " + text
}

// warnText is an optional warning as text.
func warnText(err error) string {
	if err == nil {
		return ""
	}
	return errText(err)
}

// cliAdvice matches an instruction for the command line ("run tokentop
// login aerion") with the separator before it. Older saved errors hold
// one, and flows may still write it: the dashboard's own advice is a key.
var cliAdvice = regexp.MustCompile("(?:\\s*[:;,—–]\\s*|\\s+-\\s+|\\s+)?\\(?\\brun\\s+`?tokentop\\s+login(?:\\s+[^\\s:;,()`]+)?`?\\)?")

// forPeople is text from flows or the state file as the dashboard shows
// it: without instructions meant for the command line.
func forPeople(s string) string {
	if !strings.Contains(s, "tokentop") {
		return s
	}
	return strings.TrimSpace(cliAdvice.ReplaceAllString(s, ""))
}

// errText is an error as the dashboard shows it.
func errText(err error) string { return forPeople(err.Error()) }

// renewFailingText reports a failed automatic renewal that will be tried
// again: "aerion: renewal failing: token endpoint: not sent: cannot
// connect: connection refused; retrying in 20s".
func renewFailingText(err error, wait time.Duration) string {
	text := errText(err)
	var ce *flows.ConnError
	if errors.As(err, &ce) {
		text = ce.Conn + ": renewal failing: " + errText(ce.Err)
	}
	return text + "; retrying in " + duration(wait)
}

// signInHint is an error for the status line, with what to do when only a
// sign-in can fix it: "aerion: sign-in required: invalid_grant — press l
// to sign in".
func signInHint(err error) string {
	text := errText(err)
	if errors.Is(err, flows.ErrSignInRequired) {
		text += " — press l to sign in"
	}
	// A secret command's own words go to the status line only, never to
	// the state file.
	if said := secret.Stderr(err); said != "" {
		text += " (the command said: " + said + ")"
	}
	return text
}
