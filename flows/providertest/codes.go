package providertest

import (
	"errors"
	"net/http"
	"net/url"
	"time"
)

// authCode is an authorization code and what the authorize request said.
type authCode struct {
	value     string
	provider  string
	client    string
	redirect  string // as sent to authorize; "" when it was absent
	challenge string // PKCE S256 challenge, "" without PKCE
	account   string
	scope     string
	resource  []string // RFC 8707 resource indicators of the authorization request
	user      string
	nonce     string // OIDC Core §3.1.2.1, for the id_token of the code
	expires   time.Time
	used      bool
	family    int
}

// newCode stores c as a new code valid for codeLifetime, the first of a new
// family of tokens, and returns its value.
func (s *Server) newCode(c authCode) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.value = randHex(16)
	c.expires = s.now().Add(codeLifetime)
	s.family++
	c.family = s.family
	s.codes[c.value] = &c
	return c.value
}

// redeemCode checks a code for provider and client and marks it used. A
// second use is refused and revokes what the first one produced.
func (s *Server) redeemCode(provider, client, value string) (*authCode, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.codes[value]
	switch {
	case c == nil || c.provider != provider:
		return nil, errors.New("unknown authorization code")
	case c.used:
		s.revokeFamilyLocked(c.family)
		return nil, errors.New("authorization code was already used")
	case !s.now().Before(c.expires):
		return nil, errors.New("authorization code expired")
	case c.client != client:
		return nil, errors.New("authorization code was issued to another client")
	}
	c.used = true
	cc := *c
	return &cc, nil
}

// authorizeRequest checks the client_id and redirect_uri of an authorize
// request and returns the client, its secret and where to redirect. The
// client must be one of clients; the redirect_uri must be the registered
// one when there is one. An absent redirect_uri means the registered one
// when absentIsRegistered (the Aikido document sends none) and is an error
// otherwise. Errors are shown as a page, never redirected (RFC 6749
// §4.1.2.1).
func authorizeRequest(w http.ResponseWriter, q url.Values, clients map[string]string, registered string, absentIsRegistered bool) (client, secret, target string, ok bool) {
	client, redirect := q.Get("client_id"), q.Get("redirect_uri")
	secret, known := clients[client]
	switch {
	case !known:
		page(w, http.StatusBadRequest, "Unknown application", "client_id "+client+" is not registered")
	case redirect == "" && registered != "" && absentIsRegistered:
		return client, secret, registered, true
	case redirect == "" && registered == "" && absentIsRegistered:
		page(w, http.StatusBadRequest, "No redirect URI", "redirect_uri is required: no redirect URI is registered")
	case redirect == "":
		page(w, http.StatusBadRequest, "No redirect URI", "redirect_uri is required")
	case registered != "" && redirect != registered:
		page(w, http.StatusBadRequest, "Redirect URI mismatch", "redirect_uri must be the registered "+registered)
	default:
		return client, secret, redirect, true
	}
	return "", "", "", false
}

// codeGrant redeems the code of a token request f for provider and client
// and returns the grant to issue tokens for. The request must repeat the
// authorize request's redirect_uri when that had one (RFC 6749 §4.1.3) and,
// with pkce, carry the matching code_verifier (RFC 7636 §4.5). It answers
// invalid_grant and returns false when any of that fails.
func (s *Server) codeGrant(w http.ResponseWriter, provider, client string, f url.Values, pkce bool) (grant, bool) {
	c, err := s.redeemCode(provider, client, f.Get("code"))
	if err == nil && c.redirect != "" && f.Get("redirect_uri") != c.redirect {
		err = errors.New("redirect_uri differs from the authorization request's")
	}
	if err == nil && pkce {
		err = checkVerifier(c.challenge, f.Get("code_verifier"))
	}
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", err.Error())
		return grant{}, false
	}
	return grant{provider: provider, client: client, user: c.user, account: c.account, scope: c.scope, resource: c.resource, nonce: c.nonce, family: c.family}, true
}
