package ui

import (
	"fmt"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"tokentop/flows/redact"
)

// The loop: Init, the heartbeat, and Update dispatching each message to
// its handler (keys in input.go, results in outcomes.go).

// tickMsg is the once-a-second heartbeat. Only the heartbeat of the
// current chain re-arms itself, so a stray or repeated tick cannot start a
// second chain that would wake the program twice as often.
type tickMsg struct{ chain int }

// heartbeat is the chain of tickMsgs Init starts.
const heartbeat = 1

// everySecond arms the next heartbeat, on the wall clock's second.
func everySecond() tea.Cmd {
	return tea.Every(time.Second, func(time.Time) tea.Msg { return tickMsg{heartbeat} })
}

// Init asks for the background colour and, when there are connections,
// reads their states and starts the heartbeat.
func (m *Model) Init() tea.Cmd {
	if m.screen != screenTable {
		return tea.Batch(tea.RequestBackgroundColor, m.watchConfig(), everySecond())
	}
	return tea.Batch(tea.RequestBackgroundColor, m.poll(), everySecond(), m.watchConfig())
}

// poll reads what changed, unless a poll is already running.
func (m *Model) poll() tea.Cmd {
	if m.b == nil {
		return nil
	}
	if m.polling {
		m.pollAgain = true
		return nil
	}
	m.polling = true
	return pollCmd(m.b, m.mark)
}

// spin starts the spinner if it is not turning.
func (m *Model) spin() tea.Cmd {
	if m.spinning {
		return nil
	}
	m.spinning = true
	return m.spinner.Tick
}

// Update handles one message. It does no I/O: the backend is called only
// from the commands it returns.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		// A filter without a width shows one letter of its placeholder.
		m.filter.SetWidth(max(msg.Width-2, 1))
	case tea.BackgroundColorMsg:
		m.setStyles(msg.IsDark())
	case tickMsg:
		cmd = m.onTick(msg)
	case spinner.TickMsg:
		if m.working() == 0 {
			m.spinning = false
			break
		}
		m.spinner, cmd = m.spinner.Update(msg)
	case tea.KeyPressMsg:
		cmd = m.onKey(msg)
	case tea.PasteMsg:
		cmd = m.onPaste(msg)
	case tea.MouseMsg:
		cmd = m.onMouse(msg)

	case configStatMsg:
		cmd = m.onConfigStat(msg)
	case configLoadedMsg:
		cmd = m.onConfigLoaded(msg)

	case changedMsg:
		cmd = m.onChanged(msg)
	case changeFailedMsg:
		m.polling = false
		if e := errText(msg.err); e != m.pollErr {
			m.pollErr = e
			m.setStatus("", levelWarn, "reading saved state: "+e)
		}

	case renewedMsg:
		cmd = m.onRenewed(msg)
	case renewFailedMsg:
		cmd = m.onRenewFailed(msg)
	case checkedMsg:
		cmd = m.onChecked(msg)
	case checkFailedMsg:
		cmd = m.onCheckFailed(msg)
	case tokenMsg:
		cmd = m.onToken(msg)
	case tokenFailedMsg:
		if j, r := m.finish(msg.jobRef); j != nil {
			m.schedule(r)
			m.setStatus(msg.name, levelError, signInHint(msg.err))
		}
	case copiedMsg:
		m.setStatusWarn("", m.copiedText(msg.what, "OSC 52 and system clipboard"), msg.warn)
	case copiedOSC52OnlyMsg:
		m.setStatusWarn("", m.copiedText(msg.what, "OSC 52 only: no system clipboard"), msg.warn)
	case clipClearMsg:
		cmd = m.onClipClear(msg)
	case clipClearedMsg:
		cmd = m.onClipCleared(msg)
	case clipKeptMsg:
		m.onClipKept(msg)
	case clipUnreadableMsg:
		cmd = m.onClipUnreadable(msg)
	case editedMsg:
		cmd = m.onEdited(msg)
	case starterMsg:
		cmd = m.onStarter(msg)
	case loggedOutMsg:
		cmd = m.onLoggedOut(msg)
	case logoutFailedMsg:
		if j, r := m.finish(msg.jobRef); j != nil {
			m.schedule(r)
			m.setStatus(msg.name, levelError, errText(msg.err))
		}

	case loginBegunMsg:
		cmd = m.onLoginBegun(msg)
	case loginDoneMsg:
		m.onLoginDone(msg)
		cmd = m.poll()
	case loginFailedMsg:
		cmd = m.onLoginFailed(msg)
	case browserOpenedMsg:
		if j := m.busy[msg.name]; j != nil && j.id == msg.id {
			j.opened = true
		}
	case browserFailedMsg:
		if j := m.busy[msg.name]; j != nil && j.id == msg.id {
			m.setStatus(msg.name, levelWarn, fmt.Sprintf("%s: could not open a browser (%s); c copies the URL", msg.name, redact.Sanitize(msg.err.Error())))
		}
	case pasteAcceptedMsg:
		if j := m.busy[msg.name]; j != nil && j.id == msg.id {
			j.pasteErr, j.sent = "", true
			m.setStatus(msg.name, levelInfo, msg.name+": redirect URL accepted, signing in…")
			cmd = m.spin()
		}
	case pasteRefusedMsg:
		if j := m.busy[msg.name]; j != nil && j.id == msg.id {
			j.pasteErr = redact.Sanitize(msg.err.Error())
			m.setStatus(msg.name, levelError, msg.name+": "+j.pasteErr+" — the sign-in goes on; i pastes again")
		}
	case passwordRefusedMsg:
		cmd = m.onPasswordRefused(msg)
	}
	if m.stale {
		m.reassess()
		m.reorder()
		cmd = tea.Batch(cmd, m.noticeNeeds())
	}
	m.fixScroll()
	m.expireStatus()
	m.overlayOff = min(m.overlayOff, m.overlayMax())
	m.syncKeys()
	if m.quitting {
		return m, cmd
	}
	return m, tea.Batch(cmd, m.drain())
}

// onTick advances the clock, polls for changes and starts due renewals.
func (m *Model) onTick(msg tickMsg) tea.Cmd {
	m.clock = m.now()
	m.stale = true
	m.takeDue(m.clock)
	if msg.chain != heartbeat {
		return tea.Batch(m.poll(), m.watchConfig())
	}
	return tea.Batch(everySecond(), m.poll(), m.watchConfig())
}

// quit cancels everything running, closes sign-in listeners, and quits.
func (m *Model) quit() tea.Cmd {
	m.quitting = true
	var cancels []tea.Cmd
	for name, j := range m.busy {
		j.cancel()
		cancels = append(cancels, cancelPendingCmd(j.pending))
		delete(m.busy, name)
	}
	m.queue, m.checkQueue = nil, nil
	m.stop()
	return tea.Sequence(tea.Batch(cancels...), tea.Quit)
}
