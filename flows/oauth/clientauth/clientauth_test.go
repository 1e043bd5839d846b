package clientauth

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	rsaShort *rsa.PrivateKey
	ecKey    *ecdsa.PrivateKey
	ec384    *ecdsa.PrivateKey
	edKey    ed25519.PrivateKey
)

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		must := func(e error) {
			if e != nil && err == nil {
				err = e
			}
		}
		rsaKey, err = rsa.GenerateKey(rand.Reader, 2048)
		var e error
		rsaShort, e = rsa.GenerateKey(rand.Reader, 1024)
		must(e)
		ecKey, e = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(e)
		ec384, e = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		must(e)
		_, edKey, e = ed25519.GenerateKey(rand.Reader)
		must(e)
		if err != nil {
			panic(err)
		}
	})
}

func pemOf(t testing.TB, typ string, der []byte) []byte {
	t.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pkcs8(t testing.TB, k any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pemOf(t, "PRIVATE KEY", der)
}

func sec1(t testing.TB, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pemOf(t, "EC PRIVATE KEY", der)
}

// TestParsePrivateKey: every accepted encoding maps to its algorithm, and
// every refusal says why without a byte of the key.
func TestParsePrivateKey(t *testing.T) {
	testKeys(t)
	good := map[string]struct {
		pem []byte
		alg jose.SignatureAlgorithm
		pub crypto.PublicKey
	}{
		"PKCS#8 RSA":       {pkcs8(t, rsaKey), jose.RS256, &rsaKey.PublicKey},
		"PKCS#1 RSA":       {pemOf(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)), jose.RS256, &rsaKey.PublicKey},
		"SEC 1 P-256":      {sec1(t, ecKey), jose.ES256, &ecKey.PublicKey},
		"PKCS#8 P-256":     {pkcs8(t, ecKey), jose.ES256, &ecKey.PublicKey},
		"PKCS#8 Ed25519":   {pkcs8(t, edKey), jose.EdDSA, edKey.Public()},
		"with text around": {append(append([]byte("a comment line\n"), pkcs8(t, ecKey)...), "trailer\n"...), jose.ES256, &ecKey.PublicKey},
	}
	for name, tc := range good {
		t.Run(name, func(t *testing.T) {
			k, err := ParsePrivateKey(tc.pem)
			if err != nil {
				t.Fatal(err)
			}
			if k.Alg != tc.alg {
				t.Errorf("alg %s, want %s", k.Alg, tc.alg)
			}
			if eq, ok := k.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(tc.pub) {
				t.Error("public key does not match")
			}
			if s := k.String(); strings.Contains(s, "MII") {
				t.Errorf("String %q shows the key", s)
			}
		})
	}
	shortPKCS8 := pkcs8(t, rsaShort)
	bad := map[string]struct {
		pem  []byte
		want string
	}{
		"empty":          {nil, "no PEM block"},
		"not PEM":        {[]byte("-----BEGIN nothing"), "no PEM block"},
		"RSA 1024":       {shortPKCS8, "RSA key of 1024 bits is too short (at least 2048)"},
		"PKCS#1 1024":    {pemOf(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaShort)), "RSA key of 1024 bits is too short"},
		"P-384":          {sec1(t, ec384), "EC key on curve P-384 is not supported (use P-256)"},
		"P-384 PKCS#8":   {pkcs8(t, ec384), "curve P-384"},
		"encrypted":      {pemOf(t, "ENCRYPTED PRIVATE KEY", []byte{1, 2, 3}), "encrypted with a passphrase"},
		"certificate":    {pemOf(t, "CERTIFICATE", []byte{1, 2, 3}), `PEM block "CERTIFICATE" is not a private key`},
		"public key":     {pemOf(t, "PUBLIC KEY", []byte{1, 2, 3}), "is not a private key"},
		"garbage PKCS#8": {pemOf(t, "PRIVATE KEY", []byte("garbage-bytes-0123456789")), "cannot parse the PRIVATE KEY block"},
		"garbage SEC 1":  {pemOf(t, "EC PRIVATE KEY", []byte("garbage-bytes-0123456789")), "cannot parse the EC PRIVATE KEY block"},
		"type control":   {pemOf(t, "PRIVATE\x01KEY", []byte{1}), `"PRIVATE?KEY"`},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := ParsePrivateKey(tc.pem)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			block, _ := pem.Decode(tc.pem)
			if block != nil && len(block.Bytes) >= 4 && bytes.Contains([]byte(err.Error()), block.Bytes[:4]) {
				t.Errorf("error %q repeats the key's bytes", err)
			}
			if strings.Contains(err.Error(), "garbage") || strings.Contains(err.Error(), "MII") {
				t.Errorf("error %q repeats the file", err)
			}
		})
	}
}

// TestAssertionClaims: RFC 7523 §3's claims, a kid when configured, and a
// new 128-bit jti every time.
func TestAssertionClaims(t *testing.T) {
	testKeys(t)
	now := time.Date(2026, 11, 23, 12, 0, 0, 500, time.UTC)
	const aud = "https://id.example/token"
	for name, tc := range map[string]struct {
		key    func(t *testing.T) *Signer
		verify any
		alg    jose.SignatureAlgorithm
		kid    string
	}{
		"RS256": {func(t *testing.T) *Signer {
			k, _ := ParsePrivateKey(pkcs8(t, rsaKey))
			s, _ := WithKey("client-1", k, "key-2026")
			return s
		}, &rsaKey.PublicKey, jose.RS256, "key-2026"},
		"ES256": {func(t *testing.T) *Signer {
			k, _ := ParsePrivateKey(sec1(t, ecKey))
			s, _ := WithKey("client-1", k, "")
			return s
		}, &ecKey.PublicKey, jose.ES256, ""},
		"EdDSA": {func(t *testing.T) *Signer {
			k, _ := ParsePrivateKey(pkcs8(t, edKey))
			s, _ := WithKey("client-1", k, "ed")
			return s
		}, edKey.Public(), jose.EdDSA, "ed"},
		"HS256": {func(t *testing.T) *Signer {
			s, err := WithSecret("client-1", "0123456789abcdef0123456789abcdef")
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, []byte("0123456789abcdef0123456789abcdef"), jose.HS256, ""},
	} {
		t.Run(name, func(t *testing.T) {
			s := tc.key(t)
			seen := map[string]bool{}
			for range 3 {
				a, err := s.Assertion(aud, now)
				if err != nil {
					t.Fatal(err)
				}
				tok, err := jwt.ParseSigned(a, []jose.SignatureAlgorithm{tc.alg})
				if err != nil {
					t.Fatal(err)
				}
				h := tok.Headers[0]
				if h.KeyID != tc.kid || h.ExtraHeaders["typ"] != "JWT" {
					t.Errorf("header kid %q typ %v, want kid %q typ JWT", h.KeyID, h.ExtraHeaders["typ"], tc.kid)
				}
				var c jwt.Claims
				if err := tok.Claims(tc.verify, &c); err != nil {
					t.Fatalf("signature: %v", err)
				}
				want := now.Truncate(time.Second)
				if c.Issuer != "client-1" || c.Subject != "client-1" || len(c.Audience) != 1 || c.Audience[0] != aud ||
					!c.IssuedAt.Time().Equal(want) || !c.NotBefore.Time().Equal(want) || !c.Expiry.Time().Equal(want.Add(2*time.Minute)) {
					t.Errorf("claims %+v", c)
				}
				if len(c.ID) != 32 || seen[c.ID] {
					t.Errorf("jti %q: want 32 new hex digits", c.ID)
				}
				seen[c.ID] = true
			}
		})
	}
}

// TestWithSecretTooShort: HS256 needs a 256-bit key (RFC 7518 §3.2), and
// the message does not repeat the secret.
func TestWithSecretTooShort(t *testing.T) {
	_, err := WithSecret("c", "short-secret-value")
	if err == nil || !strings.Contains(err.Error(), "at least 32 bytes") || strings.Contains(err.Error(), "short-secret-value") {
		t.Fatalf("err = %v", err)
	}
}

// TestAssertionNoRandomness: a jti is never made without randomness.
func TestAssertionNoRandomness(t *testing.T) {
	s, _ := WithSecret("c", strings.Repeat("k", 32))
	s.Rand = bytes.NewReader(nil)
	if _, err := s.Assertion("https://id.example/token", time.Now()); err == nil {
		t.Fatal("an assertion without a random jti")
	}
}

// FuzzPrivateKey: the key file is the user's, so any bytes must give a key
// or an error, never a panic, and an error never repeats the input.
func FuzzPrivateKey(f *testing.F) {
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParsePrivateKey(b)
		if err != nil {
			// The key material is the PEM body: neither it nor its
			// base64 may reach the message.
			if block, _ := pem.Decode(b); block != nil && len(block.Bytes) >= 12 {
				head := block.Bytes[:12]
				if strings.Contains(err.Error(), string(head)) || strings.Contains(err.Error(), base64.StdEncoding.EncodeToString(head)) {
					t.Fatalf("error repeats the key: %v", err)
				}
			}
			return
		}
		s, err := WithKey("c", k, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Assertion("https://id.example/token", time.Unix(1e9, 0)); err != nil {
			t.Fatalf("a parsed key does not sign: %v", err)
		}
	})
}
