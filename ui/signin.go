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
