package providertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The OAuth 2.0 server is an OpenID Connect provider too: a token answer
// for a grant whose scope has openid carries an id_token (OIDC Core
// §3.1.3.3), signed ES256 with a key its JWKS publishes. It is signed here
// with the standard library alone, so that tokentop's verifier (go-jose) is
// checked against an implementation it does not share.

// oauth2JWKSPath is the jwks_uri of the OAuth 2.0 server (OIDC Discovery §3).
const oauth2JWKSPath = oauth2IssuerPath + "/jwks"

// BogusKid is the kid of an IDUnknownKid token: no JWKS has it.
const BogusKid = "bogus-kid"

// IDTokenLifetime is how long the OAuth 2.0 server's ID tokens are valid.
const IDTokenLifetime = time.Hour

// IDTokenFault is a way the OAuth 2.0 server's next ID token is wrong, as a
// broken or hostile provider's would be.
type IDTokenFault string

// Faults of the claims (OIDC Core §3.1.3.7 steps 2–3, 9–11).
const (
	IDWrongNonce IDTokenFault = "wrong nonce"
	IDNoNonce    IDTokenFault = "no nonce"
	IDWrongAud   IDTokenFault = "wrong aud"
	IDSeveralAud IDTokenFault = "several aud without azp"
	IDWrongIss   IDTokenFault = "wrong iss"
)

// IDOtherSub names another subject: a renewal's ID token must name the
// sign-in's (OIDC Core §12.2).
const IDOtherSub IDTokenFault = "other sub"

// Faults of the times (exp in the past, iat in the future).
const (
	IDExpired   IDTokenFault = "expired"
	IDFutureIat IDTokenFault = "iat in the future"
)

// Faults of the signature: a kid no JWKS has, no signature at all, a
// shared-secret algorithm, a signature that does not verify.
const (
	IDUnknownKid   IDTokenFault = "unknown kid"
	IDAlgNone      IDTokenFault = "alg none"
	IDHS256        IDTokenFault = "HS256 with the client secret"
	IDBadSignature IDTokenFault = "bad signature"
)

// idKey is a signing key of the OAuth 2.0 server.
type idKey struct {
	kid string
	key *ecdsa.PrivateKey
}

// idTokens is the OpenID Connect state of a Server, under Server.mu.
type idTokens struct {
	keys   []idKey // published in the JWKS; the last one signs
	faults []IDTokenFault
}

// IDTokenNext makes the next n ID tokens of the OAuth 2.0 server wrong in
// the way f says.
func (s *Server) IDTokenNext(n int, f IDTokenFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.idt.faults = append(s.idt.faults, f)
	}
}

// RotateIDKey replaces the OAuth 2.0 server's signing key with a new one,
// under a new kid: the JWKS publishes only the new key from now on.
func (s *Server) RotateIDKey() {
	k := newIDKey()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.idt.keys = []idKey{k}
}

// JWKSRequests counts the requests for the OAuth 2.0 server's JWKS.
func (s *Server) JWKSRequests() int {
	n := 0
	for _, r := range s.Requests(OAuth2) {
		if r.Path == oauth2JWKSPath {
			n++
		}
	}
	return n
}

// newIDKey makes a P-256 key: quick to make, unlike an RSA key, so a token
// answer under a short deadline never waits for it.
func newIDKey() idKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic("providertest: " + err.Error())
	}
	return idKey{kid: "k-" + randHex(4), key: k}
}

// signingKeyLocked returns the current signing key, made on first use.
func (s *Server) signingKeyLocked() idKey {
	if len(s.idt.keys) == 0 {
		s.idt.keys = []idKey{newIDKey()}
	}
	return s.idt.keys[len(s.idt.keys)-1]
}

func (s *Server) oauth2JWKS(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.signingKeyLocked()
	keys := slices.Clone(s.idt.keys)
	s.mu.Unlock()
	var set []map[string]string
	for _, k := range keys {
		x, y := make([]byte, 32), make([]byte, 32)
		set = append(set, map[string]string{
			"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": k.kid,
			"x": b64(k.key.X.FillBytes(x)), "y": b64(k.key.Y.FillBytes(y)),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": set})
}

// answerOIDC is answerTokens with an id_token when the grant's scope asks
// for openid. nonce is the authorization request's, sent back only in the
// answer to the code (OIDC Core §3.1.3.6; §12.2: none on a refresh).
func (s *Server) answerOIDC(w http.ResponseWriter, g grant, withRefresh bool, nonce string) {
	s.mu.Lock()
	at, rt, life := s.issueLocked(g, withRefresh)
	idt := ""
	if slices.Contains(strings.Fields(g.scope), "openid") {
		idt = s.idTokenLocked(g, nonce)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: at, TokenType: "Bearer", ExpiresIn: seconds(life), RefreshToken: rt, Scope: g.scope, Aud: audience(g.resource), IDToken: idt})
}

// idTokenLocked makes the ID token of g, with the next queued fault.
func (s *Server) idTokenLocked(g grant, nonce string) string {
	var f IDTokenFault
	if len(s.idt.faults) > 0 {
		f, s.idt.faults = s.idt.faults[0], s.idt.faults[1:]
	}
	now := s.now()
	c := map[string]any{
		"iss": s.URL + oauth2IssuerPath, "sub": g.user, "aud": g.client,
		"exp": now.Add(IDTokenLifetime).Unix(), "iat": now.Unix(), "auth_time": now.Unix(),
		"email": g.user, "name": "Dev Eloper", "preferred_username": g.user,
	}
	if nonce != "" {
		c["nonce"] = nonce
	}
	switch f {
	case IDWrongNonce:
		c["nonce"] = "not-the-nonce-" + randHex(8)
	case IDNoNonce:
		delete(c, "nonce")
	case IDWrongAud:
		c["aud"] = "another-client"
	case IDSeveralAud:
		c["aud"] = []string{g.client, "another-client"}
	case IDWrongIss:
		c["iss"] = s.URL + "/elsewhere"
	case IDOtherSub:
		c["sub"] = "someone-else"
	case IDExpired:
		c["exp"] = now.Add(-2 * time.Minute).Unix()
		c["iat"] = now.Add(-time.Hour).Unix()
	case IDFutureIat:
		c["iat"] = now.Add(10 * time.Minute).Unix()
	}
	k := s.signingKeyLocked()
	h := map[string]string{"alg": "ES256", "kid": k.kid, "typ": "JWT"}
	switch f {
	case IDUnknownKid:
		h["kid"] = BogusKid
	case IDAlgNone:
		h = map[string]string{"alg": "none", "typ": "JWT"}
	case IDHS256:
		h = map[string]string{"alg": "HS256", "typ": "JWT"}
	}
	hb, _ := json.Marshal(h)
	cb, _ := json.Marshal(c)
	input := b64(hb) + "." + b64(cb)
	var sig []byte
	switch f {
	case IDAlgNone:
	case IDHS256:
		m := hmac.New(sha256.New, []byte(s.oauthClients[g.client]))
		m.Write([]byte(input))
		sig = m.Sum(nil)
	default:
		// RFC 7518 §3.4: R and S, 32 bytes each, not ASN.1.
		d := sha256.Sum256([]byte(input))
		r, ss, _ := ecdsa.Sign(rand.Reader, k.key, d[:])
		sig = append(r.FillBytes(make([]byte, 32)), ss.FillBytes(make([]byte, 32))...)
		if f == IDBadSignature {
			sig[len(sig)-1] ^= 1
		}
	}
	return input + "." + b64(sig)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
