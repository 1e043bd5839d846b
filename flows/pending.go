package flows

import "context"

// LoginKind says what a sign-in needs from the person in front of it.
type LoginKind int

// The kinds of sign-in.
const (
	// LoginDirect needs nobody: client credentials, an API key, a
	// configured password. Wait does all the work.
	LoginDirect LoginKind = iota
	// LoginBrowser needs a browser to visit URL; the redirect comes back to
	// a loopback listener, or the person pastes the redirect URL.
	LoginBrowser
	// LoginPassword needs the password of Username.
	LoginPassword
	// LoginDevice needs the person to enter UserCode at URL (RFC 8628).
	LoginDevice
)

// Pending is a sign-in in progress, started by Service.BeginLogin. The
// command line and the dashboard present it their own way, then call Wait.
// Cancel (or ctx ending) stops it and closes any listener; it is safe to call
// more than once and after Wait returned.
type Pending interface {
	Kind() LoginKind
	// URL is the authorize URL (LoginBrowser) or the verification URL
	// (LoginDevice, complete with the code when the server gave one).
	URL() string
	// UserCode is the code to type at URL (LoginDevice).
	UserCode() string
	// Username is the account to sign in as (LoginPassword).
	Username() string
	// Paste hands over a redirect URL copied from the browser's address bar
	// (LoginBrowser). A URL that does not belong to this sign-in is refused
	// with an error and the sign-in goes on waiting.
	Paste(rawURL string) error
	// SubmitPassword hands over the password (LoginPassword). It is used
	// once and not kept.
	SubmitPassword(password string) error
	// Wait blocks until the sign-in ends, saves the token and returns it.
	Wait(ctx context.Context) (*Token, error)
	Cancel()
}
