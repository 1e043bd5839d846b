package providertest

import (
	"net/http"
	"net/url"
	"slices"
)

// RFC 8693 token exchange at the OAuth 2.0 server (grant_type
// TokenExchangeGrant at /oauth2/token) and RFC 7662 introspection at
// /oauth2/introspect.

// RFC 8693 identifiers: the grant type (§2.1) and the token types (§3).
const (
	TokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange"
	TokenTypeAccess    = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeJWT       = "urn:ietf:params:oauth:token-type:jwt"
	TokenTypeIDToken   = "urn:ietf:params:oauth:token-type:id_token"
)

const oauth2IntrospectPath = oauth2IssuerPath + "/introspect" // RFC 7662 §2

// AcceptSubject makes the OAuth 2.0 server take value as the subject_token
// of token exchanges with subject_token_type tokenType, acting for user, as
// an STS trusts a CI provider's OIDC tokens. Access tokens the server
// issued itself are accepted as subjects of type TokenTypeAccess without it.
func (s *Server) AcceptSubject(value, tokenType, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.subjects == nil {
		s.subjects = map[string]subject{}
	}
	s.subjects[value] = subject{tokenType, user}
}

// subject is a subject token a test configured.
type subject struct{ tokenType, user string }

// exchangeGrant checks a token exchange request (RFC 8693 §2.1) and returns
// the grant of the token to issue. A subject the server does not know, of
// the wrong type or expired, and a request missing subject_token or
// subject_token_type, are invalid_request (§2.2.2); resource and audience
// problems are invalid_target. The answer's aud is the resources, else the
// audiences. The issued type is requested_token_type,
// access_token when absent.
func (s *Server) exchangeGrant(w http.ResponseWriter, client string, f url.Values) (g grant, issued string, ok bool) {
	value, typ := f.Get("subject_token"), f.Get("subject_token_type")
	if value == "" || typ == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "subject_token and subject_token_type are required")
		return grant{}, "", false
	}
	s.mu.Lock()
	user := ""
	if sub, known := s.subjects[value]; known && sub.tokenType == typ {
		user = sub.user
	} else if t := s.access[value]; typ == TokenTypeAccess && t != nil && t.provider == OAuth2 && t.valid(s.now()) {
		user = t.user
	}
	s.mu.Unlock()
	if user == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "subject_token is not accepted")
		return grant{}, "", false
	}
	for _, a := range f["audience"] {
		if s.opts.OAuth2Audiences != nil && !slices.Contains(s.opts.OAuth2Audiences, a) {
			oauthError(w, http.StatusBadRequest, "invalid_target", "audience "+a+" is unknown")
			return grant{}, "", false
		}
	}
	// The token's audience: the RFC 8707 resources, else the audiences.
	aud, ok := s.narrowResource(w, nil, f["resource"])
	if !ok {
		return grant{}, "", false
	}
	if len(aud) == 0 {
		aud = f["audience"]
	}
	issued = f.Get("requested_token_type")
	if issued == "" {
		issued = TokenTypeAccess
	}
	return grant{provider: OAuth2, client: client, user: user, scope: f.Get("scope"), resource: aud}, issued, true
}

// answerExchange issues a token for g and writes the RFC 8693 §2.2.1
// answer: token_type Bearer for an access token, N_A for any other issued
// type, with a refresh token the client must not use to renew.
func (s *Server) answerExchange(w http.ResponseWriter, g grant, issued string) {
	s.mu.Lock()
	at, rt, life := s.issueLocked(g, true)
	s.mu.Unlock()
	tt := "Bearer"
	if issued != TokenTypeAccess {
		tt = "N_A"
	}
	writeJSON(w, http.StatusOK, struct {
		tokenResponse
		Issued string `json:"issued_token_type"`
	}{tokenResponse{AccessToken: at, TokenType: tt, ExpiresIn: seconds(life), RefreshToken: rt, Scope: g.scope, Aud: audience(g.resource)}, issued})
}

// oauth2Introspect is RFC 7662: the client authenticates as at the token
// endpoint (a wrong one is 401 invalid_client), and the answer says whether
// token is an access or refresh token of this server that still works, with
// its exp, scope, client_id and sub; an inactive token gets {"active":false}
// alone (§2.2).
func (s *Server) oauth2Introspect(w http.ResponseWriter, r *http.Request) {
	_, value, ok := s.tokenParam(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	t := s.access[value]
	if t == nil {
		t = s.refresh[value]
	}
	active := t != nil && t.provider == OAuth2 && t.valid(s.now())
	var answer map[string]any
	if active {
		answer = map[string]any{"active": true, "client_id": t.client, "sub": t.user, "token_type": "Bearer"}
		if t.scope != "" {
			answer["scope"] = t.scope
		}
		if !t.expires.IsZero() {
			answer["exp"] = t.expires.Unix()
		}
	}
	s.mu.Unlock()
	if !active {
		answer = map[string]any{"active": false}
	}
	writeJSON(w, http.StatusOK, answer)
}

// tokenParam authenticates the client of a revocation or introspection
// request and returns its token parameter, answering invalid_request
// when there is none.
func (s *Server) tokenParam(w http.ResponseWriter, r *http.Request) (client, value string, ok bool) {
	if client, _, ok = s.oauth2Client(w, r); !ok {
		return "", "", false
	}
	if value = r.PostForm.Get("token"); value == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "token is required")
		return "", "", false
	}
	return client, value, true
}
