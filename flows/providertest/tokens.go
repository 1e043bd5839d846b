package providertest

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// SetLifetime changes the access-token lifetime of provider for tokens
// issued from now on. For Aha! it is a silent server-side expiry (the token
// response never says); zero makes Aha! tokens last forever.
func (s *Server) SetLifetime(provider string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lifetime[provider] = d
}

// setRefreshLifetime changes how long provider's refresh tokens issued from
// now on stay valid; zero means forever.
func (s *Server) setRefreshLifetime(provider string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshLT[provider] = d
}

// setRotation turns refresh-token rotation on or off for provider. With
// rotation (the default) a used refresh token is answered invalid_grant
// afterwards and the response carries a new one; without it the old one
// stays valid and the response omits refresh_token (RFC 6749 §6: the server
// MAY issue a new one), except at Amino, which always returns one (the same).
func (s *Server) setRotation(provider string, rotate bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rotate[provider] = rotate
}

// RevokeAll makes every access and refresh token that provider issued so far
// stop working, as when a user withdraws an application's access.
func (s *Server) RevokeAll(provider string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range []map[string]*token{s.access, s.refresh} {
		for _, t := range m {
			if t.provider == provider {
				t.revoked = true
			}
		}
	}
}

// SeedRefreshToken issues a refresh token for user at provider as if from
// another sign-in, such as Aerion's web SSO login that "can be used to seed
// an API integration" (seeds/002). At Aerion it belongs to the first known
// tenant; at Aikido and the OAuth 2.0 server, to their default client. Aha!
// has no refresh tokens: SeedRefreshToken returns "" for it and for unknown
// providers.
func (s *Server) SeedRefreshToken(provider, user string) string {
	if provider == Aha {
		return ""
	}
	_, rt := s.seed(provider, user, true)
	return rt
}

// seedAccessToken issues an access token for user at provider, valid for the
// provider's lifetime, so tests of checks need no sign-in. It returns "" for
// unknown providers.
func (s *Server) seedAccessToken(provider, user string) string {
	at, _ := s.seed(provider, user, false)
	return at
}

// seed issues tokens for user at provider as if from a sign-in elsewhere;
// both are "" for unknown providers.
func (s *Server) seed(provider, user string, withRefresh bool) (access, refresh string) {
	g, ok := s.seedGrant(provider, user)
	if !ok {
		return "", ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	access, refresh, _ = s.issueLocked(g, withRefresh)
	return access, refresh
}

// seedGrant is the grant a seeded token of provider carries: the first
// tenant, the default client or the account.
func (s *Server) seedGrant(provider, user string) (grant, bool) {
	g := grant{provider: provider, user: user}
	switch provider {
	case Aerion:
		g.tenant = tenantKey(s.aerionTenants[0])
	case Aikido:
		g.client = AikidoClientID
	case OAuth2:
		g.client = OAuth2ClientID
	case Amino:
		g.login = s.now()
	case Aha:
		g.client, g.account = AhaClientID, s.ahaAccount
	default:
		return grant{}, false
	}
	return g, true
}

type grant struct {
	provider string
	client   string
	user     string
	account  string // Aha! subdomain
	tenant   string // Aerion tenant
	scope    string
	resource []string  // RFC 8707 resource indicators: the token's audience
	login    time.Time // Amino login_timestamp
	nonce    string    // of the authorization request, for the code's id_token only
	family   int
}

type token struct {
	grant
	value   string
	refresh bool
	expires time.Time // zero: never
	revoked bool
}

func (t *token) valid(now time.Time) bool {
	return t != nil && !t.revoked && (t.expires.IsZero() || now.Before(t.expires))
}

// issueLocked issues an access token (and a refresh token when asked) for g.
// It returns the lifetime to announce (zero at Aha!, where none is).
func (s *Server) issueLocked(g grant, withRefresh bool) (access, refresh string, lifetime time.Duration) {
	now := s.now()
	if g.family == 0 {
		s.family++
		g.family = s.family
	}
	lifetime = s.lifetime[g.provider]
	at := &token{grant: g, value: s.newToken(g), expires: addIf(now, lifetime)}
	s.access[at.value] = at
	if withRefresh {
		rt := &token{grant: g, value: s.newRefreshToken(g), refresh: true, expires: addIf(now, s.refreshLT[g.provider])}
		s.refresh[rt.value] = rt
		refresh = rt.value
	}
	return at.value, refresh, lifetime
}

func addIf(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return t.Add(d)
}

func (s *Server) newToken(g grant) string {
	switch g.provider {
	case Aha:
		return randHex(32) // like the document's 64 hex digits
	case Amino:
		return aminoJWT(g, "access", s.now())
	}
	return g.provider + "_at_" + randHex(20)
}

func (s *Server) newRefreshToken(g grant) string {
	if g.provider == Amino {
		return aminoJWT(g, "refresh", s.now())
	}
	return g.provider + "_rt_" + randHex(20)
}

// useRefresh checks a refresh token of provider for client and, with
// rotation, retires it. It returns the grant to issue new tokens for.
func (s *Server) useRefresh(provider, client, value string) (grant, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.refresh[value]
	switch {
	case t == nil || t.provider != provider:
		return grant{}, false, errors.New("unknown refresh token")
	case t.revoked:
		s.replays++
		return grant{}, false, errors.New("refresh token was already used or revoked")
	case !t.valid(s.now()):
		return grant{}, false, errors.New("refresh token expired")
	case client != "" && t.client != "" && t.client != client:
		return grant{}, false, errors.New("refresh token was issued to another client")
	}
	rotate := s.rotate[provider]
	if rotate {
		t.revoked = true
	}
	return t.grant, rotate, nil
}

// Replays counts the refresh requests that presented a refresh token
// already retired by rotation or revoked: each one is a client sending a
// token it should have replaced (RFC 9700 §4.14.2).
func (s *Server) Replays() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.replays
}

// AccessExpiry returns when an access token the fakes issued expires (zero:
// never), and whether they issued it at all.
func (s *Server) AccessExpiry(value string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.access[value]
	if t == nil {
		return time.Time{}, false
	}
	return t.expires, true
}

// RefreshLive reports whether a refresh token the fakes issued can still be
// used: not retired by rotation, revoked or expired.
func (s *Server) RefreshLive(value string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refresh[value].valid(s.now())
}

// revokeFamilyLocked revokes every token issued from one authorization, as
// RFC 6749 §4.1.2 asks when a code is used twice.
func (s *Server) revokeFamilyLocked(family int) {
	for _, m := range []map[string]*token{s.access, s.refresh} {
		for _, t := range m {
			if t.family == family {
				t.revoked = true
			}
		}
	}
}

// bearer checks the bearer token of r for provider (RFC 6750). It writes
// the 401 and returns false when there is none or it does not work.
func (s *Server) bearer(w http.ResponseWriter, r *http.Request, provider string) (*token, bool) {
	auth := r.Header.Get("Authorization")
	scheme, value, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(value) == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+provider+`"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized", "error_description": "a bearer token is required"})
		return nil, false
	}
	value = strings.TrimSpace(value)
	s.mu.Lock()
	t := s.access[value]
	ok = t != nil && t.provider == provider && t.valid(s.now())
	var why string
	switch {
	case t == nil || t.provider != provider:
		why = "unknown token"
	case t.revoked:
		why = "token revoked"
	case !ok:
		why = "token expired"
	}
	s.mu.Unlock()
	if !ok {
		invalidToken(w, provider, why)
		return nil, false
	}
	return t, true
}

func invalidToken(w http.ResponseWriter, realm, why string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q, error="invalid_token", error_description=%q`, realm, why))
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": why})
}
