package flows

import (
	"strings"
)

// SubdomainPlaceholder and BaseURLPlaceholder are the placeholders a
// configured URL may hold. {base_url} is replaced when
// the configuration is loaded; {subdomain} stays in the Connection's fields
// because an Aha! sign-in that starts at secure.aha.io only learns the
// account's subdomain from the account_subdomain parameter of the redirect
// (Aha! document, "Aha! redirects user back to application").
const (
	SubdomainPlaceholder = "{subdomain}"
	BaseURLPlaceholder   = "{base_url}"
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
	if strings.Contains(raw, BaseURLPlaceholder) {
		raw = strings.ReplaceAll(raw, BaseURLPlaceholder, strings.TrimRight(c.BaseURL, "/"))
	}
	if !strings.Contains(raw, SubdomainPlaceholder) {
		return raw
	}
	if subdomain == "" {
		subdomain = c.Subdomain
	}
	if CheckSubdomain(subdomain) != nil {
		return ""
	}
	return strings.ReplaceAll(raw, SubdomainPlaceholder, subdomain)
}

// CheckSubdomain reports whether s can be an account subdomain: one DNS
// label of 1 to 63 letters, digits and hyphens, not starting or ending with
// a hyphen (RFC 1123 §2.1). The error never repeats s, which may come from a
// redirect that anyone can forge.
func CheckSubdomain(s string) error {
	if s == "" {
		return errSubdomainEmpty
	}
	if len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return errSubdomainInvalid
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return errSubdomainInvalid
		}
	}
	return nil
}

// subdomainError is the error type of CheckSubdomain, so its two values
// can be constants of the package without a generic name.
type subdomainError string

func (e subdomainError) Error() string { return string(e) }

const (
	errSubdomainEmpty   = subdomainError("no account subdomain")
	errSubdomainInvalid = subdomainError(`an account subdomain is one DNS label such as "acme" (letters, digits and "-", at most 63)`)
)
