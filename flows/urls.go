package flows

import (
	"net"
	"net/url"
	"strings"

	"tokentop/flows/callback"
)

// The placeholders a configured URL may hold. {base_url} is replaced when
// the configuration is loaded; {subdomain} stays in the Connection's fields
// because an Aha! sign-in that starts at secure.aha.io only learns the
// account's subdomain from the account_subdomain parameter of the redirect
// (Aha! document, "Aha! redirects user back to application").
const (
	cfgSubdomainPlaceholder = "{subdomain}"
	cfgBaseURLPlaceholder   = "{base_url}"
)

// ExpandURL returns raw with {subdomain} replaced by subdomain (or by the
// connection's configured Subdomain when subdomain is empty) and {base_url}
// replaced by the connection's BaseURL.
//
// subdomain usually comes from outside (Aha!'s account_subdomain redirect
// parameter), so it is only substituted when it is a single DNS label
// (letters, digits and inner hyphens): a forged value such as
// "evil.example/x?" would otherwise send the client secret to another host.
// When raw needs a subdomain and none valid is available, ExpandURL returns
// the empty string, which no HTTP request accepts; call CheckSubdomain first
// to give the user a readable error.
func (c *Connection) ExpandURL(raw, subdomain string) string {
	if strings.Contains(raw, cfgBaseURLPlaceholder) {
		raw = strings.ReplaceAll(raw, cfgBaseURLPlaceholder, strings.TrimRight(c.BaseURL, "/"))
	}
	if !strings.Contains(raw, cfgSubdomainPlaceholder) {
		return raw
	}
	if subdomain == "" {
		subdomain = c.Subdomain
	}
	if CheckSubdomain(subdomain) != nil {
		return ""
	}
	return strings.ReplaceAll(raw, cfgSubdomainPlaceholder, subdomain)
}

// CheckSubdomain reports whether s can be an account subdomain: one DNS
// label of 1 to 63 letters, digits and hyphens, not starting or ending with
// a hyphen (RFC 1123 §2.1). The error never repeats s, which may come from a
// redirect that anyone can forge.
func CheckSubdomain(s string) error {
	if s == "" {
		return cfgErrSubdomainEmpty
	}
	if len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return cfgErrSubdomainInvalid
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return cfgErrSubdomainInvalid
		}
	}
	return nil
}

// cfgSubdomainError is the error type of CheckSubdomain, so its two values
// can be constants of the package without a generic name.
type cfgSubdomainError string

func (e cfgSubdomainError) Error() string { return string(e) }

const (
	cfgErrSubdomainEmpty   = cfgSubdomainError("no account subdomain")
	cfgErrSubdomainInvalid = cfgSubdomainError(`an account subdomain is one DNS label such as "acme" (letters, digits and "-", at most 63)`)
)

// IsLoopbackHost reports whether host (without port or brackets) is a
// loopback address: 127.0.0.0/8, ::1 or the name localhost. Only these may
// be reached over plain http://, because the traffic never leaves the
// machine.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// cfgURLProblem checks a configured endpoint and returns what is wrong with
// it, or "". The message never repeats the URL: a URL can carry a password
// in its user info, and the rest is in the user's own file anyway.
//
// Templates are checked with a sample subdomain in place of {subdomain}, so
// "https://{subdomain}.aha.io" is accepted.
func cfgURLProblem(raw string) string {
	if strings.ContainsAny(raw, " \t\r\n\x00") {
		return "must not contain spaces or control characters"
	}
	sample := strings.ReplaceAll(raw, cfgSubdomainPlaceholder, "subdomain")
	if strings.ContainsAny(sample, "{}") {
		return "has an unknown placeholder (only {subdomain} and {base_url} are expanded)"
	}
	u, err := url.Parse(sample)
	if err != nil {
		// err (a *url.Error) repeats the URL, user info included.
		return "is not a valid URL"
	}
	if u.User != nil {
		return "must not contain a user name or password (use client_id and client_secret)"
	}
	if u.Scheme == "" || u.Opaque != "" || u.Host == "" {
		return "must be an absolute URL such as https://host/path"
	}
	if u.Fragment != "" || strings.Contains(sample, "#") {
		return "must not contain a fragment (#…)"
	}
	switch u.Scheme {
	case "https":
	case "http":
		// Tokens and client secrets travel on these requests: plain HTTP
		// is only acceptable when the traffic cannot leave the machine
		// (fakes, local proxies).
		if !IsLoopbackHost(u.Hostname()) {
			return "http:// is only allowed for loopback hosts; use https://"
		}
	default:
		return "must be an https:// URL"
	}
	return ""
}

// cfgRedirectProblem checks redirect_uri with the check sign-in makes
// (callback.ParseRedirect: RFC 8252 §7.3 has a native app receive the
// authorization response on an http:// loopback address, and §8.3 names
// the loopback literals), and then asks for more: a port, because tokentop
// must listen exactly where the provider redirects, and a path, because the
// registered redirect must match (Aha! document: "This must be the same as
// the redirect URL provided when the application was registered").
func cfgRedirectProblem(raw string) string {
	u, err := callback.ParseRedirect(raw)
	if err != nil {
		return err.Error()
	}
	if u.Port() == "" {
		return "must name a port, such as http://127.0.0.1:8766/callback"
	}
	if u.Path == "" || u.Path == "/" {
		return "must have a path, such as http://127.0.0.1:8766/callback"
	}
	return ""
}

// cfgCompanyURLProblem checks Aerion's company_url. It is not fetched: it is
// sent as the companyurl header that names the tenant (Aerion document,
// "Either the origin, referrer, or companyurl headers must be present"), so
// it must be a plain absolute URL and a valid header value, and plain http
// is not a risk in itself.
func cfgCompanyURLProblem(raw string) string {
	if strings.ContainsAny(raw, " \t\r\n\x00") {
		return "must not contain spaces or control characters"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "is not a valid URL"
	}
	if u.User != nil {
		return "must not contain a user name or password"
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "must be an absolute URL such as https://acme.aerion.app"
	}
	return ""
}
