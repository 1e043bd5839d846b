package providertest

import (
	"cmp"
	"fmt"
	"strings"
)

// DemoConfig returns the configuration file of `tokentop --demo` for s: one
// connection per provider and flow, every endpoint on s, every secret a
// literal, and the passwords a person types repeated in each connection's
// note. Connections: aikido (client_credentials), aikido-app
// (authorization_code), aha (authorization_code starting at "secure"),
// aha-implicit (implicit), aha-key (api_key), aerion (password, typed),
// amino (password, configured), idp-device (device_code), idp-app
// (authorization_code with PKCE) and idp-service (client_credentials).
//
// Aikido and Aha! connections get the redirect_uri registered with s
// (Options.AikidoRedirectURI, Options.AhaRedirectURI, as NewDemo sets them);
// when s has none, a free loopback port is picked once per server. The
// OAuth 2.0 connections leave redirect_uri out: an ephemeral port.
func DemoConfig(s *Server) string {
	aikidoRedirect, ahaRedirect := s.demoRedirects()
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	kv := func(key, value string) { w("%s = %s\n", key, tomlString(value)) }

	w("# tokentop --demo: every connection talks to the loopback fakes at %s.\n", s.URL)
	w("# Nothing here is a real secret.\n")
	w("refresh_before = \"20s\"\n")

	w("\n[connections.aikido]\n")
	kv("provider", Aikido)
	kv("flow", "client_credentials")
	kv("client_id", AikidoClientID)
	kv("client_secret", AikidoClientSecret)
	kv("client_auth", "basic")
	kv("auth_url", s.AikidoAuthURL()) // unused by this flow: keeps the real host out of the demo
	kv("token_url", s.AikidoTokenURL())
	kv("check_url", s.AikidoCheckURL())
	kv("note", "Aikido workspace API: client credentials in HTTP Basic, renewed without you.")

	w("\n[connections.aikido-app]\n")
	kv("provider", Aikido)
	kv("flow", "authorization_code")
	kv("client_id", AikidoClientID)
	kv("client_secret", AikidoClientSecret)
	kv("client_auth", "basic")
	kv("auth_url", s.AikidoAuthURL())
	kv("token_url", s.AikidoTokenURL())
	kv("redirect_uri", aikidoRedirect)
	kv("check_url", s.AikidoCheckURL())
	kv("note", "Aikido as a third-party app: the fake approves the browser sign-in at once.")

	w("\n[connections.aha]\n")
	kv("provider", Aha)
	kv("flow", "authorization_code")
	kv("client_id", AhaClientID)
	kv("client_secret", AhaClientSecret)
	kv("client_auth", "body")
	kv("subdomain", "secure")
	kv("base_url", s.AhaBaseURL())
	kv("auth_url", s.AhaAuthURL())
	kv("token_url", s.AhaTokenURL())
	kv("check_url", s.AhaCheckURL())
	kv("redirect_uri", ahaRedirect)
	kv("note", "Aha! sign-in starting at secure: the redirect names the account ("+AhaAccount+"); tokens never expire.")

	w("\n[connections.aha-implicit]\n")
	kv("provider", Aha)
	kv("flow", "implicit")
	kv("client_id", AhaClientID)
	kv("subdomain", AhaAccount)
	kv("base_url", s.AhaBaseURL())
	kv("auth_url", s.AhaAuthURL())
	kv("check_url", s.AhaCheckURL())
	kv("redirect_uri", ahaRedirect)
	kv("note", "Aha! implicit grant: the token comes back in the URL fragment.")

	w("\n[connections.aha-key]\n")
	kv("provider", Aha)
	kv("flow", "api_key")
	kv("api_key", AhaAPIKey)
	kv("subdomain", AhaAccount)
	kv("base_url", s.AhaBaseURL())
	kv("check_url", s.AhaCheckURL())
	kv("note", "Aha! user API key: nothing to renew, only checked.")

	w("\n[connections.aerion]\n")
	kv("provider", Aerion)
	kv("flow", "password")
	kv("client_id", "tokentop-demo")
	kv("client_secret", "any value")
	kv("username", AerionUser)
	kv("company_url", AerionTenant)
	kv("token_url", s.AerionTokenURL())
	kv("check_url", s.AerionCheckURL())
	kv("note", "demo password: "+AerionPassword)

	w("\n[connections.amino]\n")
	kv("provider", Amino)
	kv("flow", "password")
	kv("username", AminoUser)
	kv("password", AminoPassword)
	kv("base_url", s.AminoBaseURL())
	kv("token_url", s.AminoTokenURL())
	kv("check_url", s.AminoCheckURL())
	kv("note", "demo password: "+AminoPassword+" (configured, so sign-in needs nobody)")

	w("\n[connections.idp-device]\n")
	kv("provider", OAuth2)
	kv("flow", "device_code")
	kv("client_id", OAuth2PublicClientID)
	kv("client_auth", "body")
	kv("issuer", s.OAuth2Issuer())
	w("scopes = [\"openid\", \"profile\", \"offline_access\"]\n")
	kv("check_url", s.OAuth2CheckURL())
	kv("note", "Device sign-in: open the code's page, or just wait; the fake approves after a few polls.")

	w("\n[connections.idp-app]\n")
	kv("provider", OAuth2)
	kv("flow", "authorization_code")
	kv("client_id", OAuth2ClientID)
	kv("client_secret", OAuth2ClientSecret)
	kv("client_auth", "basic")
	kv("issuer", s.OAuth2Issuer())
	w("pkce = true\n")
	w("scopes = [\"openid\", \"email\", \"offline_access\"]\n")
	kv("check_url", s.OAuth2CheckURL())
	kv("note", "OpenID Connect sign-in in the browser, with PKCE (S256).")

	w("\n[connections.idp-service]\n")
	kv("provider", OAuth2)
	kv("flow", "client_credentials")
	kv("client_id", OAuth2ClientID)
	kv("client_secret", OAuth2ClientSecret)
	kv("client_auth", "body")
	kv("issuer", s.OAuth2Issuer())
	kv("check_url", s.OAuth2CheckURL())
	kv("note", "Service account of the OpenID Connect server, client secret in the form body.")
	return b.String()
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// demoRedirects returns the redirect URIs of the demo's Aikido and Aha!
// connections: the registered ones, or free loopback ports picked once.
func (s *Server) demoRedirects() (aikido, aha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.demoAikido == "" {
		s.demoAikido = cmp.Or(s.opts.AikidoRedirectURI, freeLoopbackRedirect())
	}
	if s.demoAha == "" {
		s.demoAha = cmp.Or(s.opts.AhaRedirectURI, freeLoopbackRedirect())
	}
	return s.demoAikido, s.demoAha
}
