package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"tokentop/flows"
)

// onKey handles a key press in the current mode.
func (m *Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	if m.overlay != overlayNone {
		return m.onOverlayKey(msg)
	}
	k := m.keys
	switch m.mode {
	case modeFilter:
		switch {
		case key.Matches(msg, k.Submit):
			m.mode = modeNormal
			m.filter.Blur()
			return nil
		case key.Matches(msg, k.Back):
			m.clearFilter()
			return nil
		case msg.String() == "up": // not k: j and k are letters to type
			m.move(-1)
			return nil
		case msg.String() == "down":
			m.move(1)
			return nil
		}
		before := m.filter.Value()
		var cmd tea.Cmd
		m.filter, cmd = m.filter.Update(msg)
		if m.filter.Value() != before {
			m.selectionMayChange(m.refilter)
		}
		return cmd

	case modeConfirm:
		name := m.confirm
		switch {
		case key.Matches(msg, k.Yes):
			m.mode, m.confirm = modeNormal, ""
			if j := m.busy[name]; j != nil {
				m.setStatus(name, levelWarn, fmt.Sprintf("%s: busy %s try again when it is done, or esc to cancel it", name, j.kind.doing()))
				return nil
			}
			m.setStatus(name, levelInfo, name+": logging out…")
			return m.start(name, jobLogout, false, false, false)
		case key.Matches(msg, k.No):
			m.mode, m.confirm = modeNormal, ""
			m.setStatus(name, levelInfo, name+": still signed in")
		case key.Matches(msg, k.Quit):
			return m.quit()
		case key.Matches(msg, k.Help):
			m.openOverlay(overlayHelp)
		}
		return nil

	case modeResignIn:
		return m.onResignInKey(msg)

	case modeMenu:
		return m.onMenuKey(msg)

	case modePassword:
		switch {
		case key.Matches(msg, k.Submit):
			return m.submitPassword()
		case key.Matches(msg, k.Back):
			return m.cancel(m.pwdFor)
		}
		var cmd tea.Cmd
		m.pwd, cmd = m.pwd.Update(msg)
		return cmd

	case modePaste:
		switch {
		case key.Matches(msg, k.Submit):
			return m.submitPaste()
		case key.Matches(msg, k.Back):
			m.closeInput()
			return nil
		}
		var cmd tea.Cmd
		m.paste, cmd = m.paste.Update(msg)
		return cmd
	}

	if m.screen != screenTable {
		switch {
		case key.Matches(msg, k.Quit):
			return m.quit()
		case key.Matches(msg, k.Help):
			m.openOverlay(overlayHelp)
		case key.Matches(msg, k.Edit):
			return m.edit()
		}
		return nil
	}

	if m.onBrokenRow(msg) {
		return nil
	}
	name := m.selectedName()
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.openOverlay(overlayHelp)
	case key.Matches(msg, k.Log):
		m.openOverlay(overlayLog)
	case key.Matches(msg, k.Up):
		m.move(-1)
	case key.Matches(msg, k.Down):
		m.move(1)
	case key.Matches(msg, k.PageUp):
		m.move(-m.tableRows())
	case key.Matches(msg, k.PageDown):
		m.move(m.tableRows())
	case key.Matches(msg, k.Top):
		m.move(-len(m.visible))
	case key.Matches(msg, k.Bottom):
		m.move(len(m.visible))
	case key.Matches(msg, k.Details):
		m.detail = !m.detail
		m.paneOff = 0
	case key.Matches(msg, k.PaneDown):
		m.paneOff = min(m.paneOff+m.tableRows()/2+1, m.paneMax)
	case key.Matches(msg, k.PaneUp):
		m.paneOff = max(m.paneOff-m.tableRows()/2-1, 0)
	case key.Matches(msg, k.Filter):
		m.mode = modeFilter
		return m.filter.Focus()
	case key.Matches(msg, k.Sort):
		m.cycleSort()
	case key.Matches(msg, k.NextAttention):
		m.jumpAttention(1)
	case key.Matches(msg, k.PrevAttention):
		m.jumpAttention(-1)
	case key.Matches(msg, k.Cancel):
		return m.escape(name)
	case key.Matches(msg, k.Reveal):
		if m.revealed == name {
			m.revealed = ""
		} else {
			m.revealed = name
		}
	case key.Matches(msg, k.SignIn):
		return m.signIn(name)
	case key.Matches(msg, k.Paste):
		return m.openPaste(name, "")
	case key.Matches(msg, k.Renew):
		m.setStatus(name, levelInfo, name+": renewing…")
		return m.start(name, jobRenew, false, false, false)
	case key.Matches(msg, k.RenewAll):
		return m.startBatch(jobRenew)
	case key.Matches(msg, k.Copy):
		return m.copySelected(name, false)
	case key.Matches(msg, k.CopyHeader):
		return m.copySelected(name, true)
	case key.Matches(msg, k.CopyMenu):
		m.openMenu(name)
	case key.Matches(msg, k.Edit):
		return m.edit()
	case key.Matches(msg, k.Check):
		m.setStatus(name, levelInfo, name+": checking…")
		return m.start(name, jobCheck, false, false, false)
	case key.Matches(msg, k.CheckAll):
		return m.startBatch(jobCheck)
	case key.Matches(msg, k.Logout):
		m.mode, m.confirm = modeConfirm, name
	default:
		m.explain(msg)
	}
	return nil
}

// onPaste routes a bracketed paste: into the focused field, or into the
// redirect-URL field when the selected connection waits for one.
func (m *Model) onPaste(msg tea.PasteMsg) tea.Cmd {
	var cmd tea.Cmd
	switch m.mode {
	case modeFilter:
		m.filter, cmd = m.filter.Update(msg)
		m.selectionMayChange(m.refilter)
	case modePassword:
		m.pwd, cmd = m.pwd.Update(msg)
	case modePaste:
		m.paste, cmd = m.paste.Update(msg)
	case modeNormal:
		name := m.selectedName()
		if _, p := m.pendingOf(name); isBrowser(p) {
			return m.openPaste(name, msg.Content)
		}
	}
	return cmd
}

// signIn starts the selected connection's sign-in, or brings back the
// password form of one already waiting for it. A connection that holds a
// valid token is asked about first (signin.go).
func (m *Model) signIn(name string) tea.Cmd {
	if j, p := m.pendingOf(name); j != nil {
		if isPassword(p) {
			return m.openPassword(name)
		}
		return nil
	}
	if m.signedIn(name) {
		m.mode, m.confirm = modeResignIn, name
		return nil
	}
	return m.beginSignIn(name)
}

// copySelected copies the selected connection's sign-in URL or device code
// while it signs in, and otherwise a fresh token.
func (m *Model) copySelected(name string, header bool) tea.Cmd {
	if _, p := m.pendingOf(name); p != nil && !header {
		switch p := p.(type) {
		case flows.BrowserSignIn:
			return m.copyCmd(p.URL(), name+" sign-in URL", "")
		case flows.DeviceSignIn:
			return m.copyCmd(p.UserCode(), name+" device code", "")
		}
	}
	m.setStatus(name, levelInfo, name+": fetching a fresh token…")
	return m.start(name, jobCopy, false, false, header)
}

// startBatch queues a renewal (R) or a check (P) of every connection it
// applies to.
func (m *Model) startBatch(kind jobKind) tea.Cmd {
	n := 0
	for _, r := range m.rows {
		ok := r.renewable
		if kind == jobCheck {
			ok = r.st.Token != nil && checkable(r.conn)
		}
		if !ok || m.busy[r.conn.Name] != nil || m.queued[r.conn.Name] {
			continue
		}
		m.enqueue(r.conn.Name, kind, false)
		n++
	}
	m.batch = batchProgress{kind: kind, total: n, active: n > 0}
	verb := "renew"
	if kind == jobCheck {
		verb = "check"
	}
	if n == 0 {
		m.setStatus("", levelInfo, "nothing to "+verb)
		return nil
	}
	m.setStatus("", levelInfo, fmt.Sprintf("%sing %s…", strings.TrimSuffix(verb, "e"), plural(n, "connection")))
	return nil
}

// syncKeys enables exactly the bindings that apply now, so the help bar
// shows only those and a key that does not apply is explained instead.
// An overlay does not count: the full help dims what would not apply
// beneath it.
func (m *Model) syncKeys() {
	k := &m.keys
	table := m.screen == screenTable
	normal := table && m.mode == modeNormal
	r := m.selected()
	name := m.selectedName()
	j := m.busy[name]
	var p flows.Pending
	if j != nil {
		p = j.pending
	}
	idle := r != nil && j == nil
	hasToken := r != nil && r.st.Token != nil

	moving := normal && len(m.visible) > 1
	for _, b := range []*key.Binding{&k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Top, &k.Bottom} {
		b.SetEnabled(moving)
	}
	k.Details.SetEnabled(normal && r != nil)
	k.PaneDown.SetEnabled(normal && m.paneOff < m.paneMax)
	k.PaneUp.SetEnabled(normal && m.paneOff > 0)
	if m.detail {
		k.Details.SetHelp("enter", "hide details")
	} else {
		k.Details.SetHelp("enter", "details")
	}

	k.SignIn.SetEnabled(normal && (idle || isPassword(p)))
	if p != nil {
		k.SignIn.SetHelp("l", "enter password")
	} else {
		k.SignIn.SetHelp("l", "sign in")
	}
	k.Paste.SetEnabled(normal && isBrowser(p))

	k.Renew.SetEnabled(normal && idle && r.renewable)
	k.RenewAll.SetEnabled(normal && m.renewables > 0)

	canToken := idle && (r.renewable || (hasToken && !r.st.NeedsSignIn && r.st.Token.ValidFor(m.clock, 0)))
	switch {
	case normal && isBrowser(p):
		k.Copy.SetEnabled(true)
		k.Copy.SetHelp("c", "copy URL")
	case normal && isDevice(p):
		k.Copy.SetEnabled(true)
		k.Copy.SetHelp("c", "copy code")
	default:
		k.Copy.SetEnabled(normal && canToken)
		k.Copy.SetHelp("c", "copy token")
	}
	k.CopyHeader.SetEnabled(normal && canToken)
	k.CopyMenu.SetEnabled(normal && canToken)
	k.Edit.SetEnabled((normal || !table) && m.configPath() != "")

	k.Check.SetEnabled(normal && idle && hasToken && checkable(r.conn))
	k.CheckAll.SetEnabled(normal && m.checkables > 0)
	k.Logout.SetEnabled(normal && idle && hasToken)
	showing, _ := m.paneFor()
	k.Reveal.SetEnabled(normal && showing == paneDetail && hasToken)
	if m.revealed == name {
		k.Reveal.SetHelp("v", "hide token")
	} else {
		k.Reveal.SetHelp("v", "reveal token")
	}
	// esc does the first of these that applies: see escape.
	switch {
	case showing == paneDetail:
		k.Cancel.SetHelp("esc", "close details")
	case m.filter.Value() != "":
		k.Cancel.SetHelp("esc", "clear filter")
	case j != nil:
		k.Cancel.SetHelp("esc", "cancel "+j.kind.noun())
	}
	k.Cancel.SetEnabled(normal && (showing == paneDetail || m.filter.Value() != "" || j != nil))
	k.Filter.SetEnabled(normal && len(m.rows) > 0)
	k.Sort.SetEnabled(normal && len(m.rows) > 1)
	k.Sort.SetHelp("s", "sort: "+((m.sortBy+1)%numSortKeys).name())
	k.NextAttention.SetEnabled(normal && len(m.visible) > 0)
	k.PrevAttention.SetEnabled(normal && len(m.visible) > 0)
	k.Log.SetEnabled(normal)

	inField := table && (m.mode == modeFilter || m.mode == modePassword || m.mode == modePaste)
	k.Submit.SetEnabled(inField)
	k.Back.SetEnabled(inField)
	switch m.mode {
	case modeFilter:
		k.Submit.SetHelp("enter", "keep filter")
		k.Back.SetHelp("esc", "clear filter")
	case modePassword:
		k.Submit.SetHelp("enter", "sign in")
		k.Back.SetHelp("esc", "cancel sign-in")
	case modePaste:
		k.Submit.SetHelp("enter", "submit URL")
		k.Back.SetHelp("esc", "back")
	}
	asking := table && (m.mode == modeConfirm || m.mode == modeResignIn)
	k.Yes.SetEnabled(asking)
	k.No.SetEnabled(asking)
	m.syncMenuKeys()

	k.Help.SetEnabled(!inField)
	k.Quit.SetEnabled(!inField)
}
