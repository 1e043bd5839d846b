package providertest

import (
	"net/http"
	"net/url"
)

// DeviceCodeGrant is the grant_type of RFC 8628 device-code polls.
const DeviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code"

// The paths of the standard server. Its issuer is <URL>/oauth2, so
// discovery is at <issuer>/.well-known/openid-configuration (OpenID Connect
// Discovery 1.0 §4).
const (
	oauth2IssuerPath    = "/oauth2"
	oauth2DiscoveryPath = oauth2IssuerPath + "/.well-known/openid-configuration"
	oauth2AuthPath      = oauth2IssuerPath + "/authorize"
	oauth2TokenPath     = oauth2IssuerPath + "/token"
	oauth2RevokePath    = oauth2IssuerPath + "/revoke"   // RFC 7009
	oauth2DevicePath    = oauth2IssuerPath + "/device"   // RFC 8628 §3.1
	oauth2ActivatePath  = oauth2IssuerPath + "/activate" // the device verification page
	oauth2UserInfoPath  = oauth2IssuerPath + "/userinfo" // the bearer check
)

func (s *Server) oauth2Discovery(w http.ResponseWriter, r *http.Request) {
	doc := map[string]any{
		"issuer":                                s.URL + oauth2IssuerPath,
		"authorization_endpoint":                s.URL + oauth2AuthPath,
		"token_endpoint":                        s.URL + oauth2TokenPath,
		"revocation_endpoint":                   s.URL + oauth2RevokePath,
		"device_authorization_endpoint":         s.URL + oauth2DevicePath,
		"userinfo_endpoint":                     s.URL + oauth2UserInfoPath,
		"introspection_endpoint":                s.URL + oauth2IntrospectPath,
		"jwks_uri":                              s.URL + oauth2JWKSPath,
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code", "client_credentials", "refresh_token", "password", DeviceCodeGrant, TokenExchangeGrant},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post", "private_key_jwt", "client_secret_jwt", "none"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"subject_types_supported":               []string{"public"},
	}
	if !s.opts.OAuth2WithoutIss {
		doc["authorization_response_iss_parameter_supported"] = true // RFC 9207 §3
	}
	writeJSON(w, http.StatusOK, doc)
}

// withIss adds the iss of RFC 9207 §2 to an authorization response, success
// or error: the server's issuer, or what IssNext queued.
func (s *Server) withIss(v url.Values) url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	iss, queued := s.URL+oauth2IssuerPath, len(s.issNext) > 0
	if queued {
		iss, s.issNext = s.issNext[0], s.issNext[1:]
	}
	if iss != "" && (queued || !s.opts.OAuth2WithoutIss) {
		v.Set("iss", iss)
	}
	return v
}

// IssNext makes the next n authorization responses of the OAuth 2.0 server
// carry iss=value instead of its issuer (RFC 9207 §2), as a mix-up attack's
// would; an empty value leaves iss out. It applies with OAuth2WithoutIss too.
func (s *Server) IssNext(n int, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.issNext = append(s.issNext, value)
	}
}

// oauth2Authorize approves at once as oauth2User. Errors about the client or
// the redirect URI are shown as a page, never redirected (RFC 6749 §4.1.2.1).
func (s *Server) oauth2Authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	client, secret, redirect, ok := authorizeRequest(w, q, s.oauthClients, s.opts.oauth2RedirectURI, false)
	if !ok {
		return
	}
	state := q.Get("state")
	fail := func(code, desc string) {
		v := url.Values{"error": {code}, "state": {state}}
		if desc != "" {
			v.Set("error_description", desc)
		}
		redirectTo(w, redirect, s.withIss(v), false)
	}
	if q.Get("response_type") != "code" {
		fail("unsupported_response_type", "response_type must be code")
		return
	}
	challenge, err := authorizePKCE(q)
	if err != nil {
		fail("invalid_request", err.Error())
		return
	}
	if challenge == "" && secret == "" {
		fail("invalid_request", "public clients must use PKCE (S256)")
		return
	}
	if desc := s.resourceProblem(q["resource"]); desc != "" {
		fail("invalid_target", desc)
		return
	}
	if code := s.takeDenial(OAuth2); code != "" {
		fail(code, "")
		return
	}
	code := s.newCode(authCode{provider: OAuth2, client: client, redirect: redirect, challenge: challenge, scope: q.Get("scope"), resource: q["resource"], user: oauth2User, nonce: q.Get("nonce")})
	redirectTo(w, redirect, s.withIss(url.Values{"code": {code}, "state": {state}}), false)
}

// oauth2Client parses the form of a token, revoke or device request and
// authenticates its client: HTTP Basic (RFC 6749 §2.3.1 encoding) or
// client_id/client_secret in the body, never both (§2.3), or a JWT client
// assertion (assertion.go). Public clients send client_id alone.
func (s *Server) oauth2Client(w http.ResponseWriter, r *http.Request) (client string, public, ok bool) {
	if !parseForm(w, r) {
		return "", false, false
	}
	f := r.PostForm
	if f.Has("client_assertion") || f.Has("client_assertion_type") {
		client, ok = s.assertionClient(w, r)
		return client, false, ok
	}
	_, _, hasBasic := r.BasicAuth()
	var secret string
	switch {
	case hasBasic && (f.Has("client_secret") || f.Has("client_id") && f.Get("client_id") != basicUser(r)):
		oauthError(w, http.StatusBadRequest, "invalid_request", "client authenticated both with HTTP Basic and the body")
		return "", false, false
	case hasBasic:
		var err error
		if client, secret, err = basicCredentials(r); err != nil {
			invalidClient(w, err.Error(), true)
			return "", false, false
		}
	default:
		client, secret = f.Get("client_id"), f.Get("client_secret")
	}
	want, known := s.oauthClients[client]
	switch {
	case !known:
		invalidClient(w, "unknown client", true)
		return "", false, false
	case want == "":
		return client, true, true
	case secret != want:
		invalidClient(w, "wrong client secret", true)
		return "", false, false
	}
	return client, false, true
}

func basicUser(r *http.Request) string {
	u, _, _ := basicCredentials(r)
	return u
}

func (s *Server) oauth2Token(w http.ResponseWriter, r *http.Request) {
	client, public, ok := s.oauth2Client(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	var (
		g           grant
		withRefresh = true
	)
	switch gt := f.Get("grant_type"); gt {
	case "client_credentials":
		if public {
			oauthError(w, http.StatusBadRequest, "unauthorized_client", "public clients cannot use client_credentials")
			return
		}
		g = grant{provider: OAuth2, client: client, user: "service:" + client, scope: f.Get("scope")}
		withRefresh = false
	case "password":
		user, ok := passwordGrant(w, s.oauthUsers, f)
		if !ok {
			return
		}
		g = grant{provider: OAuth2, client: client, user: user, scope: f.Get("scope")}
	case TokenExchangeGrant:
		if g, issued, ok := s.exchangeGrant(w, client, f); ok {
			s.answerExchange(w, g, issued)
		}
		return
	case DeviceCodeGrant:
		var code, desc string
		if g, code, desc = s.pollDevice(client, f.Get("device_code")); code != "" {
			oauthError(w, http.StatusBadRequest, code, desc)
			return
		}
	default:
		if g, withRefresh, ok = s.codeOrRefreshGrant(w, OAuth2, client, f); !ok {
			return
		}
	}
	if g.resource, ok = s.narrowResource(w, g.resource, f["resource"]); !ok {
		return
	}
	nonce := ""
	if f.Get("grant_type") == "authorization_code" {
		nonce = g.nonce
	}
	s.answerOIDC(w, g, withRefresh, nonce)
}

// oauth2Revoke is RFC 7009: it answers 200 for unknown tokens too (§2.2).
// Revoking a refresh token also revokes the access tokens of its grant
// (§2.1).
func (s *Server) oauth2Revoke(w http.ResponseWriter, r *http.Request) {
	client, value, ok := s.tokenParam(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	if t := s.refresh[value]; t != nil && t.provider == OAuth2 && t.client == client {
		s.revokeFamilyLocked(t.family)
	} else if t := s.access[value]; t != nil && t.provider == OAuth2 && t.client == client {
		t.revoked = true
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (s *Server) oauth2UserInfo(w http.ResponseWriter, r *http.Request) {
	t, ok := s.bearer(w, r, OAuth2)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sub": t.user, "email": t.user, "name": "Dev Eloper"})
}
