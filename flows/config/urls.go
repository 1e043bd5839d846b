package config

import (
	"fmt"
	"net/url"
	"strings"
	"tokentop/flows"
	"tokentop/flows/callback"
	"tokentop/flows/urlmatch"
)

// uRLProblem checks a configured endpoint and returns what is wrong with
// it, or "". The message never repeats the URL: a URL can carry a password
// in its user info, and the rest is in the user's own file anyway.
//
// Templates are checked with a sample subdomain in place of {subdomain}, so
// "https://{subdomain}.aha.io" is accepted.
func uRLProblem(raw string) string {
	if strings.ContainsAny(raw, " \t\r\n\x00") {
		return "must not contain spaces or control characters"
	}
	sample := strings.ReplaceAll(raw, flows.SubdomainPlaceholder, "subdomain")
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
		if !urlmatch.IsLoopbackHost(u.Hostname()) {
			return "http:// is only allowed for loopback hosts; use https://"
		}
	default:
		return "must be an https:// URL"
	}
	return ""
}

// redirectProblem checks redirect_uri with the check sign-in makes
// (callback.ParseRedirect: RFC 8252 §7.3 has a native app receive the
// authorization response on an http:// loopback address, and §8.3 names
// the loopback literals), and then asks for more: a port, because tokentop
// must listen exactly where the provider redirects, and a path, because the
// registered redirect must match (Aha! document: "This must be the same as
// the redirect URL provided when the application was registered").
func redirectProblem(raw string) string {
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

// companyURLProblem checks Aerion's company_url. It is not fetched: it is
// sent as the companyurl header that names the tenant (Aerion document,
// "Either the origin, referrer, or companyurl headers must be present"), so
// it must be a plain absolute URL and a valid header value, and plain http
// is not a risk in itself.
func companyURLProblem(raw string) string {
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

// resourceProblem checks one resource indicator against RFC 8707 §2: an
// absolute URI (RFC 3986 §4.3) without a fragment. A query is allowed (the
// RFC discourages it, but some servers need one). before are the values
// listed ahead of it: each is sent once. The value is never repeated in the
// message, for the same reason as in uRLProblem.
func resourceProblem(raw string, before []string) string {
	if raw == "" || strings.ContainsAny(raw, " \t\r\n\x00") || strings.ContainsFunc(raw, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "must be an absolute URI without spaces or control characters (RFC 8707 §2)"
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "is not a valid URI (RFC 8707 §2)"
	case u.Scheme == "" || u.Host == "" && u.Opaque == "" && u.Path == "":
		return "must be an absolute URI such as https://api.example.com (RFC 8707 §2)"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "must not contain a fragment (#…) (RFC 8707 §2)"
	case u.User != nil:
		return "must not contain a user name or password"
	}
	for i, b := range before {
		if b == raw {
			return fmt.Sprintf("repeats value %d (each resource is sent once)", i+1)
		}
	}
	return ""
}
