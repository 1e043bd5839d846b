// Package oidc verifies OpenID Connect ID tokens (OIDC Core 1.0 §3.1.3.7)
// against the issuer's JSON Web Key Set, which it caches per process.
//
// It does no I/O of its own: the caller hands Verify a Fetch that reads the
// JWKS with its own HTTP client, deadlines and size cap, and the time.
package oidc

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"tokentop/flows/redact"
)

// Skew is the clock difference tolerated between tokentop and the issuer
// for exp and iat.
const Skew = time.Minute

// maxIDToken caps the compact JWS read: ID tokens are a few kilobytes.
const maxIDToken = 64 << 10

// asymmetric are the signature algorithms accepted from a JWKS (RFC 7518
// §3.1, RFC 8037): never "none", never HS* unless Expect.Secret is set.
var asymmetric = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

var symmetric = []jose.SignatureAlgorithm{jose.HS256, jose.HS384, jose.HS512}

// Expect is what an ID token must match.
type Expect struct {
	// Issuer is the connection's issuer; iss must equal it exactly (OIDC
	// Core §3.1.3.7 step 2).
	Issuer string
	// ClientID must be in aud, and be azp when aud names several (steps 3–5).
	ClientID string
	// Nonce is the nonce sent in the authorization request; "" on a
	// refresh, where none is checked (§12.2).
	Nonce string
	// Secret is the client secret, when one is configured: it makes HS256,
	// HS384 and HS512 acceptable, with it as the key (§10.1). Empty, those
	// are refused.
	Secret string
	// Now is the time to check exp and iat against.
	Now time.Time
}

// Error is a verification that failed; Check names what failed, in words
// ("id_token nonce does not match").
type Error struct{ Check string }

func (e *Error) Error() string { return e.Check }

func refuse(format string, a ...any) error { return &Error{Check: fmt.Sprintf(format, a...)} }

// Verify checks the compact JWS raw as an ID token of exp: its signature
// with a key of ks (fetched with fetch when needed), then iss, aud, azp, exp,
// iat and nonce. It returns the token's displayable claims (see Claims). No
// part of raw appears in an error.
func Verify(ctx context.Context, raw string, ks *KeySet, fetch Fetch, exp Expect) (map[string]string, error) {
	if len(raw) > maxIDToken {
		return nil, refuse("id_token is too large")
	}
	alg, kid, err := header(raw)
	if err != nil {
		return nil, err
	}
	algs := asymmetric
	var keys []any
	switch {
	case alg == "none":
		return nil, refuse("id_token is unsigned (alg none)")
	case strings.HasPrefix(alg, "HS") && exp.Secret == "":
		return nil, refuse("id_token is signed with %s, a shared-secret algorithm, and no client_secret is configured", clean(alg, 8))
	case strings.HasPrefix(alg, "HS"):
		algs = symmetric
		keys = []any{[]byte(exp.Secret)}
	default:
		if !allowed(asymmetric, alg) {
			return nil, refuse("id_token alg %q is not supported", clean(alg, 16))
		}
		cands, err := ks.candidates(ctx, kid, alg, exp.Now, fetch)
		if err != nil {
			return nil, err
		}
		for _, k := range cands {
			keys = append(keys, k)
		}
	}
	jws, err := jose.ParseSignedCompact(raw, algs)
	if err != nil {
		return nil, refuse("id_token is not a valid JWS")
	}
	var payload []byte
	for _, k := range keys {
		if payload, err = jws.Verify(k); err == nil {
			break
		}
	}
	if payload == nil {
		return nil, refuse("id_token signature is not valid")
	}
	return checkClaims(payload, exp)
}

// header reads alg and kid from the protected header of a compact JWS.
func header(raw string) (alg, kid string, err error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", "", refuse("id_token is not a compact JWS")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return "", "", refuse("id_token header is not base64url")
	}
	var h struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if json.Unmarshal(b, &h) != nil {
		return "", "", refuse("id_token header is not JSON")
	}
	if h.Alg == "" {
		return "", "", refuse("id_token header has no alg")
	}
	return h.Alg, h.Kid, nil
}

func allowed(list []jose.SignatureAlgorithm, alg string) bool {
	for _, a := range list {
		if string(a) == alg {
			return true
		}
	}
	return false
}

// claims are the members of an ID token tokentop reads (OIDC Core §2,
// §5.1).
type claims struct {
	Iss      string      `json:"iss"`
	Sub      string      `json:"sub"`
	Aud      audience    `json:"aud"`
	Azp      string      `json:"azp"`
	Exp      json.Number `json:"exp"`
	Iat      json.Number `json:"iat"`
	Nonce    *string     `json:"nonce"`
	AuthTime json.Number `json:"auth_time"`
	Email    string      `json:"email"`
	Name     string      `json:"name"`
	Username string      `json:"preferred_username"`
}

// audience is aud: one string or an array of them (RFC 7519 §4.1.3).
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*a = audience{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	*a = l
	return nil
}

func checkClaims(payload []byte, exp Expect) (map[string]string, error) {
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, refuse("id_token claims are not valid JSON claims")
	}
	if c.Iss != exp.Issuer {
		return nil, refuse("id_token iss is not the connection's issuer")
	}
	if c.Sub == "" {
		return nil, refuse("id_token has no sub")
	}
	found := false
	for _, a := range c.Aud {
		found = found || a == exp.ClientID
	}
	if !found {
		return nil, refuse("id_token aud does not name the client")
	}
	if (len(c.Aud) > 1 || c.Azp != "") && c.Azp != exp.ClientID {
		return nil, refuse("id_token azp is not the client")
	}
	expAt, ok := numericDate(c.Exp)
	if !ok {
		return nil, refuse("id_token has no valid exp")
	}
	if !exp.Now.Before(expAt.Add(Skew)) {
		return nil, refuse("id_token has expired")
	}
	iat, ok := numericDate(c.Iat)
	if !ok {
		return nil, refuse("id_token has no valid iat")
	}
	if iat.After(exp.Now.Add(Skew)) {
		return nil, refuse("id_token iat is in the future")
	}
	if exp.Nonce != "" {
		switch {
		case c.Nonce == nil:
			return nil, refuse("id_token has no nonce")
		case subtle.ConstantTimeCompare([]byte(*c.Nonce), []byte(exp.Nonce)) != 1:
			return nil, refuse("id_token nonce does not match")
		}
	}
	out := map[string]string{
		"iss": clean(c.Iss, 200),
		"sub": clean(c.Sub, 200),
		"aud": clean(strings.Join(c.Aud, " "), 200),
		"exp": expAt.UTC().Format(time.RFC3339),
	}
	if at, ok := numericDate(c.AuthTime); ok {
		out["auth_time"] = at.UTC().Format(time.RFC3339)
	}
	for k, v := range map[string]string{"email": c.Email, "name": c.Name, "preferred_username": c.Username} {
		if v = clean(v, 200); v != "" {
			out[k] = v
		}
	}
	return out, nil
}

// numericDate reads a NumericDate (RFC 7519 §2): seconds, maybe with a
// fraction, within a sane range.
func numericDate(n json.Number) (time.Time, bool) {
	if n == "" {
		return time.Time{}, false
	}
	v, err := n.Float64()
	if err != nil || math.IsNaN(v) || v < 0 || v > 1e11 {
		return time.Time{}, false
	}
	return time.Unix(int64(v), 0), true
}

// clean makes claim text safe for a terminal and a line of text.
func clean(s string, n int) string { return redact.Clean(nil, s, n) }
