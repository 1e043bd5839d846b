package flows

import (
	"context"
	"log/slog"
	"net/url"
	"time"

	"tokentop/flows/redact"
)

// Client talks to the provider of one connection: its token, revocation,
// device-authorization and check URLs. Package flows/oauth implements it;
// the Service asks Options.NewClient for one per connection.
type Client interface {
	// Connection returns the connection as the client sees it: after
	// Discover, with the URLs an issuer's metadata filled in.
	Connection() *Connection
	// Discover reads the issuer's metadata when the connection names one.
	Discover(ctx context.Context) error
	ClientCredentials(ctx context.Context) (*Token, error)
	Password(ctx context.Context, username, password string) (*Token, error)
	// Refresh sends the refresh token; an answer without one keeps it.
	Refresh(ctx context.Context, refreshToken string) (*Token, error)
	// AuthorizeURL builds the authorization request a browser visits; a
	// non-empty nonce is sent (OIDC Core §3.1.2.1) and ExchangeCode and
	// ImplicitToken then require it in the ID token.
	AuthorizeURL(authURL, responseType, redirectURI, state, verifier, nonce string) string
	ExchangeCode(ctx context.Context, tokenURL, code, redirectURI, verifier, nonce string) (*Token, error)
	// ImplicitToken reads the token an implicit-grant redirect carries.
	ImplicitToken(ctx context.Context, v url.Values, nonce string) (*Token, error)
	DeviceAuth(ctx context.Context) (*DeviceAuth, error)
	DevicePoll(ctx context.Context, da *DeviceAuth) (*Token, error)
	// TokenExchange runs the RFC 8693 grant with a subject read afresh.
	TokenExchange(ctx context.Context) (*Token, error)
	Revoke(ctx context.Context, tok *Token) error
	// Check runs the health check with tok as the bearer.
	Check(ctx context.Context, tok *Token) (*Check, error)
	// ListenRedirect starts the loopback listener of a browser sign-in at
	// the connection's redirect_uri, expecting state; fragment says the
	// answer comes in the URL fragment (the implicit grant). A refusal
	// (error=access_denied) ends its Wait with ErrAccessDenied.
	ListenRedirect(state string, fragment bool) (Redirect, error)
}

// Redirect is a loopback listener waiting for the browser to come back from
// a sign-in (RFC 8252 §7.3); package flows/callback provides it.
type Redirect interface {
	// RedirectURI is the redirect_uri to send, with the port chosen.
	RedirectURI() string
	// Wait returns the redirect's parameters once one is accepted.
	Wait(ctx context.Context) (url.Values, error)
	// Paste takes a redirect URL that a person copied from a browser on
	// another machine.
	Paste(raw string) error
	Close() error
}

// ClientOptions are what a Client gets from the Service.
type ClientOptions struct {
	// Now is the clock.
	Now func() time.Time
	// Logger receives debug records, already through Redactor.
	Logger *slog.Logger
	// Redactor learns every secret the client handles.
	Redactor *redact.Redactor
	// Timeout bounds each request.
	Timeout time.Duration
	// Subject is Service.Token, for a subject_connection (minValid 0).
	Subject func(ctx context.Context, name string) (*Token, error)
}

// NewClientFunc makes the Client of one connection (oauth.New).
type NewClientFunc func(c *Connection, o ClientOptions) (Client, error)

// DeviceAuth is a device authorization in progress (RFC 8628 §3.2): the
// person enters UserCode at VerificationURI while tokentop polls.
type DeviceAuth struct {
	DeviceCode              string
	UserCode                string
	VerificationURI         string
	VerificationURIComplete string // with the code in it; may be ""
	ExpiresAt               time.Time
	Interval                time.Duration // between polls (RFC 8628 §3.5)
}
