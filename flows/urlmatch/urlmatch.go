// Package urlmatch decides which configured connection serves a URL (the
// match patterns of credential helpers, "https://api.example.com/*"), and
// which hosts are loopback.
package urlmatch

import (
	"errors"
	"net"
	"net/url"
	"path"
	"strings"
)

// A Pattern is one match entry: a scheme, a host (a leading "*." matches
// any subdomain, and only subdomains), an optional port, and a path that
// may end in "*" to match everything below it. "https://api.example.com/*"
// matches every https URL of that host; "https://example.com/repo.git"
// that path alone.
type Pattern struct {
	scheme, host, port string
	path               string
	prefix             bool // path ended in "*"
}

// Parse reads a pattern. It must be an absolute http or https URL without
// user information, query or fragment.
func Parse(s string) (Pattern, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Pattern{}, errors.New("is not a URL")
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return Pattern{}, errors.New("must start with https:// or http://")
	case u.Host == "" || u.Hostname() == "":
		return Pattern{}, errors.New("must name a host")
	case u.User != nil:
		return Pattern{}, errors.New("must not hold user information")
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#"):
		return Pattern{}, errors.New("must not have a query or fragment")
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(strings.TrimPrefix(host, "*."), "*") {
		return Pattern{}, errors.New(`may use "*" only as the host's first label ("*.example.com")`)
	}
	p := Pattern{scheme: u.Scheme, host: host, port: u.Port(), path: u.EscapedPath()}
	if p.path == "" {
		p.path = "/"
	}
	if strings.HasSuffix(p.path, "*") {
		p.prefix, p.path = true, strings.TrimSuffix(p.path, "*")
	}
	if strings.Contains(p.path, "*") {
		return Pattern{}, errors.New(`may use "*" only at the end of the path`)
	}
	return p, nil
}

// Match reports whether u is covered by the pattern. The scheme, host and
// port must be equal (a missing port is the scheme's); the path is
// compared after cleaning, so "/a/../b" cannot escape a prefix.
func (p Pattern) Match(u *url.URL) bool {
	if u == nil || !strings.EqualFold(u.Scheme, p.scheme) || u.User != nil {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if sub, ok := strings.CutPrefix(p.host, "*."); ok {
		if !strings.HasSuffix(host, "."+sub) {
			return false
		}
	} else if host != p.host {
		return false
	}
	if portOf(u.Scheme, u.Port()) != portOf(p.scheme, p.port) {
		return false
	}
	got := u.EscapedPath()
	if got == "" {
		got = "/"
	}
	trailing := strings.HasSuffix(got, "/")
	got = path.Clean(got)
	if trailing && got != "/" {
		got += "/"
	}
	if p.prefix {
		return strings.HasPrefix(got, p.path) || got+"/" == p.path
	}
	return got == p.path
}

// portOf is a URL's port, the scheme's default when none is written.
func portOf(scheme, port string) string {
	if port != "" {
		return port
	}
	if strings.EqualFold(scheme, "http") {
		return "80"
	}
	return "443"
}

// Any reports whether any of the patterns matches u. Patterns that do not
// parse match nothing (configuration loading refuses them).
func Any(patterns []string, u *url.URL) bool {
	for _, s := range patterns {
		if p, err := Parse(s); err == nil && p.Match(u) {
			return true
		}
	}
	return false
}

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
