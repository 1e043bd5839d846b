package providertest

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DeviceCodeGrant is the grant_type of RFC 8628 device-code polls.
const DeviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code"

// OAuth2Issuer is the OpenID Connect issuer of the standard server,
// "<URL>/oauth2"; discovery is at <issuer>/.well-known/openid-configuration.
func (s *Server) OAuth2Issuer() string { return s.URL + "/oauth2" }

// OAuth2AuthURL is the standard server's authorize endpoint.
func (s *Server) OAuth2AuthURL() string { return s.URL + "/oauth2/authorize" }

// OAuth2TokenURL is the standard server's token endpoint.
func (s *Server) OAuth2TokenURL() string { return s.URL + "/oauth2/token" }

// OAuth2RevokeURL is the standard server's RFC 7009 revocation endpoint.
func (s *Server) OAuth2RevokeURL() string { return s.URL + "/oauth2/revoke" }

// OAuth2DeviceURL is the standard server's RFC 8628 device authorization
// endpoint.
func (s *Server) OAuth2DeviceURL() string { return s.URL + "/oauth2/device" }

// OAuth2CheckURL is the standard server's userinfo endpoint (bearer).
func (s *Server) OAuth2CheckURL() string { return s.URL + "/oauth2/userinfo" }

func (s *Server) oauth2Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /oauth2/.well-known/openid-configuration", s.oauth2Discovery)
	mux.HandleFunc("GET /oauth2/authorize", s.oauth2Authorize)
	mux.HandleFunc("POST /oauth2/token", s.oauth2Token)
	mux.HandleFunc("POST /oauth2/revoke", s.oauth2Revoke)
	mux.HandleFunc("POST /oauth2/device", s.oauth2Device)
	mux.HandleFunc("GET /oauth2/activate", s.oauth2Activate)
	mux.HandleFunc("GET /oauth2/userinfo", s.oauth2UserInfo)
}

func (s *Server) oauth2Discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.OAuth2Issuer(),
		"authorization_endpoint":                s.OAuth2AuthURL(),
		"token_endpoint":                        s.OAuth2TokenURL(),
		"revocation_endpoint":                   s.OAuth2RevokeURL(),
		"device_authorization_endpoint":         s.OAuth2DeviceURL(),
		"userinfo_endpoint":                     s.OAuth2CheckURL(),
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code", "client_credentials", "refresh_token", "password", DeviceCodeGrant},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post", "none"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"subject_types_supported":               []string{"public"},
	})
}

// oauth2Authorize approves at once as OAuth2User. Errors about the client or
// the redirect URI are shown as a page, never redirected (RFC 6749 §4.1.2.1).
func (s *Server) oauth2Authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	client := q.Get("client_id")
	secret, ok := s.oauthClients[client]
	if !ok {
		page(w, http.StatusBadRequest, "Unknown client", "client_id "+client+" is not registered")
		return
	}
	redirect := q.Get("redirect_uri")
	if redirect == "" {
		page(w, http.StatusBadRequest, "No redirect URI", "redirect_uri is required")
		return
	}
	if reg := s.opts.OAuth2RedirectURI; reg != "" && redirect != reg {
		page(w, http.StatusBadRequest, "Redirect URI mismatch", "redirect_uri must be the registered "+reg)
		return
	}
	state := q.Get("state")
	fail := func(code, desc string) {
		v := url.Values{"error": {code}, "state": {state}}
		if desc != "" {
			v.Set("error_description", desc)
		}
		redirectTo(w, redirect, v, false)
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
	if code := s.takeDenial(OAuth2); code != "" {
		fail(code, "")
		return
	}
	code := s.newCode(authCode{provider: OAuth2, client: client, redirect: redirect, challenge: challenge, scope: q.Get("scope"), user: OAuth2User})
	redirectTo(w, redirect, url.Values{"code": {code}, "state": {state}, "iss": {s.OAuth2Issuer()}}, false)
}

// oauth2Client authenticates the client of a token, revoke or device request:
// HTTP Basic (RFC 6749 §2.3.1 encoding) or client_id/client_secret in the
// body, never both (§2.3). Public clients send client_id alone.
func (s *Server) oauth2Client(w http.ResponseWriter, r *http.Request) (client string, public, ok bool) {
	f := r.PostForm
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
	if err := r.ParseForm(); err != nil || !isForm(r) {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	client, public, ok := s.oauth2Client(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	var (
		g           grant
		withRefresh = true
		err         error
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
		user := f.Get("username")
		if want, ok := s.oauthUsers[user]; !ok || user == "" || want != f.Get("password") {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "wrong username or password")
			return
		}
		g = grant{provider: OAuth2, client: client, user: user, scope: f.Get("scope")}
	case "authorization_code":
		c, err := s.redeemCode(OAuth2, client, f.Get("code"))
		if err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_grant", err.Error())
			return
		}
		if f.Get("redirect_uri") != c.redirect {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request's")
			return
		}
		if err := checkVerifier(c.challenge, f.Get("code_verifier")); err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_grant", err.Error())
			return
		}
		g = grant{provider: OAuth2, client: client, user: c.user, scope: c.scope, family: c.family}
	case "refresh_token":
		if g, withRefresh, err = s.useRefresh(OAuth2, client, f.Get("refresh_token")); err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_grant", err.Error())
			return
		}
	case DeviceCodeGrant:
		var code, desc string
		if g, code, desc = s.pollDevice(client, f.Get("device_code")); code != "" {
			oauthError(w, http.StatusBadRequest, code, desc)
			return
		}
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
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: at, TokenType: "Bearer", ExpiresIn: seconds(life), RefreshToken: rt, Scope: g.scope})
}

// oauth2Revoke is RFC 7009: it answers 200 for unknown tokens too (§2.2).
// Revoking a refresh token also revokes the access tokens of its grant
// (§2.1).
func (s *Server) oauth2Revoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || !isForm(r) {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	client, _, ok := s.oauth2Client(w, r)
	if !ok {
		return
	}
	value := r.PostForm.Get("token")
	if value == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "token is required")
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

type device struct {
	code     string
	userCode string
	client   string
	scope    string
	expires  time.Time
	pending  int // polls still to answer authorization_pending
	approved bool
	used     bool
}

// oauth2Device starts an RFC 8628 §3.1 device authorization.
func (s *Server) oauth2Device(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || !isForm(r) {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	client, _, ok := s.oauth2Client(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	d := &device{
		code: randHex(20), userCode: userCode(), client: client, scope: r.PostForm.Get("scope"),
		expires: s.now().Add(DeviceCodeLifetime), pending: s.pending,
	}
	s.devices[d.code] = d
	s.userCodes[d.userCode] = d
	interval := s.interval
	s.mu.Unlock()
	verify := s.URL + "/oauth2/activate"
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code":               d.code,
		"user_code":                 d.userCode,
		"verification_uri":          verify,
		"verification_uri_complete": verify + "?user_code=" + url.QueryEscape(d.userCode),
		"expires_in":                seconds(DeviceCodeLifetime),
		"interval":                  seconds(interval),
	})
}

// pollDevice answers a device-code poll: an OAuth error code, or the grant
// to issue tokens for.
func (s *Server) pollDevice(client, code string) (grant, string, string) {
	if c := s.takeDenial(OAuth2); c != "" {
		return grant{}, c, "the user refused"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.devices[code]
	switch {
	case d == nil || d.client != client:
		return grant{}, "invalid_grant", "unknown device_code"
	case d.used:
		return grant{}, "invalid_grant", "device_code was already used"
	case !s.now().Before(d.expires):
		return grant{}, "expired_token", "device_code expired"
	case s.slowDown > 0:
		s.slowDown--
		return grant{}, "slow_down", "polling too fast: add 5 seconds to the interval"
	case !d.approved && d.pending > 0:
		d.pending--
		return grant{}, "authorization_pending", "the user has not approved yet"
	}
	d.used = true
	return grant{provider: OAuth2, client: client, user: OAuth2User, scope: d.scope}, "", ""
}

// oauth2Activate is the verification page. With a known user_code it
// approves that device at once; otherwise it shows a form.
func (s *Server) oauth2Activate(w http.ResponseWriter, r *http.Request) {
	uc := strings.ToUpper(strings.TrimSpace(r.URL.Query().Get("user_code")))
	if uc == "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>Activate a device</title><form><label>Code <input name="user_code"></label><button>Approve</button></form>` + "\n"))
		return
	}
	s.mu.Lock()
	d := s.userCodes[uc]
	found := d != nil && s.now().Before(d.expires)
	if found {
		d.approved = true
	}
	s.mu.Unlock()
	if !found {
		page(w, http.StatusNotFound, "Unknown code", "no device sign-in waits for "+uc)
		return
	}
	page(w, http.StatusOK, "Device approved", "You can return to tokentop.")
}

func (s *Server) oauth2UserInfo(w http.ResponseWriter, r *http.Request) {
	t, ok := s.bearer(w, r, OAuth2)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sub": t.user, "email": t.user, "name": "Dev Eloper"})
}

// userCode makes an RFC 8628 §6.1 user code: eight consonants, no vowels,
// shown as XXXX-XXXX.
func userCode() string {
	const alphabet = "BCDFGHJKLMNPQRSTVWXZ"
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	out := make([]byte, 0, 9)
	for i, c := range b {
		if i == 4 {
			out = append(out, '-')
		}
		out = append(out, alphabet[int(c)%len(alphabet)])
	}
	return string(out)
}
