package oauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"tokentop/flows"
	"tokentop/flows/oauth/clientauth"
	"tokentop/flows/providertest"
	"tokentop/flows/secret"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
)

// hsSecret is a client secret long enough for HS256 (RFC 7518 §3.2).
const hsSecret = "hs256-client-secret-0123456789abcdef"

var (
	jwtKeysOnce sync.Once
	jwtKeys     map[string]crypto.Signer // "rsa", "ec", "ed", "rsa1024"
)

// testKey returns a generated key of kind and a file: secret holding it
// as PKCS#8 PEM.
func testKey(t *testing.T, kind string) (crypto.Signer, secret.Secret) {
	t.Helper()
	jwtKeysOnce.Do(func() {
		r, err1 := rsa.GenerateKey(rand.Reader, 2048)
		short, err2 := rsa.GenerateKey(rand.Reader, 1024)
		ec, err3 := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		_, ed, err4 := ed25519.GenerateKey(rand.Reader)
		for _, err := range []error{err1, err2, err3, err4} {
			if err != nil {
				panic(err)
			}
		}
		jwtKeys = map[string]crypto.Signer{"rsa": r, "rsa1024": short, "ec": ec, "ed": ed}
	})
	k := jwtKeys[kind]
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), kind+".pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return k, secret.New("file:" + path)
}

// verifiedClaims checks the client assertion of one request against key
// and the claims RFC 7523 §3 asks for, and returns its jti.
func verifiedClaims(t *testing.T, f url.Values, key any, alg jose.SignatureAlgorithm, kid, clientID, aud string, now time.Time) string {
	t.Helper()
	if got := f.Get("client_assertion_type"); got != clientauth.AssertionType {
		t.Errorf("client_assertion_type %q", got)
	}
	tok, err := josejwt.ParseSigned(f.Get("client_assertion"), []jose.SignatureAlgorithm{alg})
	if err != nil {
		t.Fatalf("client_assertion: %v", err)
	}
	if h := tok.Headers[0]; h.KeyID != kid {
		t.Errorf("kid %q, want %q", h.KeyID, kid)
	}
	var c josejwt.Claims
	if err := tok.Claims(key, &c); err != nil {
		t.Fatalf("client_assertion signature: %v", err)
	}
	if c.Issuer != clientID || c.Subject != clientID || len(c.Audience) != 1 || c.Audience[0] != aud {
		t.Errorf("iss %q sub %q aud %q, want %q, %q, [%q]", c.Issuer, c.Subject, c.Audience, clientID, clientID, aud)
	}
	if c.IssuedAt == nil || !c.IssuedAt.Time().Equal(now) || c.Expiry == nil || !c.Expiry.Time().Equal(now.Add(2*time.Minute)) {
		t.Errorf("iat %v exp %v, want %v and two minutes later", c.IssuedAt, c.Expiry, now)
	}
	if len(c.ID) != 32 {
		t.Errorf("jti %q: want 128 random bits in hex", c.ID)
	}
	return c.ID
}

// jwtCalls are every request on which the client authenticates.
var jwtCalls = map[string]struct {
	flow   flows.Flow
	answer string
	fields []string // the form fields besides client authentication
	call   func(e *endpoint) error
}{
	"client_credentials": {flows.ClientCredentials, okToken, []string{"grant_type", "scope"}, func(e *endpoint) error {
		_, err := e.ClientCredentials(context.Background())
		return err
	}},
	"password": {flows.Password, okToken, []string{"grant_type", "username", "password", "scope"}, func(e *endpoint) error {
		_, err := e.Password(context.Background(), "dev", "user-password-1")
		return err
	}},
	"authorization_code": {flows.AuthorizationCode, okToken, []string{"grant_type", "code", "redirect_uri", "code_verifier"}, func(e *endpoint) error {
		_, err := e.ExchangeCode(context.Background(), e.Connection().TokenURL, "code-1", "http://127.0.0.1:5555/cb", "verifier-0123456789-0123456789-0123456789-x", "")
		return err
	}},
	"refresh_token": {flows.AuthorizationCode, okToken, []string{"grant_type", "refresh_token"}, func(e *endpoint) error {
		_, err := e.Refresh(context.Background(), "old-refresh-token")
		return err
	}},
	"device authorization": {flows.DeviceCode, `{"device_code":"dc-1","user_code":"ABCD-EFGH","verification_uri":"https://id.example/activate","expires_in":600}`, []string{"scope"}, func(e *endpoint) error {
		_, err := e.DeviceAuth(context.Background())
		return err
	}},
	"device poll": {flows.DeviceCode, okToken, []string{"grant_type", "device_code"}, func(e *endpoint) error {
		_, err := e.DevicePoll(context.Background(), &flows.DeviceAuth{DeviceCode: "dc-1", Interval: 1})
		return err
	}},
	"revocation": {flows.AuthorizationCode, `{}`, []string{"token", "token_type_hint"}, func(e *endpoint) error {
		return e.revokeOne(context.Background(), e.Connection().RevokeURL, "refresh-token-1", "refresh_token")
	}},
}

// TestAssertionOnEveryRequest: with private_key_jwt or client_secret_jwt,
// every request the client authenticates carries client_id,
// client_assertion_type and a client_assertion signed for the token
// endpoint (RFC 7523 §2.2, §3), and neither a secret nor a Basic header.
func TestAssertionOnEveryRequest(t *testing.T) {
	methods := map[string]struct {
		auth flows.ClientAuth
		kind string // testKey kind; "" for client_secret_jwt
		alg  jose.SignatureAlgorithm
		kid  string
	}{
		"private_key_jwt RS256": {flows.ClientAuthPrivateKeyJWT, "rsa", jose.RS256, "key-2026-11"},
		"private_key_jwt ES256": {flows.ClientAuthPrivateKeyJWT, "ec", jose.ES256, ""},
		"private_key_jwt EdDSA": {flows.ClientAuthPrivateKeyJWT, "ed", jose.EdDSA, "ed-1"},
		"client_secret_jwt":     {flows.ClientAuthClientSecretJWT, "", jose.HS256, ""},
	}
	for mname, m := range methods {
		jtis := map[string]string{}
		for cname, tc := range jwtCalls {
			t.Run(mname+"/"+cname, func(t *testing.T) {
				srv := newRecorder(t, answer(200, tc.answer))
				c := flows.Connection{Provider: flows.OAuth2, Flow: tc.flow, ClientID: "cid", ClientAuth: m.auth, KeyID: m.kid,
					TokenURL: srv.URL + "/token", DeviceURL: srv.URL + "/device", RevokeURL: srv.URL + "/revoke", Scopes: []string{"openid"}}
				var verify any = []byte(hsSecret)
				if m.kind != "" {
					k, s := testKey(t, m.kind)
					c.PrivateKey, verify = s, k.Public()
				} else {
					c.ClientSecret = secret.New(hsSecret)
				}
				te := newTestEndpoint(t, &c)
				if err := tc.call(te.endpoint); err != nil {
					t.Fatal(err)
				}
				r := srv.last(t)
				if h := r.Header.Get("Authorization"); h != "" {
					t.Errorf("Authorization header %q next to the assertion", h)
				}
				f := form(t, r)
				want := append([]string{"client_id", "client_assertion_type", "client_assertion"}, tc.fields...)
				if len(f) != len(want) {
					t.Errorf("form fields %d, want exactly %q: %s", len(f), want, r.Body)
				}
				for _, k := range want {
					if len(f[k]) != 1 {
						t.Errorf("form %s = %q, want one value", k, f[k])
					}
				}
				if f.Get("client_id") != "cid" || f.Has("client_secret") {
					t.Errorf("client_id %q client_secret %q", f.Get("client_id"), f.Get("client_secret"))
				}
				jti := verifiedClaims(t, f, verify, m.alg, m.kid, "cid", srv.URL+"/token", testNow)
				if other, dup := jtis[jti]; dup {
					t.Errorf("jti of %s repeats %s's", cname, other)
				}
				jtis[jti] = cname
				assertNoSecrets(t, "debug log", te.logBuf.String(), f.Get("client_assertion"), hsSecret)
			})
		}
	}
}

// TestAssertionFreshPerRetry: a retried client_credentials grant or refresh
// signs a new assertion for every attempt, so no jti goes out twice (RFC
// 7523 §3: the server may refuse a jti it has seen).
func TestAssertionFreshPerRetry(t *testing.T) {
	seq := func(first func(http.ResponseWriter, *http.Request, []byte)) func(http.ResponseWriter, *http.Request, []byte) {
		var mu sync.Mutex
		n := 0
		return func(w http.ResponseWriter, r *http.Request, b []byte) {
			mu.Lock()
			n++
			i := n
			mu.Unlock()
			if i == 1 {
				first(w, r, b)
				return
			}
			answer(200, okToken)(w, r, b)
		}
	}
	for name, tc := range map[string]struct {
		first func(http.ResponseWriter, *http.Request, []byte)
		call  func(e *endpoint) error
	}{
		"client_credentials after 503":    {answer(503, `{"error":"temporarily_unavailable"}`), jwtCalls["client_credentials"].call},
		"client_credentials after hangup": {hangup, jwtCalls["client_credentials"].call},
		"refresh after hangup":            {hangup, jwtCalls["refresh_token"].call},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newRecorder(t, seq(tc.first))
			k, s := testKey(t, "ec")
			te := newTestEndpoint(t, &flows.Connection{Provider: flows.OAuth2, ClientID: "cid", ClientAuth: flows.ClientAuthPrivateKeyJWT,
				PrivateKey: s, TokenURL: srv.URL + "/token"})
			if err := tc.call(te.endpoint); err != nil {
				t.Fatal(err)
			}
			reqs := srv.requests()
			if len(reqs) != 2 {
				t.Fatalf("%d requests, want 2", len(reqs))
			}
			a := verifiedClaims(t, form(t, reqs[0]), k.Public(), jose.ES256, "", "cid", srv.URL+"/token", testNow)
			b := verifiedClaims(t, form(t, reqs[1]), k.Public(), jose.ES256, "", "cid", srv.URL+"/token", testNow)
			if a == b {
				t.Fatalf("the retry sent the jti %s again", a)
			}
		})
	}
}

// TestAssertionKeyProblems: a key that cannot sign stops the request
// before it is sent, with an error that names private_key and the cause
// and never the key's bytes.
func TestAssertionKeyProblems(t *testing.T) {
	_, short := testKey(t, "rsa1024")
	shortPEM, _ := short.Resolve(context.Background())
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	os.WriteFile(garbage, []byte("-----BEGIN PRIVATE KEY-----\nZ2FyYmFnZS1rZXktYnl0ZXMtMDEyMzQ1Njc4OQ==\n-----END PRIVATE KEY-----\n"), 0o600)
	for name, tc := range map[string]struct {
		auth   flows.ClientAuth
		key    secret.Secret
		secret secret.Secret
		want   string
	}{
		"short RSA":        {flows.ClientAuthPrivateKeyJWT, short, secret.Secret{}, "private_key: RSA key of 1024 bits is too short (at least 2048)"},
		"not a key":        {flows.ClientAuthPrivateKeyJWT, secret.New("file:" + garbage), secret.Secret{}, "private_key: cannot parse the PRIVATE KEY block"},
		"missing file":     {flows.ClientAuthPrivateKeyJWT, secret.New("file:" + garbage + ".gone"), secret.Secret{}, "private_key: reading secret file"},
		"no key":           {flows.ClientAuthPrivateKeyJWT, secret.Secret{}, secret.Secret{}, "private_key_jwt needs private_key"},
		"short HS secret":  {flows.ClientAuthClientSecretJWT, secret.Secret{}, secret.New("short-secret-1"), "at least 32 bytes"},
		"unset env secret": {flows.ClientAuthClientSecretJWT, secret.Secret{}, secret.New("env:TOKENTOP_TEST_UNSET_SECRET"), "client_secret: environment variable"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newRecorder(t, answer(200, okToken))
			te := newTestEndpoint(t, &flows.Connection{Provider: flows.OAuth2, ClientID: "cid", ClientAuth: tc.auth,
				PrivateKey: tc.key, ClientSecret: tc.secret, TokenURL: srv.URL + "/token"})
			_, err := te.ClientCredentials(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if n := len(srv.requests()); n != 0 {
				t.Errorf("%d requests sent", n)
			}
			assertNoSecrets(t, "error", err.Error(), "Z2FyYmFnZS1rZXktYnl0ZXMtMDEyMzQ1Njc4OQ", "short-secret-1", shortPEM[40:80])
		})
	}
}

// TestAssertionAtTheFake: the OAuth 2.0 fake verifies the assertions with
// the registered public key or the secret and accepts every grant, the
// device flow and revocation; it refuses a replayed jti, a wrong key, an
// expired assertion and one for another audience with invalid_client.
func TestAssertionAtTheFake(t *testing.T) {
	ctx := context.Background()
	k, keyFile := testKey(t, "rsa")
	now := testNow
	srv := providertest.New(providertest.Options{
		Now:              func() time.Time { return now },
		OAuth2ClientKeys: map[string]crypto.PublicKey{providertest.OAuth2ClientID: k.Public()},
		OAuth2Clients:    map[string]string{"hs-client": hsSecret},
		DevicePending:    -1,
	})
	defer srv.Close()
	issuer := srv.URL + "/oauth2"
	keyConn := func() *flows.Connection {
		return &flows.Connection{Provider: flows.OAuth2, Issuer: issuer, ClientID: providertest.OAuth2ClientID,
			ClientAuth: flows.ClientAuthPrivateKeyJWT, PrivateKey: keyFile, KeyID: "k1", Scopes: []string{"openid"}}
	}
	te := newTestEndpoint(t, keyConn())
	te.now = func() time.Time { return now }
	for i := range 2 { // the same clock twice: only the jti differs
		if tok, err := te.ClientCredentials(ctx); err != nil || tok.AccessToken == "" {
			t.Fatalf("client_credentials %d: %v", i+1, err)
		}
	}
	rt := srv.SeedRefreshToken(providertest.OAuth2, "dev@idp.example")
	tok, err := te.Refresh(ctx, rt)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if err := te.Revoke(ctx, tok); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	da, err := te.DeviceAuth(ctx)
	if err != nil {
		t.Fatalf("device authorization: %v", err)
	}
	if resp, err := http.Get(da.VerificationURIComplete); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	if _, err := te.DevicePoll(ctx, da); err != nil {
		t.Fatalf("device poll: %v", err)
	}
	hs := newTestEndpoint(t, &flows.Connection{Provider: flows.OAuth2, Issuer: issuer, ClientID: "hs-client",
		ClientAuth: flows.ClientAuthClientSecretJWT, ClientSecret: secret.New(hsSecret)})
	if _, err := hs.ClientCredentials(ctx); err != nil {
		t.Fatalf("client_secret_jwt: %v", err)
	}
	for _, r := range srv.Requests(providertest.OAuth2) {
		if r.Form.Has("client_assertion") && (r.Basic || r.Form.Has("client_secret")) {
			t.Errorf("%v: a secret next to the assertion", r)
		}
	}

	// Refusals, each a 401 invalid_client.
	var last url.Values
	for _, r := range srv.Requests(providertest.OAuth2) {
		if r.Grant == "client_credentials" {
			last = r.Form
		}
	}
	resp, err := http.PostForm(srv.URL+"/oauth2/token", last)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a replayed assertion got HTTP %d, want 401", resp.StatusCode)
	}
	other, otherFile := testKey(t, "ec")
	_ = other
	for name, tc := range map[string]struct {
		conn func() *flows.Connection
		now  time.Time
		want string
	}{
		"wrong key": {func() *flows.Connection { c := keyConn(); c.PrivateKey = otherFile; return c }, now, "signature does not verify"},
		"expired":   {keyConn, now.Add(-3 * time.Minute), "has expired"},
		"other audience": {func() *flows.Connection {
			c := keyConn()
			c.Issuer, c.TokenURL = "", srv.URL+"/oauth2/token?tenant=a"
			return c
		}, now, "aud is not the token endpoint"},
	} {
		t.Run(name, func(t *testing.T) {
			e := newTestEndpoint(t, tc.conn())
			e.now = func() time.Time { return tc.now }
			_, err := e.ClientCredentials(ctx)
			if err == nil || !strings.Contains(err.Error(), "invalid_client") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want invalid_client: %s", err, tc.want)
			}
		})
	}
}
