package providertest

import (
	"net/http"
	"net/url"
)

// AikidoTokenURL is Aikido's token endpoint (seeds/000:
// https://app.aikido.dev/api/oauth/token).
func (s *Server) AikidoTokenURL() string { return s.URL + "/aikido/api/oauth/token" }

// AikidoAuthURL is Aikido's authorize endpoint (seeds/000:
// https://app.aikido.dev/oauth/authorize).
func (s *Server) AikidoAuthURL() string { return s.URL + "/aikido/oauth/authorize" }

// AikidoCheckURL is a bearer-protected Aikido API endpoint for health checks.
func (s *Server) AikidoCheckURL() string { return s.URL + "/aikido/api/public/v1/workspace" }

func (s *Server) aikidoRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /aikido/api/oauth/token", s.aikidoToken)
	mux.HandleFunc("GET /aikido/oauth/authorize", s.aikidoAuthorize)
	mux.HandleFunc("GET /aikido/api/public/v1/workspace", s.aikidoWorkspace)
}

// aikidoAuthorize approves at once. The document's authorize URL carries
// only client_id and state and redirects to the registered URI; tokentop
// also sends redirect_uri (an ephemeral loopback port) and may send PKCE.
func (s *Server) aikidoAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	client := q.Get("client_id")
	if _, ok := s.aikidoClients[client]; !ok {
		page(w, http.StatusBadRequest, "Unknown application", "client_id "+client+" is not registered")
		return
	}
	redirect := q.Get("redirect_uri")
	registered := s.opts.AikidoRedirectURI
	target := redirect
	switch {
	case registered != "" && redirect != "" && redirect != registered:
		page(w, http.StatusBadRequest, "Redirect URI mismatch", "redirect_uri must be the registered "+registered)
		return
	case redirect == "" && registered == "":
		page(w, http.StatusBadRequest, "No redirect URI", "redirect_uri is required: no redirect URI is registered")
		return
	case redirect == "":
		target = registered
	}
	state := q.Get("state")
	if rt := q.Get("response_type"); rt != "" && rt != "code" {
		redirectTo(w, target, url.Values{"error": {"unsupported_response_type"}, "state": {state}}, false)
		return
	}
	challenge, err := authorizePKCE(q)
	if err != nil {
		redirectTo(w, target, url.Values{"error": {"invalid_request"}, "error_description": {err.Error()}, "state": {state}}, false)
		return
	}
	if code := s.takeDenial(Aikido); code != "" {
		redirectTo(w, target, url.Values{"error": {code}, "state": {state}}, false)
		return
	}
	code := s.newCode(authCode{provider: Aikido, client: client, redirect: redirect, challenge: challenge, user: "aikido-user"})
	redirectTo(w, target, url.Values{"code": {code}, "state": {state}}, false)
}

// aikidoToken serves the three grants. The client authenticates only with
// HTTP Basic (seeds/000, three times over); id or secret in the body is
// refused.
func (s *Server) aikidoToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || !isForm(r) {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	f := r.PostForm
	if f.Has("client_id") || f.Has("client_secret") {
		invalidClient(w, "client credentials must be sent in an HTTP Basic header, not the body", true)
		return
	}
	if _, _, ok := r.BasicAuth(); !ok {
		invalidClient(w, "HTTP Basic client authentication required", true)
		return
	}
	client, secret, err := basicCredentials(r)
	if err != nil {
		invalidClient(w, err.Error(), true)
		return
	}
	if want, ok := s.aikidoClients[client]; !ok || want != secret {
		invalidClient(w, "unknown client or wrong secret", true)
		return
	}
	var (
		g           grant
		withRefresh bool
		rotated     = true
	)
	switch gt := f.Get("grant_type"); gt {
	case "client_credentials":
		g = grant{provider: Aikido, client: client, user: "service:" + client}
	case "authorization_code":
		c, err := s.redeemCode(Aikido, client, f.Get("code"))
		if err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_grant", err.Error())
			return
		}
		if c.redirect != "" && f.Get("redirect_uri") != c.redirect {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request's")
			return
		}
		if err := checkVerifier(c.challenge, f.Get("code_verifier")); err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_grant", err.Error())
			return
		}
		g = grant{provider: Aikido, client: client, user: c.user, family: c.family}
		withRefresh = true
	case "refresh_token":
		if g, rotated, err = s.useRefresh(Aikido, client, f.Get("refresh_token")); err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_grant", err.Error())
			return
		}
		withRefresh = rotated
	case "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "grant_type is required")
		return
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type "+gt+" is not supported")
		return
	}
	s.mu.Lock()
	at, rt, life := s.issueLocked(g, withRefresh)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: at, TokenType: "Bearer", ExpiresIn: seconds(life), RefreshToken: rt})
}

func (s *Server) aikidoWorkspace(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.bearer(w, r, Aikido); !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": 1, "name": "Acme workspace"})
}
