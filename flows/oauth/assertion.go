package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"tokentop/flows"
	"tokentop/flows/oauth/clientauth"
)

// jwtAuth reports whether the connection authenticates its client with a
// JWT assertion (RFC 7523 §2.2) instead of sending a secret.
func jwtAuth(c *flows.Connection) bool {
	m := clientAuthOf(c)
	return m == flows.ClientAuthPrivateKeyJWT || m == flows.ClientAuthClientSecretJWT
}

// addAssertion authenticates the client on a request to the endpoint at
// key (already expanded to u) with client_id, client_assertion_type and a
// client_assertion (RFC 7523 §2.2), and no secret, Basic header or other
// method alongside (RFC 6749 §2.3). It returns sign, which puts a fresh
// assertion in form: every attempt of a retried call sends its own, so no
// jti is ever sent twice (RFC 7523 §3, item 7).
//
// The audience is the token endpoint URL on every request, revocation and
// device authorization included: RFC 7523 §3 says "the token endpoint URL
// of the authorization server MAY be used as a value for an aud element",
// and servers that check aud (fosite, Keycloak) compare it with their token
// endpoint whatever the endpoint receiving the assertion.
func (e *endpoint) addAssertion(ctx context.Context, key, u string, form url.Values) (sign func() error, err error) {
	aud := u
	if key != "token_url" {
		if aud, err = e.tokenEndpoint(ctx); err != nil {
			return nil, err
		}
	}
	s, err := e.assertionSigner(ctx)
	if err != nil {
		return nil, err
	}
	c := e.Connection()
	sign = func() error {
		a, err := s.Assertion(aud, e.now())
		if err != nil {
			return err
		}
		// The signature is what makes the assertion a credential: hidden,
		// the rest cannot be replayed.
		e.red.Add(a[strings.LastIndexByte(a, '.')+1:])
		form.Set("client_id", c.ClientID)
		form.Set("client_assertion_type", clientauth.AssertionType)
		form.Set("client_assertion", a)
		return nil
	}
	return sign, sign()
}

// tokenEndpoint is the expanded token endpoint URL, after discovery when the
// connection names only an issuer.
func (e *endpoint) tokenEndpoint(ctx context.Context) (string, error) {
	if err := e.Discover(ctx); err != nil {
		return "", err
	}
	c := e.Connection()
	if c.TokenURL == "" {
		return "", errors.New("client assertion: no token_url to name as its audience")
	}
	return e.expand("token_url", c.TokenURL)
}

// assertionSigner resolves the connection's key or secret now, when a
// request needs it, as addClientAuth resolves the secret. The key is parsed
// on every request, so a rotated key file is used at once.
func (e *endpoint) assertionSigner(ctx context.Context) (*clientauth.Signer, error) {
	c := e.Connection()
	if clientAuthOf(c) == flows.ClientAuthClientSecretJWT {
		s, err := c.ClientSecret.Resolve(ctx)
		if err != nil {
			return nil, fmt.Errorf("client_secret: %w", err)
		}
		e.red.Add(s)
		return clientauth.WithSecret(c.ClientID, s)
	}
	if c.PrivateKey.IsZero() {
		return nil, errors.New("private_key_jwt needs private_key")
	}
	pem, err := c.PrivateKey.Resolve(ctx)
	if err != nil {
		return nil, fmt.Errorf("private_key: %w", err)
	}
	k, err := clientauth.ParsePrivateKey([]byte(pem))
	if err != nil {
		return nil, fmt.Errorf("private_key: %w", err)
	}
	return clientauth.WithKey(c.ClientID, k, c.KeyID)
}
