package ui

import (
	"errors"
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"tokentop/flows"
	"tokentop/flows/fault"
)

// A pending sign-in's kind is its type: what it needs from the person.

// isBrowser reports whether p waits for a browser (nil: no sign-in).
func isBrowser(p flows.Pending) bool { _, ok := p.(flows.BrowserSignIn); return ok }

// isPassword reports whether p waits for a password.
func isPassword(p flows.Pending) bool { _, ok := p.(flows.PasswordSignIn); return ok }

// isDevice reports whether p waits for a code entered on another device.
func isDevice(p flows.Pending) bool { _, ok := p.(flows.DeviceSignIn); return ok }

// needsPerson reports whether p needs anything from the person: a sign-in
// that needs nobody shows no sign-in pane.
func needsPerson(p flows.Pending) bool { return isBrowser(p) || isPassword(p) || isDevice(p) }

// signedIn reports whether a connection holds a token that is valid now
// and needs no sign-in: l asks before replacing it.
func (m *Model) signedIn(name string) bool {
	r := m.byName[name]
	return r != nil && !r.st.NeedsSignIn && !r.signInRequired && r.st.Token.ValidFor(m.clock, 0)
}

// beginSignIn starts a connection's sign-in.
func (m *Model) beginSignIn(name string) tea.Cmd {
	m.setStatus(name, levelInfo, name+": starting sign-in…")
	return m.start(name, jobLogin, false, false, false)
}

// resignInQuestion is what l asks of a connection that is signed in.
func resignInQuestion(name string) string {
	return name + " is signed in; sign in again? (y/n)"
}

// onResignInKey answers "sign in again?".
func (m *Model) onResignInKey(msg tea.KeyPressMsg) tea.Cmd {
	name := m.confirm
	switch {
	case key.Matches(msg, m.keys.Yes):
		m.mode, m.confirm = modeNormal, ""
		if j := m.busy[name]; j != nil {
			m.setStatus(name, levelWarn, fmt.Sprintf("%s: busy %s try again when it is done, or esc to cancel it", name, j.kind.doing()))
			return nil
		}
		return m.beginSignIn(name)
	case key.Matches(msg, m.keys.No):
		m.mode, m.confirm = modeNormal, ""
		m.setStatus(name, levelInfo, name+": still signed in")
	}
	return nil
}

// A refused password does not end the person's sign-in: the form opens
// again with the provider's words under it. flows lets a password sign-in
// take one password, and its Wait ends when the provider refuses it; the
// dashboard then starts a new sign-in in its place, which the person sees
// only as the form coming back.

// refused reports whether err is the provider refusing a password that was
// sent (an OAuth error answer, RFC 6749 §5.2), rather than the sign-in
// failing on the way.
func refused(j *job, err error) bool {
	var pe *fault.ProviderError
	return j.kind == jobLogin && isPassword(j.pending) && j.sent && errors.As(err, &pe)
}

// retryPassword starts a new password sign-in after a refusal; the form
// opens again with why once it has begun.
func (m *Model) retryPassword(name string, err error) tea.Cmd {
	why := errText(err)
	cmd := m.start(name, jobLogin, false, false, false)
	if j := m.busy[name]; j != nil {
		j.pwdErr = why
	}
	m.setStatus(name, levelError, why+" — type the password again")
	return cmd
}

// onPasswordRefused keeps the sign-in of a password the sign-in itself
// would not take, and opens the form again with why.
func (m *Model) onPasswordRefused(msg passwordRefusedMsg) tea.Cmd {
	j := m.busy[msg.name]
	if j == nil || j.id != msg.id {
		return nil
	}
	j.sent = false
	j.pwdErr = errText(msg.err)
	m.setStatus(msg.name, levelError, j.pwdErr+" — type the password again")
	if m.mode == modeNormal {
		return m.openPassword(msg.name)
	}
	return nil
}
