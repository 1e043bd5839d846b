package oauth

import (
	"tokentop/flows/fault"
	"tokentop/flows/redact"
)

// hints says what to check for each error code of RFC 6749 §5.2, RFC 6750
// §3.1, RFC 8628 §3.5 and RFC 8707 §2.
var hints = map[string]string{
	"invalid_client":          "check client_id, client_secret and client_auth",
	"invalid_grant":           "sign in again",
	"unauthorized_client":     "the client may not use this flow: check flow and the app's settings at the provider",
	"unsupported_grant_type":  "the server does not offer this flow: check flow and token_url",
	"invalid_scope":           "check scopes",
	"invalid_target":          "check resource (RFC 8707)",
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
func newProviderError(status int, code, desc string, red *redact.Redactor) *fault.ProviderError {
	code = redact.Clean(red, code, 64)
	desc = redact.Clean(red, desc, redact.MaxLine)
	return &fault.ProviderError{Status: status, Code: code, Description: desc, Hint: hints[code]}
}
