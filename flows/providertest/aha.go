package providertest

import (
	"net/http"
	"net/url"
	"strings"
)

// AhaSubdomainPlaceholder is the literal placeholder in AhaBaseURL that
// tokentop replaces with the connection's subdomain.
const AhaSubdomainPlaceholder = "{subdomain}"

// AhaBaseURL is the Aha! template "<URL>/aha/{subdomain}", the fake's
// counterpart of https://<subdomain>.aha.io. The placeholder is literal.
func (s *Server) AhaBaseURL() string { return s.URL + "/aha/" + AhaSubdomainPlaceholder }

// AhaURL is AhaBaseURL with the placeholder replaced by subdomain.
func (s *Server) AhaURL(subdomain string) string { return s.URL + "/aha/" + subdomain }

// AhaAuthURL is the authorize endpoint template (with the placeholder).
func (s *Server) AhaAuthURL() string { return s.AhaBaseURL() + "/oauth/authorize" }

// AhaTokenURL is the token endpoint template (with the placeholder).
func (s *Server) AhaTokenURL() string { return s.AhaBaseURL() + "/oauth/token" }

// AhaCheckURL is the bearer-protected "me" endpoint template (with the
// placeholder); it accepts OAuth tokens and API keys.
func (s *Server) AhaCheckURL() string { return s.AhaBaseURL() + "/api/v1/me" }

func (s *Server) ahaRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /aha/{sub}/oauth/authorize", s.ahaAuthorize)
	mux.HandleFunc("POST /aha/{sub}/oauth/token", s.ahaToken)
	mux.HandleFunc("GET /aha/{sub}/api/v1/me", s.ahaMe)
}

// ahaAuthorize approves at once (seeds/001). At "secure" the redirect also
// names the account (account_subdomain) and the code is bound to it.
func (s *Server) ahaAuthorize(w http.ResponseWriter, r *http.Request) {
	sub := r.PathValue("sub")
	if sub != s.ahaAccount && sub != "secure" {
		page(w, http.StatusNotFound, "No such account", "there is no Aha! account at "+sub)
		return
	}
	q := r.URL.Query()
	client := q.Get("client_id")
	if _, ok := s.ahaClients[client]; !ok {
		page(w, http.StatusBadRequest, "Unknown application", "client_id "+client+" is not registered")
		return
	}
	redirect := q.Get("redirect_uri")
	if redirect == "" {
		page(w, http.StatusBadRequest, "No redirect URI", "redirect_uri is required")
		return
	}
	if reg := s.opts.AhaRedirectURI; reg != "" && redirect != reg {
		page(w, http.StatusBadRequest, "Redirect URI mismatch", "redirect_uri must be the registered "+reg)
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
		at, _, _ := s.issueLocked(grant{provider: Aha, client: client, user: AhaUserEmail, account: s.ahaAccount}, false)
		s.mu.Unlock()
		params.Set("access_token", at)
		params.Set("token_type", "bearer")
		redirectTo(w, redirect, params, true)
		return
	}
	code := s.newCode(authCode{provider: Aha, client: client, redirect: redirect, account: s.ahaAccount, user: AhaUserEmail})
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
	if err := r.ParseForm(); err != nil || !isForm(r) {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
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
	c, err := s.redeemCode(Aha, client, f.Get("code"))
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_grant", err.Error())
		return
	}
	if c.redirect != f.Get("redirect_uri") {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request's")
		return
	}
	s.mu.Lock()
	at, _, _ := s.issueLocked(grant{provider: Aha, client: client, user: c.user, account: c.account, family: c.family}, false)
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
		"id": "6776823452012312345", "name": "Pat Manager", "email": AhaUserEmail,
		"account": AhaAccount, "authenticated_with": via,
	}}
}
