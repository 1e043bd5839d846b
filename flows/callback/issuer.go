package callback

import (
	"fmt"
	"net/url"
	"unicode/utf8"

	"tokentop/flows/redact"
)

// Issuer is what a browser sign-in knows of the authorization server it sent
// the person to, for the mix-up defence of RFC 9207: an authorization
// response names its issuer in the iss parameter, and a response that names
// another one (or none, when the server promises it) is refused before any
// code is exchanged.
type Issuer struct {
	// ID is the issuer identifier the authorization request went to: the
	// connection's issuer, which OpenID Connect discovery confirmed equals
	// the metadata's. Empty means none is known, and then an iss in the
	// response is not checked: RFC 9207 §2.4 compares it with the issuer
	// of the server the request went to, and a client that has none has
	// nothing to compare it with (the provider presets name no issuer).
	ID string
	// Required says the server's metadata has
	// authorization_response_iss_parameter_supported true (RFC 9207 §3): a
	// response without iss is then refused (RFC 9207 §2.4). It needs ID.
	Required bool
}

// IssuerError is why an authorization response was refused under RFC 9207:
// its iss was not the issuer the request went to, or it had none though the
// server's metadata promises one. Both values are the listener's copies,
// made printable and short; neither is a secret.
type IssuerError struct {
	Got     string // the response's iss, empty when Missing
	Want    string // the issuer the authorization request went to
	Missing bool   // the response had no iss
}

func (e *IssuerError) Error() string {
	if e.Missing {
		return fmt.Sprintf("sign-in refused: the authorization response names no issuer, but %q announces the iss parameter (RFC 9207 mix-up defence)", e.Want)
	}
	return fmt.Sprintf("sign-in refused: the authorization response came from issuer %q, not %q (RFC 9207 mix-up defence)", e.Got, e.Want)
}

// maxIssuerShown bounds an issuer quoted in an error: it comes from the
// redirect, which anybody can craft.
const maxIssuerShown = 100

// check applies RFC 9207 §2.4 to one authorization response, success or
// error alike (§2: the parameter is in both): iss must equal ID by simple
// string comparison (RFC 3986 §6.2.1), no normalisation, no trailing-slash
// leniency. vals has single values (parseParams), already form-decoded as
// §2.4 asks. It returns nil when the response may be read on.
func (i Issuer) check(vals url.Values) *IssuerError {
	if i.ID == "" {
		return nil
	}
	got, has := vals["iss"]
	switch {
	case !has && i.Required:
		return &IssuerError{Want: shown(i.ID), Missing: true}
	case !has:
		// RFC 9207 §2.4: a server that does not announce the
		// parameter may not send it; nothing to compare.
		return nil
	case len(got) != 1 || got[0] != i.ID:
		g := ""
		if len(got) > 0 {
			g = got[0]
		}
		return &IssuerError{Got: shown(g), Want: shown(i.ID)}
	}
	return nil
}

// shown makes an issuer safe and short to quote.
func shown(s string) string {
	s = redact.Sanitize(s)
	if utf8.RuneCountInString(s) > maxIssuerShown {
		r := []rune(s)
		s = string(r[:maxIssuerShown]) + "…"
	}
	return s
}
