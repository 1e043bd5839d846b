package fault

import (
	"errors"
	"strconv"
	"strings"
)

// ErrInvalidToken matches (with errors.Is) the error of a health check whose
// access token the resource server refused with HTTP 401 (RFC 6750 §3.1
// invalid_token): the caller renews the token once and checks once more.
var ErrInvalidToken = errors.New("invalid_token")

// ProviderError is an error answer of a provider: the OAuth error response of
// RFC 6749 §5.2 (also sent with status 200 by some servers), the
// WWW-Authenticate challenge of RFC 6750 §3, an RFC 8628 §3.5 polling error,
// or a JSON:API error object (Amino). Code and Description are already safe
// to print: known secrets are redacted, control characters removed, one line.
// Read it with errors.As.
type ProviderError struct {
	Status      int    // HTTP status; 0 when the error came without one (an implicit-grant redirect)
	Code        string // "invalid_grant", "invalid_client", …; empty when the provider gave none
	Description string // the provider's error_description, cleaned
	Hint        string // what the person should check, chosen by tokentop from Code
}

// Error returns "code: description", and the HTTP status only when there is
// no code to say what went wrong.
func (e *ProviderError) Error() string {
	var b strings.Builder
	b.WriteString(e.Code)
	if e.Description != "" && e.Description != e.Code {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Description)
	}
	if e.Code == "" {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString("(HTTP " + strconv.Itoa(e.Status) + ")")
	}
	return b.String()
}

// Is makes a refused access token (invalid_token, RFC 6750 §3.1) match
// ErrInvalidToken.
func (e *ProviderError) Is(target error) bool {
	return target == ErrInvalidToken && e.Code == "invalid_token"
}

// IsInvalidGrant reports whether err is the provider refusing the grant
// itself (RFC 6749 §5.2 invalid_grant: the refresh token or code is expired,
// revoked or was issued to another client). No retry can fix it; only a
// person signing in again can.
func IsInvalidGrant(err error) bool {
	var pe *ProviderError
	return errors.As(err, &pe) && pe.Code == "invalid_grant"
}
