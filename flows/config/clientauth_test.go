package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"tokentop/flows"
)

// jwtConn is an oauth2 client-credentials connection without client
// authentication; its next line is line 6 of the file.
const jwtConn = `[connections.ci]
provider = "oauth2"
flow = "client_credentials"
token_url = "https://id.example.com/token"
client_id = "ci-bot"
`

func TestParseJWTClientAuth(t *testing.T) {
	cfg := mustParse(t, jwtConn+"client_auth = \"private_key_jwt\"\nprivate_key = \"file:keys/ci.pem\"\nkey_id = \"2026-11\"\n")
	c := cfg.Connections[0]
	if c.ClientAuth != flows.ClientAuthPrivateKeyJWT || c.KeyID != "2026-11" || c.PrivateKey.Source() != "file" {
		t.Errorf("ClientAuth %q KeyID %q PrivateKey %v", c.ClientAuth, c.KeyID, c.PrivateKey)
	}
	// Relative to the config file, as every file: reference.
	if s := c.PrivateKey.String(); s != "(file secret)" {
		t.Errorf("PrivateKey prints as %q", s)
	}
	c = mustParse(t, jwtConn+"client_auth = \"client_secret_jwt\"\nclient_secret = \"env:CI_SECRET\"\n").Connections[0]
	if c.ClientAuth != flows.ClientAuthClientSecretJWT {
		t.Errorf("ClientAuth %q", c.ClientAuth)
	}
	// A literal key is parsed at load: a good one loads.
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalECPrivateKey(k)
	lit := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	mustParse(t, jwtConn+"client_auth = \"private_key_jwt\"\nprivate_key = '''\n"+string(lit)+"'''\n")
}

func TestParseJWTClientAuthErrors(t *testing.T) {
	short, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	shortPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(short)}))
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(p384)
	p384PEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	const pkj = "client_auth = \"private_key_jwt\"\n"
	tests := map[string]struct{ text, want string }{
		"unknown method": {jwtConn + "client_auth = \"jwt\"\nclient_secret = \"env:S\"\n",
			`config.toml:6: connections.ci: unknown client_auth "jwt" (one of: basic, body, private_key_jwt, client_secret_jwt)`},
		"private_key_jwt without key": {jwtConn + pkj,
			`config.toml:1: connections.ci: missing private_key (client_auth = "private_key_jwt" signs with it: private_key = "file:/path/key.pem")`},
		"client_secret_jwt without secret": {jwtConn + "client_auth = \"client_secret_jwt\"\n",
			`config.toml:1: connections.ci: missing client_secret (client_auth = "client_secret_jwt" signs with it)`},
		"short literal HS256 secret": {jwtConn + "client_auth = \"client_secret_jwt\"\nclient_secret = \"short-secret\"\n",
			"config.toml:7: connections.ci.client_secret: is shorter than the 32 bytes HS256 needs (RFC 7518 §3.2)"},
		"key without private_key_jwt": {jwtConn + "client_secret = \"env:S\"\nprivate_key = \"file:/k.pem\"\nkey_id = \"k\"\n",
			"config.toml:7: connections.ci.private_key: is used only with client_auth = \"private_key_jwt\"\n" +
				"config.toml:8: connections.ci.key_id: is used only with client_auth = \"private_key_jwt\""},
		"secret with private_key_jwt": {jwtConn + pkj + "private_key = \"file:/k.pem\"\nclient_secret = \"env:S\"\n",
			"config.toml:8: connections.ci.client_secret: is never sent with private_key_jwt: remove it"},
		"bad reference": {jwtConn + pkj + "private_key = \"env:\"\n",
			"config.toml:7: connections.ci.private_key: env: must be followed by an environment variable name, such as env:CLIENT_SECRET"},
		"short RSA literal": {jwtConn + pkj + "private_key = '''\n" + shortPEM + "'''\n",
			"config.toml:7: connections.ci.private_key: RSA key of 1024 bits is too short (at least 2048)"},
		"P-384 literal": {jwtConn + pkj + "private_key = '''\n" + p384PEM + "'''\n",
			"config.toml:7: connections.ci.private_key: EC key on curve P-384 is not supported (use P-256)"},
		"not a key": {jwtConn + pkj + "private_key = \"not-a-pem-key-value\"\n",
			"config.toml:7: connections.ci.private_key: no PEM block (want -----BEGIN PRIVATE KEY-----)"},
		"not oauth2": {"[connections.a]\nprovider = \"aikido\"\nflow = \"client_credentials\"\nclient_id = \"x\"\nclient_secret = \"env:S\"\nclient_auth = \"private_key_jwt\"\nprivate_key = \"file:/k.pem\"\n",
			`config.toml:6: connections.a.client_auth: private_key_jwt is for provider "oauth2" flows with a token endpoint, not the aikido client_credentials flow`},
		"no client_id": {"[connections.d]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\ntoken_url = \"https://id.example.com/token\"\nclient_auth = \"private_key_jwt\"\nprivate_key = \"file:/k.pem\"\n",
			"config.toml:1: connections.d: missing client_id (the iss and sub of the private_key_jwt assertion)"},
		"assertion in params": {jwtConn + "client_secret = \"env:S\"\n[connections.ci.params]\nclient_assertion = \"x\"\n",
			"config.toml:8: connections.ci.params.client_assertion: is set by tokentop and cannot be overridden"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := parseErr(t, tt.text)
			if got != tt.want {
				t.Errorf("error:\n got %s\nwant %s", got, tt.want)
			}
			// The key is a secret: not a line of it in the error.
			for _, pemText := range []string{shortPEM, p384PEM} {
				for _, line := range strings.Split(pemText, "\n")[1:3] {
					if strings.Contains(got, line) {
						t.Errorf("error repeats the key: %s", got)
					}
				}
			}
		})
	}
}
