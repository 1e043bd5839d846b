package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

var testNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

const (
	testIssuer = "https://id.example"
	testClient = "cli"
	testNonce  = "n-0S6_WzA2Mj"
	testSecret = "a client secret of at least thirty-two bytes"
)

// edKey is a fixed Ed25519 key, so the fuzz targets have one JWKS.
var edKey = ed25519.NewKeyFromSeed([]byte("tokentop oidc test key seed 0001"))

// sign makes a compact JWS of claims with key under alg and kid.
func sign(t testing.TB, key any, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	obj, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func goodClaims() map[string]any {
	return map[string]any{"iss": testIssuer, "sub": "u-1", "aud": testClient, "exp": testNow.Add(time.Hour).Unix(),
		"iat": testNow.Unix(), "nonce": testNonce, "email": "u@example.com\x1b[31m"}
}

func jwks(t testing.TB, keys ...jose.JSONWebKey) []byte {
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// served is a Fetch that answers doc and counts its calls.
type served struct {
	doc   []byte
	calls int
}

func (s *served) fetch(context.Context, string) ([]byte, error) {
	s.calls++
	return s.doc, nil
}

func expect() Expect {
	return Expect{Issuer: testIssuer, ClientID: testClient, Nonce: testNonce, Now: testNow}
}

// TestVerifyAlgorithms: the asymmetric algorithms of the JWKS's keys are
// accepted, HS256 only with a configured client secret, none never; a key
// of another type under the same kid does not verify.
func TestVerifyAlgorithms(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	set := jwks(t,
		jose.JSONWebKey{Key: edKey.Public(), KeyID: "ed", Use: "sig"},
		jose.JSONWebKey{Key: ec.Public(), KeyID: "ec", Algorithm: "ES256"},
	)
	tests := map[string]struct {
		raw    string
		secret string
		err    string
	}{
		"EdDSA":              {raw: sign(t, edKey, jose.EdDSA, "ed", goodClaims())},
		"ES256":              {raw: sign(t, ec, jose.ES256, "ec", goodClaims())},
		"ES256 without kid":  {raw: sign(t, ec, jose.ES256, "", goodClaims())},
		"HS256 with secret":  {raw: sign(t, []byte(testSecret), jose.HS256, "", goodClaims()), secret: testSecret},
		"HS256, no secret":   {raw: sign(t, []byte(testSecret), jose.HS256, "", goodClaims()), err: "id_token is signed with HS256, a shared-secret algorithm, and no client_secret is configured"},
		"HS256, wrong":       {raw: sign(t, []byte(testSecret+"x"), jose.HS256, "", goodClaims()), secret: testSecret, err: "id_token signature is not valid"},
		"EC key under ed id": {raw: sign(t, ec, jose.ES256, "ed", goodClaims()), err: `id_token key kid "ed" is not in the issuer's JWKS`},
		"other Ed25519 key":  {raw: sign(t, ed25519.NewKeyFromSeed(make([]byte, 32)), jose.EdDSA, "ed", goodClaims()), err: "id_token signature is not valid"},
		"none":               {raw: "eyJhbGciOiJub25lIn0." + strings.Split(sign(t, edKey, jose.EdDSA, "ed", goodClaims()), ".")[1] + ".", err: "id_token is unsigned (alg none)"},
		"not a JWS":          {raw: "abc.def", err: "id_token is not a compact JWS"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			src := &served{doc: set}
			ex := expect()
			ex.Secret = tc.secret
			claims, err := Verify(context.Background(), tc.raw, &KeySet{url: "u"}, src.fetch, ex)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if claims["sub"] != "u-1" || claims["email"] != "u@example.com[31m" && !strings.HasPrefix(claims["email"], "u@example.com") {
					t.Fatalf("claims %q", claims)
				}
				if strings.ContainsRune(claims["email"], '\x1b') {
					t.Fatal("a control character reached the claims")
				}
				return
			}
			var ve *Error
			if err == nil || err.Error() != tc.err || !errors.As(err, &ve) {
				t.Fatalf("error %v, want %s", err, tc.err)
			}
		})
	}
}

// TestVerifyClaims: each check of OIDC Core §3.1.3.7 with the skew.
func TestVerifyClaims(t *testing.T) {
	tests := map[string]struct {
		change func(c map[string]any)
		nonce  string
		err    string
	}{
		"good":                   {change: func(map[string]any) {}},
		"expired within skew":    {change: func(c map[string]any) { c["exp"] = testNow.Add(-59 * time.Second).Unix() }},
		"expired past skew":      {change: func(c map[string]any) { c["exp"] = testNow.Add(-Skew).Unix() }, err: "id_token has expired"},
		"iat within skew":        {change: func(c map[string]any) { c["iat"] = testNow.Add(Skew).Unix() }},
		"iat past skew":          {change: func(c map[string]any) { c["iat"] = testNow.Add(Skew + time.Second).Unix() }, err: "id_token iat is in the future"},
		"no exp":                 {change: func(c map[string]any) { delete(c, "exp") }, err: "id_token has no valid exp"},
		"no iat":                 {change: func(c map[string]any) { delete(c, "iat") }, err: "id_token has no valid iat"},
		"iss with slash":         {change: func(c map[string]any) { c["iss"] = testIssuer + "/" }, err: "id_token iss is not the connection's issuer"},
		"no sub":                 {change: func(c map[string]any) { delete(c, "sub") }, err: "id_token has no sub"},
		"aud array":              {change: func(c map[string]any) { c["aud"] = []string{"x", testClient}; c["azp"] = testClient }},
		"aud array without azp":  {change: func(c map[string]any) { c["aud"] = []string{"x", testClient} }, err: "id_token azp is not the client"},
		"azp of another":         {change: func(c map[string]any) { c["azp"] = "x" }, err: "id_token azp is not the client"},
		"aud of another":         {change: func(c map[string]any) { c["aud"] = "x" }, err: "id_token aud does not name the client"},
		"aud not a string":       {change: func(c map[string]any) { c["aud"] = 7 }, err: "id_token claims are not valid JSON claims"},
		"nonce of another":       {change: func(c map[string]any) { c["nonce"] = testNonce + "x" }, err: "id_token nonce does not match"},
		"no nonce":               {change: func(c map[string]any) { delete(c, "nonce") }, err: "id_token has no nonce"},
		"refresh: no nonce":      {change: func(c map[string]any) { delete(c, "nonce") }, nonce: "-"},
		"refresh: another nonce": {change: func(c map[string]any) { c["nonce"] = "x" }, nonce: "-"},
	}
	set := jwks(t, jose.JSONWebKey{Key: edKey.Public(), KeyID: "ed"})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := goodClaims()
			tc.change(c)
			ex := expect()
			if tc.nonce == "-" {
				ex.Nonce = ""
			}
			_, err := Verify(context.Background(), sign(t, edKey, jose.EdDSA, "ed", c), &KeySet{url: "u"}, (&served{doc: set}).fetch, ex)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || err.Error() != tc.err) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
		})
	}
}

// TestKeySetRefetch: an unknown kid refetches the set once, and not again
// within MinRefetch; a failed fetch is not cached.
func TestKeySetRefetch(t *testing.T) {
	old := jose.JSONWebKey{Key: ed25519.NewKeyFromSeed(make([]byte, 32)).Public(), KeyID: "old"}
	src := &served{doc: jwks(t, old)}
	ks := &KeySet{url: "u"}
	raw := sign(t, edKey, jose.EdDSA, "new", goodClaims())
	ex := expect()
	if _, err := Verify(context.Background(), raw, ks, src.fetch, ex); err == nil || src.calls != 2 {
		t.Fatalf("unknown kid: %v after %d fetches, want an error after 2", err, src.calls)
	}
	src.doc = jwks(t, old, jose.JSONWebKey{Key: edKey.Public(), KeyID: "new"})
	ex.Now = ex.Now.Add(MinRefetch - time.Second)
	if _, err := Verify(context.Background(), raw, ks, src.fetch, ex); err == nil || src.calls != 2 {
		t.Fatalf("within MinRefetch: %v after %d fetches, want an error after 2", err, src.calls)
	}
	ex.Now = ex.Now.Add(time.Second)
	if _, err := Verify(context.Background(), raw, ks, src.fetch, ex); err != nil || src.calls != 3 {
		t.Fatalf("after MinRefetch: %v after %d fetches, want success after 3", err, src.calls)
	}
	failing := func(context.Context, string) ([]byte, error) { return nil, errors.New("HTTP 503") }
	ks2 := &KeySet{url: "u"}
	if _, err := Verify(context.Background(), raw, ks2, failing, ex); err == nil || err.Error() != "id_token cannot be verified: jwks_uri: HTTP 503" {
		t.Fatalf("failed fetch: %v", err)
	}
	if _, err := Verify(context.Background(), raw, ks2, (&served{doc: src.doc}).fetch, ex); err != nil {
		t.Fatalf("after a failed fetch: %v", err)
	}
}

// TestParseJWKS: unusable members are skipped, private halves dropped.
func TestParseJWKS(t *testing.T) {
	priv, _ := json.Marshal(jose.JSONWebKey{Key: edKey, KeyID: "priv"})
	doc := `{"keys":[{"kty":"oct","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA","kid":"hmac"},` +
		`{"kty":"XYZ","kid":"unknown"},{"kty":"RSA","kid":"broken","n":"!!","e":"AQAB"},` +
		`{"kty":"OKP","crv":"Ed25519","kid":"enc","use":"enc","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},` + string(priv) + `]}`
	keys, err := ParseJWKS([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].KeyID != "priv" || !keys[0].IsPublic() {
		t.Fatalf("keys %v", keys)
	}
	if _, ok := keys[0].Key.(ed25519.PublicKey); !ok {
		t.Fatalf("key %T", keys[0].Key)
	}
	for _, bad := range []string{`{"keys":[]}`, `[]`, `{"keys":[{"kty":"oct","k":"AAAA"}]}`, strings.Repeat(" ", MaxJWKS+1)} {
		if _, err := ParseJWKS([]byte(bad)); err == nil {
			t.Errorf("ParseJWKS(%.40q) accepted", bad)
		}
	}
}

var _ crypto.Signer = edKey
