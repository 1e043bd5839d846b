package ui

import (
	"context"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"tokentop/flows"
	"tokentop/flows/redact"
)

// A sign-in runs in the background while the table stays live:
// BeginLogin, then whatever the Pending asks of the person (a browser, a
// password, a device code), then Wait. Several can run at once, one per
// connection; esc cancels the selected one.

// loginBegunMsg carries a sign-in that has started.
type loginBegunMsg struct {
	jobRef
	p flows.Pending
}

// loginFailedMsg reports a sign-in that could not start or did not end
// with a token.
type loginFailedMsg struct {
	jobRef
	err error
}

// beginLoginCmd starts a connection's sign-in.
func beginLoginCmd(b Backend, ctx context.Context, ref jobRef) tea.Cmd {
	return func() tea.Msg {
		p, err := b.BeginLogin(ctx, ref.name)
		if err != nil {
			return loginFailedMsg{ref, err}
		}
		return loginBegunMsg{ref, p}
	}
}

// loginDoneMsg carries the token a sign-in ended with.
type loginDoneMsg struct {
	jobRef
	tok  *flows.Token
	warn error
}

// waitCmd waits for a sign-in to end.
func waitCmd(ctx context.Context, ref jobRef, p flows.Pending) tea.Cmd {
	return func() tea.Msg {
		tok, err := p.Wait(ctx)
		tok, warn, err := withToken(ref.name, tok, err)
		if err != nil {
			return loginFailedMsg{ref, err}
		}
		return loginDoneMsg{ref, tok, warn}
	}
}

// cancelPendingCmd stops a sign-in and closes its listener. It runs as a
// command because closing a listener is I/O.
func cancelPendingCmd(p flows.Pending) tea.Cmd {
	if p == nil {
		return nil
	}
	return func() tea.Msg {
		p.Cancel()
		return nil
	}
}

// browserOpenedMsg reports that the browser was opened on a sign-in URL.
type browserOpenedMsg struct{ jobRef }

// browserFailedMsg reports that no browser could be opened: the person
// copies the URL instead.
type browserFailedMsg struct {
	jobRef
	err error
}

// openURLCmd opens the sign-in URL in the browser.
func openURLCmd(open func(string) error, ref jobRef, url string) tea.Cmd {
	return func() tea.Msg {
		if err := open(url); err != nil {
			return browserFailedMsg{ref, err}
		}
		return browserOpenedMsg{ref}
	}
}

// pasteAcceptedMsg reports that a pasted redirect URL was taken.
type pasteAcceptedMsg struct{ jobRef }

// pasteRefusedMsg reports a pasted redirect URL that does not belong to the
// sign-in; the sign-in goes on waiting.
type pasteRefusedMsg struct {
	jobRef
	err error
}

// pasteCmd hands a redirect URL to a browser sign-in.
func pasteCmd(ref jobRef, p flows.BrowserSignIn, url string) tea.Cmd {
	return func() tea.Msg {
		if err := p.Paste(url); err != nil {
			return pasteRefusedMsg{ref, err}
		}
		return pasteAcceptedMsg{ref}
	}
}

// passwordRefusedMsg reports a password the sign-in would not take.
type passwordRefusedMsg struct {
	jobRef
	err error
}

// submitPasswordCmd hands the password to a password sign-in. The password
// lives only in this closure; the model has already dropped it.
func submitPasswordCmd(ref jobRef, p flows.PasswordSignIn, password string) tea.Cmd {
	return func() tea.Msg {
		if err := p.SubmitPassword(password); err != nil {
			return passwordRefusedMsg{ref, err}
		}
		return nil
	}
}

// onLoginBegun presents a started sign-in as its kind asks, and waits for
// it in the background.
func (m *Model) onLoginBegun(msg loginBegunMsg) tea.Cmd {
	j := m.busy[msg.name]
	if j == nil || j.id != msg.id {
		return cancelPendingCmd(msg.p) // cancelled while starting
	}
	j.pending = msg.p
	cmds := []tea.Cmd{waitCmd(j.ctx, msg.jobRef, msg.p)}
	switch p := msg.p.(type) {
	case flows.BrowserSignIn:
		cmds = append(cmds, openURLCmd(m.openURL, msg.jobRef, p.URL()))
		m.setStatus(msg.name, levelInfo, fmt.Sprintf("%s: sign in in the browser; c copies the URL, i pastes the redirect URL", msg.name))
	case flows.PasswordSignIn:
		if m.mode == modeNormal && m.overlay == overlayNone {
			cmds = append(cmds, m.openPassword(msg.name))
		} else {
			m.setStatus(msg.name, levelWarn, fmt.Sprintf("%s: password needed — select it and press l", msg.name))
		}
	case flows.DeviceSignIn:
		// The code goes to the clipboard at once, ready to paste on the
		// verification page, which opens too; the pane keeps showing both.
		m.setStatus(msg.name, levelInfo, fmt.Sprintf("%s: enter code %s at %s (c copies the code)",
			msg.name, redact.Sanitize(p.UserCode()), redact.Sanitize(p.URL())))
		cmds = append(cmds, m.copyCmd(p.UserCode(), msg.name+" device code", ""),
			openURLCmd(m.openURL, msg.jobRef, p.URL()))
	default:
		m.setStatus(msg.name, levelInfo, msg.name+": signing in…")
	}
	return tea.Batch(cmds...)
}

// onLoginDone records a finished sign-in.
func (m *Model) onLoginDone(msg loginDoneMsg) {
	if _, r := m.finish(msg.jobRef); r != nil {
		m.updateRow(r, func(st *flows.State) {
			st.Token = msg.tok
			st.NeedsSignIn = false
			st.LastError = ""
		})
		r.signInRequired = false
		m.schedule(r)
		text := msg.name + ": signed in"
		if msg.tok.HasExpiry() {
			text += ", token valid for " + flows.Countdown(msg.tok.Expiry.Sub(m.clock))
		}
		m.setStatusWarn(msg.name, text, warnText(msg.warn))
	}
}

// onLoginFailed reports a sign-in that ended without a token, or starts
// it again when the provider refused the password.
func (m *Model) onLoginFailed(msg loginFailedMsg) tea.Cmd {
	j, r := m.finish(msg.jobRef)
	if r == nil {
		return nil
	}
	if refused(j, msg.err) {
		return m.retryPassword(msg.name, msg.err)
	}
	m.schedule(r)
	m.setStatus(msg.name, levelError, msg.err.Error())
	return nil
}

// openPassword shows the password form of a connection's sign-in.
func (m *Model) openPassword(name string) tea.Cmd {
	m.mode = modePassword
	m.pwdFor = name
	m.pwd.Reset()
	return m.pwd.Focus()
}

// openPaste shows the redirect-URL field of a connection's browser sign-in.
func (m *Model) openPaste(name, value string) tea.Cmd {
	m.mode = modePaste
	m.pasteFor = name
	m.paste.SetValue(value)
	return m.paste.Focus()
}

// closeInput leaves the password form or the paste field, forgetting what
// was typed.
func (m *Model) closeInput() {
	m.pwd.Reset()
	m.pwd.Blur()
	m.paste.Reset()
	m.paste.Blur()
	m.pwdFor, m.pasteFor = "", ""
	if m.mode == modePassword || m.mode == modePaste {
		m.mode = modeNormal
	}
}

// submitPassword sends the typed password and drops it from the model.
func (m *Model) submitPassword() tea.Cmd {
	name := m.pwdFor
	password := m.pwd.Value()
	m.closeInput()
	j := m.busy[name]
	if j == nil {
		return nil
	}
	p, ok := j.pending.(flows.PasswordSignIn)
	if !ok {
		return nil
	}
	j.sent, j.pwdErr = true, ""
	m.setStatus(name, levelInfo, name+": signing in…")
	return tea.Batch(submitPasswordCmd(jobRef{name, j.id}, p, password), m.spin())
}

// submitPaste sends the pasted redirect URL.
func (m *Model) submitPaste() tea.Cmd {
	name := m.pasteFor
	url := m.paste.Value()
	m.closeInput()
	j := m.busy[name]
	if j == nil || url == "" {
		return nil
	}
	p, ok := j.pending.(flows.BrowserSignIn)
	if !ok {
		return nil
	}
	return pasteCmd(jobRef{name, j.id}, p, url)
}

// pendingOf returns the selected connection's sign-in, if one is waiting
// for the person.
func (m *Model) pendingOf(name string) (*job, flows.Pending) {
	j := m.busy[name]
	if j == nil || j.pending == nil {
		return nil, nil
	}
	return j, j.pending
}
