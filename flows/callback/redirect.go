package callback

import (
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// ParseRedirect checks a redirect URI and returns it, with the default filled
// in: empty means http://127.0.0.1:0/callback, an ephemeral port. It is the
// one check of a redirect URI: sign-in listens where it says, and loading the
// configuration uses it too, so that config check accepts exactly what a
// sign-in can listen on. The URI must name a loopback host over http:
// 127.0.0.1, [::1], or localhost (RFC 8252 §7.3 and §8.3); a missing port is
// left missing, and Listen takes an ephemeral one. Its messages complete
// "redirect_uri …" and never repeat the URI.
func ParseRedirect(raw string) (*url.URL, error) {
	if raw == "" {
		return &url.URL{Scheme: "http", Host: "127.0.0.1:0", Path: "/callback"}, nil
	}
	if strings.ContainsAny(raw, " \t\r\n\x00") {
		return nil, errors.New("must not contain spaces or control characters")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("is not a valid URL")
	}
	if u.User != nil {
		return nil, errors.New("must not contain a user name or password")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return nil, errors.New("must not contain a fragment (#…) (RFC 6749 §3.1.2)")
	}
	if u.Scheme != "http" || u.Host == "" {
		return nil, errors.New("must be an http:// loopback URL such as http://127.0.0.1:8766/callback (RFC 8252 §7.3)")
	}
	if u.RawQuery != "" || u.ForceQuery {
		// The redirect's query is the authorization response's.
		return nil, errors.New("must not have a query")
	}
	if loopbackIPs(u) == nil {
		return nil, errors.New("must be on 127.0.0.1, [::1] or localhost (RFC 8252 §7.3)")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			return nil, errors.New("has an invalid port (0 to 65535)")
		}
	}
	if u.Path == "" {
		u.Path = "/"
	}
	u.RawPath = ""
	return u, nil
}

// loopbackIPs returns the addresses a redirect URI's host stands for, or nil
// if it is not one a sign-in may listen on.
func loopbackIPs(u *url.URL) []string {
	switch h := strings.ToLower(u.Hostname()); {
	case h == "127.0.0.1":
		return []string{"127.0.0.1"}
	case h == "localhost":
		// RFC 8252 §8.3: the browser may try either address of
		// localhost; both are taken, so no other program gets it.
		return []string{"127.0.0.1", "::1"}
	case h == "::1" && strings.HasPrefix(u.Host, "["):
		return []string{"::1"}
	}
	return nil
}

// bindAddrs returns the addresses to listen on for a URI that ParseRedirect
// accepted: one, or for localhost both loopback addresses; port 0 when it
// names none.
func bindAddrs(u *url.URL) []string {
	port := u.Port()
	if port == "" {
		port = "0"
	}
	ips := loopbackIPs(u)
	binds := make([]string, len(ips))
	for i, ip := range ips {
		binds[i] = net.JoinHostPort(ip, port)
	}
	return binds
}

// pathOf is the path a URL asks for: an empty one is the root.
func pathOf(u *url.URL) string {
	if u.Path == "" {
		return "/"
	}
	return u.Path
}

// loopbackHost reports whether a Host header (or host:port) names this
// machine's loopback: localhost, 127.0.0.0/8 or ::1. A page of another site
// whose name now resolves to 127.0.0.1 (DNS rebinding) sends its own Host.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	} else {
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	}
	ip := net.ParseIP(host)
	return strings.EqualFold(host, "localhost") || ip != nil && ip.IsLoopback()
}
