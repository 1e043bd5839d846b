package oauth

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"tokentop/flows"
	"tokentop/flows/fault"
	"tokentop/flows/redact"
)

// Check is the health Check: GET check_url with the access token as a
// bearer (RFC 6750 §2.1). It returns an error only when no answer came (the
// Check says why too), or, with the Check, an error matching
// ErrInvalidToken when the server refused the token with 401 (RFC 6750
// §3.1): the caller renews once and checks once more. A 403
// insufficient_scope is a failed Check with no error: renewal would not
// help. A redirect is not followed, so the bearer never goes elsewhere.
// Retried like other idempotent calls on no answer, 5xx and 429. With
// check = "introspect" the check is an RFC 7662 introspection instead
// (introspect.go).
func (e *endpoint) Check(ctx context.Context, tok *flows.Token) (*flows.Check, error) {
	if tok == nil || tok.AccessToken == "" {
		return nil, fmt.Errorf("no access token: %w", flows.ErrSignInRequired)
	}
	if err := e.Discover(ctx); err != nil {
		return nil, err
	}
	e.red.Add(tok.AccessToken)
	c := e.Connection()
	if c.CheckMethod == CheckIntrospect {
		return e.introspect(ctx, tok)
	}
	// Aha!: a sign-in that started at secure.aha.io named the account; the
	// API lives on that subdomain (seeds/001), not the configured one.
	checkURL := c.CheckURL
	if as := tok.Extra["account_subdomain"]; as != "" && flows.CheckSubdomain(as) == nil {
		checkURL = strings.ReplaceAll(checkURL, "{subdomain}", as)
	}
	u, err := e.expand("check_url", checkURL)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+tok.AccessToken)
	h.Set("Accept", "application/json")
	at := e.now()
	resp, err := e.do(ctx, retryIdempotent, &request{what: "check_url", key: "check_url", method: http.MethodGet, url: u, header: h})
	if err != nil {
		return &flows.Check{At: at, Err: redact.Clean(e.red, err.Error(), redact.MaxLine)}, err
	}
	ck := &flows.Check{At: resp.sentAt, Status: resp.status, Latency: resp.latency}
	switch s := resp.status; {
	case s >= 200 && s <= 299:
		return ck, nil
	case s >= 300 && s <= 399:
		ck.Err = fmt.Sprintf("check_url redirected to another location (HTTP %d): not followed, the token was not sent there", s)
		return ck, nil
	case s == http.StatusUnauthorized:
		pe := challengeError(s, resp.header, e.red)
		if pe == nil || pe.Code == "" {
			pe = &fault.ProviderError{Status: s, Code: "invalid_token", Description: "the token was refused"}
		}
		if pe.Code != "invalid_token" {
			ck.Err = pe.Error()
			return ck, nil
		}
		pe.Hint = hints["invalid_token"]
		ck.Err = pe.Error()
		return ck, pe
	case s == http.StatusForbidden:
		if pe := challengeError(s, resp.header, e.red); pe != nil && pe.Code == "insufficient_scope" {
			ck.Err = pe.Error() + ": " + pe.Hint
			return ck, nil
		}
		ck.Err = "HTTP 403: access refused"
		return ck, nil
	}
	ck.Err = fmt.Sprintf("HTTP %d", resp.status)
	return ck, nil
}
