package flows

import (
	"errors"
	"strconv"
	"strings"
	"tokentop/flows/redact"
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

// hints says what to check for each error code of RFC 6749 §5.2, RFC 6750
// §3.1 and RFC 8628 §3.5.
var hints = map[string]string{
	"invalid_client":          "check client_id, client_secret and client_auth",
	"invalid_grant":           "sign in again",
	"unauthorized_client":     "the client may not use this flow: check flow and the app's settings at the provider",
	"unsupported_grant_type":  "the server does not offer this flow: check flow and token_url",
	"invalid_scope":           "check scopes",
	"invalid_request":         "check token_url, params and the app's settings at the provider",
	"access_denied":           "the sign-in was refused: sign in again and allow access",
	"expired_token":           "the code expired before it was entered: sign in again",
	"server_error":            "the provider failed: try again later",
	"temporarily_unavailable": "the provider is busy: try again later",
	"invalid_token":           "the token was refused: renew it or sign in again",
	"insufficient_scope":      "the token lacks a scope this URL needs: check scopes and check_url",
	"unsupported_token_type":  "the server cannot revoke this kind of token",
}

// newProviderError builds a ProviderError from raw provider text, cleaning
// code and description (redacted, then Sanitize: an escape sequence in a
// description must never reach the terminal).
func newProviderError(status int, code, desc string, red *redact.Redactor) *ProviderError {
	code = redact.Clean(red, code, 64)
	desc = redact.Clean(red, desc, redact.MaxLine)
	return &ProviderError{Status: status, Code: code, Description: desc, Hint: hints[code]}
}
