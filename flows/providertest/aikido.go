package providertest

import (
	"net/http"
	"net/url"
)

// The paths of the Aikido fake: seeds/000's https://app.aikido.dev/... under
// /aikido.
const (
	aikidoTokenPath = "/aikido/api/oauth/token"
	aikidoAuthPath  = "/aikido/oauth/authorize"
	aikidoCheckPath = "/aikido/api/public/v1/workspace"
)

// AikidoTokenURL is Aikido's token endpoint (seeds/000:
// https://app.aikido.dev/api/oauth/token).
func (s *Server) AikidoTokenURL() string { return s.URL + aikidoTokenPath }

// AikidoAuthURL is Aikido's authorize endpoint (seeds/000:
// https://app.aikido.dev/oauth/authorize).
func (s *Server) AikidoAuthURL() string { return s.URL + aikidoAuthPath }

// AikidoCheckURL is a bearer-protected Aikido API endpoint for health checks.
func (s *Server) AikidoCheckURL() string { return s.URL + aikidoCheckPath }

// aikidoAuthorize approves at once. The document's authorize URL carries
// only client_id and state and redirects to the registered URI; tokentop
// also sends redirect_uri (an ephemeral loopback port) and may send PKCE.
func (s *Server) aikidoAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	client, _, target, ok := authorizeRequest(w, q, s.aikidoClients, s.opts.aikidoRedirectURI, true)
	if !ok {
		return
	}
	redirect := q.Get("redirect_uri") // "" when target is the registered URI
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
	if !parseForm(w, r) {
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
	if f.Get("grant_type") == "client_credentials" {
		s.answerTokens(w, grant{provider: Aikido, client: client, user: "service:" + client}, false, "Bearer")
		return
	}
	if g, withRefresh, ok := s.codeOrRefreshGrant(w, Aikido, client, f); ok {
		s.answerTokens(w, g, withRefresh, "Bearer")
	}
}

func (s *Server) aikidoWorkspace(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.bearer(w, r, Aikido); !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": 1, "name": "Acme workspace"})
}
