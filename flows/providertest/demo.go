package providertest

import (
	"cmp"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
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
// Aikido and Aha! connections get the redirect_uri registered with s (the
// Options of NewDemo register one each); when s has none, a free loopback
// port is picked once per server. The OAuth 2.0 connections leave
// redirect_uri out: an ephemeral port.
func DemoConfig(s *Server) string {
	aikidoRedirect, ahaRedirect := s.demoRedirects()
	var b strings.Builder
	fmt.Fprintf(&b, "# tokentop --demo: every connection talks to the loopback fakes at %s.\n", s.URL)
	b.WriteString("# Nothing here is a real secret.\nrefresh_before = \"20s\"\n# Health checks every 30 seconds, so the trends fill while you watch.\ncheck_every = \"30s\"\n")
	// table writes one connection: its provider and flow, then the pairs of
	// keys and values of each group in turn.
	type pairs = []any
	table := func(name, provider, flow string, groups ...pairs) {
		fmt.Fprintf(&b, "\n[connections.%s]\nprovider = %s\nflow = %s\n", name, tomlString(provider), tomlString(flow))
		for _, g := range groups {
			for i := 0; i+1 < len(g); i += 2 {
				fmt.Fprintf(&b, "%s = %s\n", g[i], tomlValue(g[i+1]))
			}
		}
	}

	// Both Aikido connections name every endpoint: auth_url is unused by
	// client credentials but keeps the real host out of the demo.
	aikido := pairs{"client_id", AikidoClientID, "client_secret", AikidoClientSecret, "client_auth", "basic",
		"auth_url", s.AikidoAuthURL(), "token_url", s.AikidoTokenURL(), "check_url", s.AikidoCheckURL()}
	table("aikido", Aikido, "client_credentials", aikido,
		pairs{"note", "Aikido workspace API: client credentials in HTTP Basic, renewed without you."})
	table("aikido-app", Aikido, "authorization_code", aikido, pairs{"redirect_uri", aikidoRedirect,
		"note", "Aikido as a third-party app: the fake approves the browser sign-in at once."})

	aha := pairs{"base_url", s.ahaBaseURL(), "check_url", s.ahaBaseURL() + ahaCheckPath}
	table("aha", Aha, "authorization_code", pairs{"client_id", AhaClientID, "client_secret", AhaClientSecret,
		"client_auth", "body", "subdomain", "secure"}, aha, pairs{"auth_url", s.ahaBaseURL() + ahaAuthPath,
		"token_url", s.ahaBaseURL() + ahaTokenPath, "redirect_uri", ahaRedirect,
		"note", "Aha! sign-in starting at secure: the redirect names the account (" + AhaAccount + "); tokens never expire."})
	table("aha-implicit", Aha, "implicit", pairs{"client_id", AhaClientID, "subdomain", AhaAccount}, aha,
		pairs{"auth_url", s.ahaBaseURL() + ahaAuthPath, "redirect_uri", ahaRedirect,
			"note", "Aha! implicit grant: the token comes back in the URL fragment."})
	table("aha-key", Aha, "api_key", pairs{"api_key", AhaAPIKey, "subdomain", AhaAccount}, aha,
		pairs{"note", "Aha! user API key: nothing to renew, only checked."})

	table("aerion", Aerion, "password", pairs{"client_id", "tokentop-demo", "client_secret", "any value",
		"username", AerionUser, "company_url", AerionTenant,
		"token_url", s.AerionTokenURL(), "check_url", s.AerionCheckURL(), "note", "demo password: " + AerionPassword})
	table("amino", Amino, "password", pairs{"username", AminoUser, "password", AminoPassword,
		"base_url", s.URL + aminoBasePath, "token_url", s.URL + aminoTokenPath, "check_url", s.URL + aminoCheckPath,
		"note", "demo password: " + AminoPassword + " (configured, so sign-in needs nobody)"})

	idp := pairs{"issuer", s.URL + oauth2IssuerPath, "check_url", s.URL + oauth2UserInfoPath}
	table("idp-device", OAuth2, "device_code", idp, pairs{"client_id", OAuth2PublicClientID, "client_auth", "body",
		"scopes", []string{"openid", "profile", "offline_access"},
		"note", "Device sign-in: open the code's page, or just wait; the fake approves after a few polls."})
	table("idp-app", OAuth2, "authorization_code", idp, pairs{"client_id", OAuth2ClientID, "client_secret", oauth2ClientSecret,
		"client_auth", "basic", "pkce", true, "scopes", []string{"openid", "email", "offline_access"},
		"note", "OpenID Connect sign-in in the browser, with PKCE (S256)."})
	table("idp-service", OAuth2, "client_credentials", idp, pairs{"client_id", OAuth2ClientID, "client_secret", oauth2ClientSecret,
		"client_auth", "body", "note", "Service account of the OpenID Connect server, client secret in the form body."})
	return b.String()
}

// tomlValue writes v, a string, a list of strings or a boolean, as a TOML
// value.
func tomlValue(v any) string {
	switch v := v.(type) {
	case string:
		return tomlString(v)
	case []string:
		quoted := make([]string, len(v))
		for i, e := range v {
			quoted[i] = tomlString(e)
		}
		return "[" + strings.Join(quoted, ", ") + "]"
	case bool:
		return strconv.FormatBool(v)
	}
	panic(fmt.Sprintf("providertest: no TOML form for %T", v))
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
		s.demoAikido = cmp.Or(s.opts.aikidoRedirectURI, freeLoopbackRedirect())
	}
	if s.demoAha == "" {
		s.demoAha = cmp.Or(s.opts.ahaRedirectURI, freeLoopbackRedirect())
	}
	return s.demoAikido, s.demoAha
}

// NewDemo returns the Options of `tokentop --demo`: every provider's tokens
// live between one and two minutes, so countdowns and automatic renewal are
// visible in the dashboard, and device sign-ins wait for two polls.
//
// Aikido and Aha! redirect only to a registered URI, so NewDemo registers
// one loopback redirect URI for each, http://127.0.0.1:PORT/callback on a
// port that was free a moment ago (it listens briefly to find out), and
// DemoConfig writes them as the connections' redirect_uri.
func NewDemo() Options {
	return Options{
		aikidoRedirectURI: freeLoopbackRedirect(),
		ahaRedirectURI:    freeLoopbackRedirect(),
		lifetime: map[string]time.Duration{
			Aikido: 90 * time.Second,
			Aerion: 2 * time.Minute,
			Amino:  75 * time.Second,
			OAuth2: time.Minute,
		},
		refreshLifetime: map[string]time.Duration{Amino: time.Hour},
		DevicePending:   2,
		deviceInterval:  2 * time.Second,
		logLimit:        1000,
	}
}

// freeLoopbackRedirect returns a callback URI on a loopback port that is
// free now, or "" when none could be found.
func freeLoopbackRedirect() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return ""
	}
	defer l.Close()
	return "http://" + l.Addr().String() + "/callback"
}
