package providertest

import (
	"net/http"
	"net/url"
	"strings"
)

// ahaSubdomainPlaceholder is the literal placeholder in ahaBaseURL that
// tokentop replaces with the connection's subdomain.
const ahaSubdomainPlaceholder = "{subdomain}"

// The paths of an Aha! account, below /aha/{subdomain}, the fake's
// counterpart of https://<subdomain>.aha.io.
const (
	ahaAuthPath  = "/oauth/authorize"
	ahaTokenPath = "/oauth/token"
	ahaCheckPath = "/api/v1/me"
)

// ahaBaseURL is the Aha! template "<URL>/aha/{subdomain}". The placeholder
// is literal.
func (s *Server) ahaBaseURL() string { return s.ahaURL(ahaSubdomainPlaceholder) }

// ahaURL is ahaBaseURL with the placeholder replaced by subdomain.
func (s *Server) ahaURL(subdomain string) string { return s.URL + "/aha/" + subdomain }

// ahaAuthorize approves at once (seeds/001). At "secure" the redirect also
// names the account (account_subdomain) and the code is bound to it.
func (s *Server) ahaAuthorize(w http.ResponseWriter, r *http.Request) {
	sub := r.PathValue("sub")
	if sub != s.ahaAccount && sub != "secure" {
		page(w, http.StatusNotFound, "No such account", "there is no Aha! account at "+sub)
		return
	}
	q := r.URL.Query()
	client, _, redirect, ok := authorizeRequest(w, q, s.ahaClients, s.opts.ahaRedirectURI, false)
	if !ok {
		return
	}
	state := q.Get("state")
	rt := q.Get("response_type")
	implicit := rt == "token"
	params := url.Values{"state": {state}}
	if sub == "secure" {
		params.Set("account_subdomain", s.ahaAccount)
	}
	switch {
	case rt == "":
		params.Set("error", "invalid_request")
		params.Set("error_description", "response_type is required")
		redirectTo(w, redirect, params, false)
		return
	case rt != "code" && rt != "token":
		params.Set("error", "unsupported_response_type")
		redirectTo(w, redirect, params, false)
		return
	}
	if code := s.takeDenial(Aha); code != "" {
		params.Set("error", code)
		redirectTo(w, redirect, params, implicit)
		return
	}
	if implicit {
		s.mu.Lock()
		at, _, _ := s.issueLocked(grant{provider: Aha, client: client, user: ahaUserEmail, account: s.ahaAccount}, false)
		s.mu.Unlock()
		params.Set("access_token", at)
		params.Set("token_type", "bearer")
		redirectTo(w, redirect, params, true)
		return
	}
	code := s.newCode(authCode{provider: Aha, client: client, redirect: redirect, account: s.ahaAccount, user: ahaUserEmail})
	params.Set("code", code)
	redirectTo(w, redirect, params, false)
}

// ahaToken exchanges a code. Every parameter is in the form body, the secret
// included; Basic is refused. The answer has no expiry and no refresh token.
func (s *Server) ahaToken(w http.ResponseWriter, r *http.Request) {
	sub := r.PathValue("sub")
	if sub != s.ahaAccount && sub != "secure" {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found", "error_description": "there is no Aha! account at " + sub})
		return
	}
	if !parseForm(w, r) {
		return
	}
	if strings.HasPrefix(strings.ToLower(r.Header.Get("Authorization")), "basic ") {
		invalidClient(w, "client_id and client_secret must be sent in the form body, not HTTP Basic", false)
		return
	}
	f := r.PostForm
	for _, k := range []string{"client_id", "client_secret", "code", "grant_type", "redirect_uri"} {
		if f.Get(k) == "" {
			oauthError(w, http.StatusBadRequest, "invalid_request", k+" is required")
			return
		}
	}
	if gt := f.Get("grant_type"); gt != "authorization_code" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code")
		return
	}
	client := f.Get("client_id")
	if want, ok := s.ahaClients[client]; !ok || want != f.Get("client_secret") {
		invalidClient(w, "unknown client or wrong secret", false)
		return
	}
	if sub != s.ahaAccount {
		// The code belongs to an account; "secure" is only where sign-in
		// starts (seeds/001: use account_subdomain for this request).
		oauthError(w, http.StatusBadRequest, "invalid_grant", "the code is only valid at the account's subdomain (account_subdomain)")
		return
	}
	g, ok := s.codeGrant(w, Aha, client, f, false)
	if !ok {
		return
	}
	s.mu.Lock()
	at, _, _ := s.issueLocked(g, false)
	s.mu.Unlock()
	// Exactly the document's answer: no expires_in, no refresh_token.
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(`{"access_token":"` + at + `","token_type":"bearer"}` + "\n"))
}

// ahaMe answers for OAuth tokens and API keys, only at the account's
// subdomain.
func (s *Server) ahaMe(w http.ResponseWriter, r *http.Request) {
	sub := r.PathValue("sub")
	if sub != s.ahaAccount {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found", "error_description": "there is no Aha! account at " + sub})
		return
	}
	scheme, value, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if strings.EqualFold(scheme, "Bearer") && s.ahaKeys[strings.TrimSpace(value)] {
		writeJSON(w, http.StatusOK, ahaUser("api_key"))
		return
	}
	if _, ok := s.bearer(w, r, Aha); !ok {
		return
	}
	writeJSON(w, http.StatusOK, ahaUser("oauth"))
}

func ahaUser(via string) map[string]any {
	return map[string]any{"user": map[string]any{
		"id": "6776823452012312345", "name": "Pat Manager", "email": ahaUserEmail,
		"account": AhaAccount, "authenticated_with": via,
	}}
}
