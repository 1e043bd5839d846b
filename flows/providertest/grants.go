package providertest

import (
	"net/http"
	"net/url"
)

// What the token endpoints share: checking the grant a request asks for and
// answering with tokens (RFC 6749 §4, §5, §6).

// refuseGrantType answers a grant_type that a token endpoint does not
// serve: a missing one is invalid_request, another unsupported_grant_type
// with desc (RFC 6749 §5.2).
func refuseGrantType(w http.ResponseWriter, grantType, desc string) {
	if grantType == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "grant_type is required")
		return
	}
	oauthError(w, http.StatusBadRequest, "unsupported_grant_type", desc)
}

// passwordOK reports whether users has a non-empty user with password.
func passwordOK(users map[string]string, user, password string) bool {
	want, ok := users[user]
	return ok && user != "" && want == password
}

// passwordGrant checks the username and password of a password grant
// request (RFC 6749 §4.3.2) against users, answering invalid_grant when
// they are wrong.
func passwordGrant(w http.ResponseWriter, users map[string]string, f url.Values) (user string, ok bool) {
	user = f.Get("username")
	if !passwordOK(users, user, f.Get("password")) {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "wrong username or password")
		return "", false
	}
	return user, true
}

// codeOrRefreshGrant serves the grant types that Aikido and the OAuth 2.0
// server share besides client credentials: authorization_code, with PKCE
// when the code had a challenge, and refresh_token. Any other grant type is
// refused. It answers the errors itself and returns false after them.
func (s *Server) codeOrRefreshGrant(w http.ResponseWriter, provider, client string, f url.Values) (g grant, withRefresh, ok bool) {
	switch gt := f.Get("grant_type"); gt {
	case "authorization_code":
		g, ok = s.codeGrant(w, provider, client, f, true)
		return g, true, ok
	case "refresh_token":
		return s.refreshGrant(w, provider, client, f)
	default:
		refuseGrantType(w, gt, "grant_type "+gt+" is not supported")
		return grant{}, false, false
	}
}

// refreshGrant redeems the refresh_token of a token request (RFC 6749 §6)
// for provider and client, answering invalid_grant when it does not work.
// rotated says the answer carries a new refresh token.
func (s *Server) refreshGrant(w http.ResponseWriter, provider, client string, f url.Values) (g grant, rotated, ok bool) {
	g, rotated, err := s.useRefresh(provider, client, f.Get("refresh_token"))
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", err.Error())
		return grant{}, false, false
	}
	return g, rotated, true
}

// answerTokens issues tokens for g and writes the RFC 6749 §5.1 answer with
// the given token_type.
func (s *Server) answerTokens(w http.ResponseWriter, g grant, withRefresh bool, tokenType string) {
	s.mu.Lock()
	at, rt, life := s.issueLocked(g, withRefresh)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: at, TokenType: tokenType, ExpiresIn: seconds(life), RefreshToken: rt, Scope: g.scope, Aud: audience(g.resource)})
}
