package providertest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// The default identities of the fakes, shared by tests and the demo. Some
// values contain ':', '%', '+' and spaces on purpose: a client that does not
// form-encode HTTP Basic credentials (RFC 6749 §2.3.1) is refused.
const (
	// AikidoClientID and AikidoClientSecret are the Aikido client, for both
	// client credentials and the authorization code flow.
	AikidoClientID     = "AIK_CLIENT_tokentop:demo"
	AikidoClientSecret = "aik s3cret+%/demo"

	// AhaClientID and AhaClientSecret are the registered Aha! application.
	AhaClientID     = "a73bbb264c7432421b9abc05fae6bf9379b9fb49bbefdf84ab036487fd5b"
	AhaClientSecret = "467b9a301fedac887a46a23d3f29d76afdff30ac9bbf6c8c"
	// AhaAccount is the account subdomain that sign-ins starting at
	// "secure" end up in (account_subdomain).
	AhaAccount = "acme"
	// AhaAPIKey is a valid Aha! user API key.
	AhaAPIKey = "aha_key_2f7d0c1e9b8a4d6f8e3c5b1a0d9e7f6c"
	// AhaUserEmail is the user behind AhaAPIKey and every Aha! sign-in.
	AhaUserEmail = "pm@acme.example"

	// AerionUser and AerionPassword sign in to Aerion.
	AerionUser     = "ops@acme.example"
	AerionPassword = "aerion-demo-pass"
	// AerionTenant is the known Aerion tenant, to send as companyurl.
	AerionTenant = "https://acme.aerion.app"

	// AminoUser and AminoPassword sign in to Amino.
	AminoUser     = "viewer@amino.example"
	AminoPassword = "amino-demo-pass"
	// AminoUserID and AminoUserProfileID are the account's ids in Amino's
	// answers.
	AminoUserID        = 1234
	AminoUserProfileID = "84eb61a9-75d4-42c7-8c15-84c3d7776227"

	// OAuth2ClientID and OAuth2ClientSecret are the confidential client of
	// the OAuth 2.0 server; it may use Basic or the form body.
	OAuth2ClientID     = "tokentop-app"
	OAuth2ClientSecret = "idp s3cret:+%"
	// OAuth2PublicClientID is a public client (no secret), for the device
	// flow and PKCE sign-ins.
	OAuth2PublicClientID = "tokentop-cli"
	// OAuth2User and OAuth2Password are the OAuth 2.0 server's user, for the
	// password grant; browser and device sign-ins approve as this user.
	OAuth2User     = "dev@idp.example"
	OAuth2Password = "idp-demo-pass"
)

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// s256 is the PKCE S256 transform of RFC 7636 §4.2.
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// aminoJWT makes a token that looks like Amino's JWTs. Its exp is ten years
// away whatever the real lifetime: the document says not to rely on claims,
// and a client that reads exp instead of expires_at_timestamp shows it.
func aminoJWT(g grant, typ string, now time.Time) string {
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": "HS256"})
	claims, _ := json.Marshal(map[string]any{
		"iss":        "AminoMove",
		"iat":        now.Unix(),
		"exp":        now.AddDate(10, 0, 0).Unix(),
		"aud":        "www.amino.example",
		"sub":        g.user,
		"profile_id": AminoUserProfileID,
		"type":       typ,
		"jti":        randHex(8),
	})
	return enc.EncodeToString(header) + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString([]byte(randHex(16)))
}
