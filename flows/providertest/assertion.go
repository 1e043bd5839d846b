package providertest

import (
	"net/http"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// JWTBearerAssertion is the client_assertion_type of RFC 7523 §2.2.
const JWTBearerAssertion = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// maxAssertionLife is the longest exp-iat the OAuth 2.0 server accepts:
// RFC 7523 §3 lets a server refuse an exp "unreasonably far in the future".
const maxAssertionLife = 5 * time.Minute

// assertionClient authenticates the client of a token, revoke or device
// request by its client_assertion (RFC 7523 §2.2, §3): a private_key_jwt
// client of Options.OAuth2ClientKeys by a signature of its key (RS256,
// ES256 or EdDSA), any other confidential client by HS256 under its secret
// (client_secret_jwt, OpenID Connect Core 1.0 §9). iss and sub must be the
// client id, aud the token endpoint URL, exp in the future and at most five
// minutes after iat, and the jti new: a replayed one is invalid_client.
// No other client authentication may come with it (RFC 6749 §2.3).
func (s *Server) assertionClient(w http.ResponseWriter, r *http.Request) (client string, ok bool) {
	f := r.PostForm
	fail := func(desc string) (string, bool) {
		invalidClient(w, desc, false)
		return "", false
	}
	if _, _, basic := r.BasicAuth(); basic || f.Has("client_secret") {
		oauthError(w, http.StatusBadRequest, "invalid_request", "client authenticated both with an assertion and a secret")
		return "", false
	}
	if f.Get("client_assertion_type") != JWTBearerAssertion {
		return fail("unsupported client_assertion_type")
	}
	tok, err := jwt.ParseSigned(f.Get("client_assertion"), []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA, jose.HS256})
	if err != nil {
		return fail("client_assertion is not a signed JWT")
	}
	var peek jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&peek); err != nil {
		return fail("client_assertion has no claims")
	}
	client = f.Get("client_id")
	if client == "" {
		client = peek.Subject // RFC 7523 §3: client_id is optional
	}
	var key any
	if pub, ok := s.opts.OAuth2ClientKeys[client]; ok {
		if tok.Headers[0].Algorithm == string(jose.HS256) {
			return fail("the client authenticates with private_key_jwt")
		}
		key = pub
	} else if secret := s.oauthClients[client]; secret != "" {
		if tok.Headers[0].Algorithm != string(jose.HS256) {
			return fail("the client authenticates with client_secret_jwt (HS256)")
		}
		key = []byte(secret)
	} else {
		return fail("unknown client")
	}
	var c jwt.Claims
	if err := tok.Claims(key, &c); err != nil {
		return fail("client_assertion signature does not verify")
	}
	now := s.now()
	switch {
	case c.Issuer != client || c.Subject != client:
		return fail("client_assertion iss and sub must be the client id")
	case !slices.Contains([]string(c.Audience), s.URL+oauth2TokenPath):
		return fail("client_assertion aud is not the token endpoint")
	case c.Expiry == nil || !now.Before(c.Expiry.Time()):
		return fail("client_assertion has expired")
	case c.IssuedAt == nil || c.Expiry.Time().Sub(c.IssuedAt.Time()) > maxAssertionLife:
		return fail("client_assertion lives longer than five minutes")
	case c.NotBefore != nil && now.Before(c.NotBefore.Time()):
		return fail("client_assertion is not valid yet")
	case c.ID == "":
		return fail("client_assertion has no jti")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jtis == nil {
		s.jtis = map[string]time.Time{}
	}
	if _, seen := s.jtis[c.ID]; seen {
		return fail("client_assertion jti was used before")
	}
	s.jtis[c.ID] = c.Expiry.Time()
	return client, true
}
