package ui

import "tokentop/flows"

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

// waitsForPerson reports whether j is a sign-in waiting for the person (a
// browser, a password, a code typed elsewhere) rather than network work:
// its row shows no spinner and it is not counted busy.
func waitsForPerson(j *job) bool { return j.kind == jobLogin && needsPerson(j.pending) }

// jobCell is what a busy row's RENEWAL cell says of its job.
func jobCell(j *job) string {
	if waitsForPerson(j) {
		return "waiting for you"
	}
	return j.kind.doing()
}

// busyCount is how many connections have network work running, for the
// top bar: a sign-in that waits for the person is not busy.
func (m *Model) busyCount() int {
	n := 0
	for _, j := range m.busy {
		if !waitsForPerson(j) {
			n++
		}
	}
	return n
}
