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
	// AikidoClientID is the Aikido client, for both client credentials and
	// the authorization code flow.
	AikidoClientID = "AIK_CLIENT_tokentop:demo"
	// AikidoClientSecret is the secret of AikidoClientID.
	AikidoClientSecret = "aik s3cret+%/demo"

	// AhaClientID is the registered Aha! application.
	AhaClientID = "a73bbb264c7432421b9abc05fae6bf9379b9fb49bbefdf84ab036487fd5b"
	// AhaClientSecret is the secret of AhaClientID.
	AhaClientSecret = "467b9a301fedac887a46a23d3f29d76afdff30ac9bbf6c8c"
	// AhaAccount is the account subdomain that sign-ins starting at
	// "secure" end up in (account_subdomain).
	AhaAccount = "acme"
	// AhaAPIKey is a valid Aha! user API key.
	AhaAPIKey = "aha_key_2f7d0c1e9b8a4d6f8e3c5b1a0d9e7f6c"
	// ahaUserEmail is the user behind AhaAPIKey and every Aha! sign-in.
	ahaUserEmail = "pm@acme.example"

	// AerionUser is the Aerion user.
	AerionUser = "ops@acme.example"
	// AerionPassword is the password of AerionUser.
	AerionPassword = "aerion-demo-pass"
	// AerionTenant is the known Aerion tenant, to send as companyurl.
	AerionTenant = "https://acme.aerion.app"

	// AminoUser is the Amino user.
	AminoUser = "viewer@amino.example"
	// AminoPassword is the password of AminoUser.
	AminoPassword = "amino-demo-pass"
	// AminoUserID is the account's user_id in Amino's answers.
	AminoUserID = 1234
	// aminoUserProfileID is the account's user_profile_id.
	aminoUserProfileID = "84eb61a9-75d4-42c7-8c15-84c3d7776227"

	// OAuth2ClientID is the confidential client of the OAuth 2.0 server; it
	// may use Basic or the form body.
	OAuth2ClientID = "tokentop-app"
	// oauth2ClientSecret is the secret of OAuth2ClientID.
	oauth2ClientSecret = "idp s3cret:+%"
	// OAuth2PublicClientID is a public client (no secret), for the device
	// flow and PKCE sign-ins.
	OAuth2PublicClientID = "tokentop-cli"
	// oauth2User and oauth2Password are the OAuth 2.0 server's user, for the
	// password grant; browser and device sign-ins approve as this user.
	oauth2User     = "dev@idp.example"
	oauth2Password = "idp-demo-pass"
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
		"profile_id": aminoUserProfileID,
		"type":       typ,
		"jti":        randHex(8),
	})
	return enc.EncodeToString(header) + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString([]byte(randHex(16)))
}
