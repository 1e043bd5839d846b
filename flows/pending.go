package flows

import "context"

// Pending is a sign-in in progress, started by Service.BeginLogin. What it
// needs from the person depends on its kind, which the command line and the
// dashboard tell with a type switch: BrowserSignIn, PasswordSignIn or
// DeviceSignIn; any other Pending needs nobody (client credentials, an API
// key, a configured password) and Wait does all the work. Cancel (or ctx
// ending) stops it and closes any listener; it is safe to call more than
// once and after Wait returned.
type Pending interface {
	// Wait blocks until the sign-in ends, saves the token and returns it.
	Wait(ctx context.Context) (*Token, error)
	Cancel()
}

// BrowserSignIn needs a browser to visit URL; the redirect comes back to a
// loopback listener, or the person pastes the URL the browser ended on.
type BrowserSignIn interface {
	Pending
	// URL is the authorize URL.
	URL() string
	// Paste hands over a redirect URL copied from the browser's address bar.
	// A URL that does not belong to this sign-in is refused with an error
	// and the sign-in goes on waiting.
	Paste(rawURL string) error
}

// PasswordSignIn needs the password of Username.
type PasswordSignIn interface {
	Pending
	Username() string
	// SubmitPassword hands over the password. It is used once and not kept.
	SubmitPassword(password string) error
}

// DeviceSignIn needs the person to enter UserCode at URL (RFC 8628).
type DeviceSignIn interface {
	Pending
	// URL is the verification URL, complete with the code when the server
	// gave one.
	URL() string
	UserCode() string
}

var (
	_ BrowserSignIn  = (*browserLogin)(nil)
	_ PasswordSignIn = (*passwordLogin)(nil)
	_ DeviceSignIn   = (*deviceLogin)(nil)
)
