package ui

import (
	"errors"
	"fmt"
	"slices"

	tea "charm.land/bubbletea/v2"

	"tokentop/flows"
	"tokentop/flows/redact"
)

// What comes back to Update: the states a poll read, and the result of each
// job, applied to the rows and told on the status line.

// onChanged applies the states other writes produced.
func (m *Model) onChanged(msg changedMsg) tea.Cmd {
	m.polling = false
	if msg.warn == nil {
		m.pollErr = ""
	} else if e := errText(msg.warn); e != m.pollErr {
		m.pollErr = e // told once, until it changes or clears
		m.setStatus("", levelWarn, e+": showing the last read")
	}
	// A mark that went back says the state file was replaced (deleted, or
	// moved aside as damaged): msg.states is all it holds now, and a row
	// missing from it has nothing saved any more.
	replaced := msg.next < m.mark
	m.mark = msg.next
	first := !m.loaded
	if first {
		m.loadedAt = m.clock
	}
	m.loaded = true
	for name, st := range msg.states {
		if r := m.byName[name]; r != nil {
			m.updateRow(r, func(s *flows.State) { *s = st })
			if !first {
				m.schedule(r)
			}
		}
	}
	if replaced {
		for _, r := range m.rows {
			if _, ok := msg.states[r.conn.Name]; !ok {
				m.updateRow(r, func(s *flows.State) { *s = flows.State{} })
				m.schedule(r)
			}
		}
	}
	if first {
		// Every row is now known, saved or not; plan them all once, and
		// check those that hold a token and were never checked.
		for _, r := range m.rows {
			m.schedule(r)
			if !r.conn.Manual && r.st.LastCheck == nil && checkable(r.conn) && r.st.Token.ValidFor(m.clock, 0) {
				m.enqueue(r.conn.Name, jobCheck, true)
			}
		}
		m.takeDue(m.clock)
		if len(m.queue)+len(m.checkQueue) > 0 {
			return tea.Batch(m.drain(), m.pollIfAgain())
		}
	}
	return m.pollIfAgain()
}

// pollIfAgain polls once more when a change arrived during the last poll.
func (m *Model) pollIfAgain() tea.Cmd {
	if m.pollAgain {
		m.pollAgain = false
		return m.poll()
	}
	return nil
}

// checkable reports whether c has a health check to run: a check_url, an
// introspection endpoint, or an issuer whose metadata may name either.
func checkable(c *flows.Connection) bool {
	return c.CheckURL != "" || c.IntrospectURL != "" || c.Issuer != ""
}

// updateRow changes a row's state and keeps the title's counts right.
func (m *Model) updateRow(r *row, fn func(*flows.State)) {
	m.count(r, -1)
	st := r.st
	fn(&st)
	r.setState(st)
	m.count(r, 1)
	m.stale = true
}

// count adds (d=1) or removes (d=-1) a row from the title's counts of
// what R and P would work on. The rows that need attention depend on the
// clock too: reassess counts them.
func (m *Model) count(r *row, d int) {
	if r.renewable {
		m.renewables += d
	}
	if r.st.Token != nil && checkable(r.conn) {
		m.checkables += d
	}
}

// onRenewed records a renewed token.
func (m *Model) onRenewed(msg renewedMsg) tea.Cmd {
	j, r := m.finish(msg.jobRef)
	if j == nil {
		return nil
	}
	now := m.now()
	m.updateRow(r, func(st *flows.State) {
		st.Token = msg.tok
		st.LastRenewal = now
		st.LastError = ""
	})
	r.failures = 0
	m.schedule(r)
	if j.auto && r.st.LastCheck == nil && checkable(r.conn) {
		// A token fetched by itself is checked by itself too, so a row
		// shows its health from the first seconds.
		m.enqueue(r.conn.Name, jobCheck, true)
	}
	switch {
	case j.bulk && !j.auto:
		m.batchDone(false)
	case !j.auto || msg.warn != nil:
		text := msg.name + ": renewed"
		if msg.tok.HasExpiry() {
			text += ", valid for " + flows.Countdown(msg.tok.Expiry.Sub(m.clock))
		}
		m.setStatusWarn(msg.name, text, warnText(msg.warn))
	}
	return m.poll()
}

// onRenewFailed reports a failed renewal and, for an automatic one, plans
// the retry or gives up until a person signs in.
func (m *Model) onRenewFailed(msg renewFailedMsg) tea.Cmd {
	j, r := m.finish(msg.jobRef)
	if j == nil {
		return nil
	}
	text := signInHint(msg.err)
	switch {
	case errors.Is(msg.err, flows.ErrSignInRequired):
		r.signInRequired = true
		m.stale = true
		m.schedule(r)
	case j.auto:
		wait := m.renewFailed(r, m.clock)
		text = renewFailingText(msg.err, wait)
	default:
		m.schedule(r)
	}
	if j.bulk && !j.auto {
		m.batchDone(true)
	} else {
		m.setStatus(msg.name, levelError, text)
	}
	return m.poll()
}

// onChecked records a health check.
func (m *Model) onChecked(msg checkedMsg) tea.Cmd {
	j, r := m.finish(msg.jobRef)
	if j == nil {
		return nil
	}
	m.updateRow(r, func(st *flows.State) {
		st.LastCheck = msg.check
		st.Checks = append(slices.Clip(st.Checks), *msg.check)
		if n := len(st.Checks); n > flows.MaxChecks {
			st.Checks = st.Checks[n-flows.MaxChecks:]
		}
	})
	m.schedule(r)
	if j.bulk {
		m.batchDone(!msg.check.OK())
		return m.poll()
	}
	text := msg.name + ": check " + checkSummary(msg.check)
	if msg.check.Err != "" {
		text += ": " + redact.Sanitize(msg.check.Err)
	}
	if msg.check.OK() {
		m.setStatus(msg.name, levelOK, text)
	} else {
		m.setStatus(msg.name, levelError, text)
	}
	return m.poll()
}

// onCheckFailed reports a check that could not run.
func (m *Model) onCheckFailed(msg checkFailedMsg) tea.Cmd {
	j, r := m.finish(msg.jobRef)
	if j == nil {
		return nil
	}
	m.schedule(r)
	if j.bulk {
		m.batchDone(true)
	} else {
		m.setStatus(msg.name, levelError, signInHint(msg.err))
	}
	return m.poll()
}

// onToken copies what was asked of a fresh token. The token goes into the
// copy commands and nowhere else: not the model, not the status line.
func (m *Model) onToken(msg tokenMsg) tea.Cmd {
	j, r := m.finish(msg.jobRef)
	if j == nil {
		return nil
	}
	m.schedule(r)
	s, ok := copyText(j.what, msg.tok.AccessToken, r.conn.CheckURL)
	if !ok {
		m.setStatus(msg.name, levelWarn, msg.name+": the token is not a JWT: it has no claims to copy")
		return m.poll()
	}
	return tea.Batch(m.copySecretCmd(s, msg.name+" "+j.what.noun(), warnText(msg.warn)), m.poll())
}

// onLoggedOut records a logout.
func (m *Model) onLoggedOut(msg loggedOutMsg) tea.Cmd {
	j, r := m.finish(msg.jobRef)
	if j == nil {
		return nil
	}
	m.updateRow(r, func(st *flows.State) {
		st.Token = nil
		st.NeedsSignIn = false
		st.LastError = ""
	})
	m.schedule(r)
	m.expectNeeds(msg.name)
	if m.revealed == msg.name {
		m.revealed = ""
	}
	m.setStatus(msg.name, levelOK, msg.name+": logged out")
	return m.poll()
}

// batchDone counts one finished job of an R or P batch.
func (m *Model) batchDone(failed bool) {
	b := &m.batch
	if !b.active {
		return
	}
	b.done++
	if failed {
		b.failed++
	}
	verb := "renewed"
	if b.kind == jobCheck {
		verb = "checked"
	}
	text := fmt.Sprintf("%s %d of %d", verb, b.done, b.total)
	lvl := levelInfo
	if b.failed > 0 {
		text += fmt.Sprintf(", %d failed (see the rows marked !)", b.failed)
		lvl = levelWarn
	}
	if b.done < b.total {
		m.showStatus("", lvl, text)
		return
	}
	b.active = false
	if b.failed == 0 {
		lvl = levelOK
	}
	m.setStatus("", lvl, text)
}
