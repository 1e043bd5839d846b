package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"tokentop/flows/redact"
)

// The message log keeps every status message and warning whole, with its
// time and connection, for the person who looked away or whose window is
// too narrow for the status line: L shows it, newest first.

// maxLog bounds the message log; the oldest entries go first.
const maxLog = 500

// logEntry is one status message or warning as it was given.
type logEntry struct {
	at    time.Time // the model's clock when it was given
	conn  string    // the connection it is about, "" for none in particular
	level level
	text  string
}

// logDrawn is the log overlay's lines as last laid out, and what they were
// laid out from: wrapping and styling 500 entries takes milliseconds, and
// the overlay is drawn on every frame while it shows.
type logDrawn struct {
	seq   uint64
	w     int
	dark  bool
	lines []string
}

// record appends a message to the log, dropping the oldest beyond maxLog.
func (m *Model) record(conn string, l level, text string) {
	if len(m.log) >= maxLog {
		n := copy(m.log, m.log[len(m.log)-maxLog+1:])
		m.log = m.log[:n]
	}
	m.log = append(m.log, logEntry{at: m.clock, conn: conn, level: l, text: text})
	m.logSeq++
}

// warn logs each configuration and store warning whole, and shows the first
// on the status line with how many more the log holds.
func (m *Model) warn(warnings []string) {
	if len(warnings) == 0 {
		return
	}
	for _, w := range warnings {
		m.record("", levelWarn, forPeople(redact.Sanitize(w)))
	}
	text := redact.Sanitize(warnings[0])
	if n := len(warnings) - 1; n > 0 {
		noun := "warnings"
		if n == 1 {
			noun = "warning"
		}
		text += fmt.Sprintf(" (%d more %s: L shows them)", n, noun)
	}
	m.showStatus("", levelWarn, text)
}

// levelStyle is the style of a message of level l.
func (m *Model) levelStyle(l level) lipgloss.Style {
	switch l {
	case levelOK:
		return m.st.OK
	case levelWarn:
		return m.st.Warn
	case levelError:
		return m.st.Danger
	}
	return m.st.Muted
}

// logStamp is the width of an entry's time and the gap after it.
const logStamp = len("15:04:05  ")

// logLines is the log overlay's content for a width: a title, then every
// entry newest first, wrapped, its later lines indented under its text.
// The lines are laid out again only when the log, the width or the
// background changed; callers must not change them.
func (m *Model) logLines(w int) []string {
	d := &m.logDrawn
	if d.lines == nil || d.seq != m.logSeq || d.w != w || d.dark != m.isDark {
		*d = logDrawn{seq: m.logSeq, w: w, dark: m.isDark, lines: m.layOutLog(w)}
	}
	return d.lines
}

// layOutLog lays the log out for a width: see logLines.
func (m *Model) layOutLog(w int) []string {
	n := len(m.log)
	title := m.st.PaneTitle.Render("message log") + m.st.Muted.Render(" · "+plural(n, "message")+", newest first")
	lines := []string{title}
	if n == 0 {
		return append(lines, m.st.Muted.Render("nothing yet"))
	}
	pad := strings.Repeat(" ", logStamp)
	for i := n - 1; i >= 0; i-- {
		e := m.log[i]
		style := m.levelStyle(e.level)
		stamp := m.st.Muted.Render(e.at.In(m.loc).Format("15:04:05")) + "  "
		for j, l := range wrap(safeText(withConn(e.conn, e.text)), max(w-logStamp, 1)) {
			if j == 0 {
				lines = append(lines, stamp+style.Render(l))
			} else {
				lines = append(lines, pad+style.Render(l))
			}
		}
	}
	return lines
}
