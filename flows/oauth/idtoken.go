package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"tokentop/flows"
	"tokentop/flows/oidc"
	"tokentop/flows/redact"
)

// errNoIssuer: the connection names no issuer to verify an id_token
// against.
var errNoIssuer = errors.New("no issuer")

// revokeTimeout bounds the best-effort revocation of tokens whose ID token
// was refused.
const revokeTimeout = 10 * time.Second

// checkIDToken verifies the id_token of a token answer, if it has one (OIDC
// Core §3.1.3.7; on a refresh §12.2, where nonce is ""), and keeps its
// claims in tok.Extra under flows.IDClaimPrefix. A connection without an
// issuer has nothing to check iss against: its id_token is dropped with a
// note, never shown. A refused ID token discards the answer: its access and
// refresh tokens are revoked, best effort, where the provider has a
// revocation endpoint, since they were issued to a sign-in tokentop does
// not trust.
//
// A refusal reads "sign-in refused: id_token nonce does not match", or
// "renewal refused: …" when refresh is set.
func (e *endpoint) checkIDToken(ctx context.Context, tok *flows.Token, raw, nonce string, refresh bool) error {
	if raw == "" {
		return nil
	}
	e.red.Add(raw)
	claims, err := e.verifyIDToken(ctx, raw, nonce)
	if err == errNoIssuer {
		tok.Notes = append(tok.Notes, "id_token not verified, not kept: the connection names no issuer")
		return nil
	}
	if err != nil {
		// A refusal quotes the token's header (its kid, its alg): text of
		// the provider, which may be a token of this very answer.
		if oe := (*oidc.Error)(nil); errors.As(err, &oe) {
			oe.Check = e.red.Redact(oe.Check)
		}
		e.revokeRefused(ctx, tok)
		if refresh {
			return fmt.Errorf("renewal refused: %w", err)
		}
		return fmt.Errorf("sign-in refused: %w", err)
	}
	if tok.Extra == nil {
		tok.Extra = map[string]string{}
	}
	// Claims are the provider's text, shown on the detail pane: a provider
	// that quotes a token or the client secret in one must not show it.
	for k, v := range claims {
		tok.Extra[flows.IDClaimPrefix+k] = e.red.Redact(v)
	}
	return nil
}

// idTokenOf returns the id_token member of a successful token answer.
func idTokenOf(resp *response, red *redact.Redactor) (string, error) {
	fields, err := decodeAnswer("token endpoint", "token_url", resp.status, resp.header, resp.body, red)
	if err != nil {
		return "", err
	}
	return stringField(fields, "id_token")
}

// verifyIDToken checks raw against the connection's issuer, client and the
// issuer's JWKS, found by discovery (jwks_uri).
func (e *endpoint) verifyIDToken(ctx context.Context, raw, nonce string) (map[string]string, error) {
	c := e.Connection()
	if c.Issuer == "" {
		return nil, errNoIssuer
	}
	if err := e.discover(ctx); err != nil {
		return nil, fmt.Errorf("id_token cannot be verified: %w", err)
	}
	e.mu.Lock()
	jwks := e.jwksURL
	e.mu.Unlock()
	if jwks == "" {
		return nil, fmt.Errorf("id_token cannot be verified: the issuer's metadata has no jwks_uri")
	}
	secret := ""
	if !c.ClientSecret.IsZero() {
		s, err := c.ClientSecret.Resolve(ctx)
		if err != nil {
			return nil, fmt.Errorf("client_secret: %w", err)
		}
		e.red.Add(s)
		secret = s
	}
	return oidc.Verify(ctx, raw, oidc.Keys(jwks), e.fetchJWKS, oidc.Expect{
		Issuer: c.Issuer, ClientID: c.ClientID, Nonce: nonce, Secret: secret, Now: e.now(),
	})
}

// fetchJWKS reads the issuer's JWKS with the connection's client: its
// deadlines, no redirects, and at most oidc.MaxJWKS of body.
func (e *endpoint) fetchJWKS(ctx context.Context, u string) ([]byte, error) {
	h := http.Header{}
	h.Set("Accept", "application/json")
	resp, err := e.do(ctx, retryIdempotent, &request{what: "jwks_uri", key: "issuer", method: http.MethodGet, url: u, header: h})
	if err != nil {
		return nil, err
	}
	if resp.status != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.status)
	}
	if len(resp.body) > oidc.MaxJWKS {
		return nil, fmt.Errorf("the JWKS is too large")
	}
	return resp.body, nil
}

// revokeRefused revokes, best effort and within revokeTimeout, the tokens
// of an answer that is being discarded; a failure changes nothing, as the
// sign-in fails anyway.
func (e *endpoint) revokeRefused(ctx context.Context, tok *flows.Token) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), revokeTimeout)
	defer cancel()
	if err := e.Revoke(ctx, tok); err != nil {
		e.log.Debug("revoking the tokens of a refused id_token failed", "err", err)
	}
}
