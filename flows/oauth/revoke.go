package oauth

import (
	"context"
	"fmt"
	"net/url"
	"tokentop/flows"
)

// Revoke asks the provider to forget a token (RFC 7009 §2.1): the refresh
// token first, which revokes the whole grant and with it the access token
// (§2.1: servers "SHOULD" do so), then the access token, for servers that
// keep them apart. A connection without revoke_url (Amino says there is
// nothing to Revoke; Aha! and Aerion name no endpoint) returns nil: logging
// out there means deleting the stored tokens, which the caller does anyway.
// Both tokens are attempted even if the first fails; both errors are kept.
func (e *endpoint) Revoke(ctx context.Context, tok *flows.Token) error {
	c := e.Connection()
	if c.RevokeURL == "" && c.Provider == flows.OAuth2 && c.Issuer != "" {
		if err := e.discover(ctx); err != nil {
			return err
		}
		c = e.Connection()
	}
	if c.RevokeURL == "" || tok == nil {
		return nil
	}
	var errs []error
	for _, t := range []struct{ value, hint string }{
		{tok.RefreshToken, "refresh_token"},
		{tok.AccessToken, "access_token"},
	} {
		if t.value == "" {
			continue
		}
		if err := e.revokeOne(ctx, c.RevokeURL, t.value, t.hint); err != nil {
			errs = append(errs, fmt.Errorf("revoking the %s: %w", t.hint, err))
		}
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	// One line, not errors.Join's two.
	return fmt.Errorf("%w; %w", errs[0], errs[1])
}

func (e *endpoint) revokeOne(ctx context.Context, revokeURL, token, hint string) error {
	e.red.Add(token)
	form := url.Values{"token": {token}, "token_type_hint": {hint}}
	// RFC 7009 §2.1: the client authenticates as at the token endpoint.
	r, err := e.formRequest(ctx, "revocation endpoint", "revoke_url", revokeURL, form, false)
	if err != nil {
		return err
	}
	resp, err := e.do(ctx, noRetry, r)
	if err != nil {
		return err
	}
	// RFC 7009 §2.2: 200 also for a token that was already invalid.
	if resp.status >= 200 && resp.status <= 299 {
		return nil
	}
	f, err := decodeAnswer("revocation endpoint", "revoke_url", resp.status, resp.header, resp.body, e.red)
	if err != nil {
		return err
	}
	if pe := oauthError(resp.status, f, e.red); pe != nil {
		// §2.2.1: the server does not revoke access tokens; the refresh
		// token's revocation, if any, covered the grant.
		if pe.Code == "unsupported_token_type" && hint == "access_token" {
			return nil
		}
		return pe
	}
	return fmt.Errorf("revocation endpoint answered HTTP %d%s", resp.status, excerpt(e.red, resp.body))
}
