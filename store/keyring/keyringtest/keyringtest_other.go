//go:build !linux

package keyringtest

import "testing"

// InSession: see the Linux build.
const InSession = "TOKENTOP_KEYRING_SESSION"

// Session skips t: the private Secret Service is gnome-keyring on D-Bus,
// which the tests run on Linux alone.
func Session(t *testing.T) bool {
	t.Skip("the Secret Service tests run on Linux")
	return false
}
