package ui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"
)

// The terminal tells what needs a look without anyone looking at it: the
// window title (OSC 2) counts the connections that need attention, and with
// bell = true the terminal's bell rings once when one newly needs a person.

// bel is the terminal bell (ASCII BEL), written as it is.
const bel = "\a"

// windowTitle is the terminal's title for n connections needing attention:
// "tokentop", "tokentop — 1 needs attention", "tokentop — 2 need attention".
func windowTitle(n int) string {
	if n <= 0 {
		return "tokentop"
	}
	return "tokentop — " + needAttention(n)
}

// needAttention counts rows that need attention: "1 needs attention",
// "2 need attention".
func needAttention(n int) string {
	if n == 1 {
		return "1 needs attention"
	}
	return fmt.Sprintf("%d need attention", n)
}

// ringBell returns the command that rings the bell once.
func ringBell() tea.Cmd { return tea.Raw(bel) }

// noticeNeeds records which rows need a person (a sign-in is what helps
// them) and rings the bell, when the configuration asks for it, if one or
// more did not before. Rows are recorded silently the first time they are
// seen after the first poll, so what already needed a person at start-up
// or when a connection is added rings nothing.
func (m *Model) noticeNeeds() tea.Cmd {
	if !m.loaded {
		return nil
	}
	if m.needs == nil {
		m.needs = make(map[string]bool, len(m.rows))
	}
	ring := false
	for _, r := range m.rows {
		name := r.conn.Name
		now := signInHelps(r.cond.Condition)
		was, seen := m.needs[name]
		if seen && now && !was {
			ring = true
		}
		m.needs[name] = now
	}
	if len(m.needs) > len(m.rows) {
		for name := range m.needs {
			if m.byName[name] == nil {
				delete(m.needs, name)
			}
		}
	}
	if ring && m.cfg != nil && m.cfg.Bell {
		m.rung++
		return ringBell()
	}
	return nil
}

// expectNeeds records that a connection needs a person because the person
// asked for it (a logout): the bell is for what happens by itself.
func (m *Model) expectNeeds(name string) {
	if m.needs != nil {
		m.needs[name] = true
	}
}
