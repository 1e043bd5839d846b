package callback

import (
	"strings"
	"testing"
)

// TestParseRedirect: the redirect URIs a sign-in can listen on, as Listen
// fills them in.
func TestParseRedirect(t *testing.T) {
	tests := map[string]struct {
		raw, want string
		binds     []string
	}{
		"default":         {raw: "", want: "http://127.0.0.1:0/callback", binds: []string{"127.0.0.1:0"}},
		"ipv4":            {raw: "http://127.0.0.1:8766/callback", want: "http://127.0.0.1:8766/callback", binds: []string{"127.0.0.1:8766"}},
		"no port":         {raw: "http://127.0.0.1/cb", want: "http://127.0.0.1/cb", binds: []string{"127.0.0.1:0"}},
		"no path":         {raw: "http://127.0.0.1:0", want: "http://127.0.0.1:0/", binds: []string{"127.0.0.1:0"}},
		"localhost":       {raw: "http://localhost:8766/callback", want: "http://localhost:8766/callback", binds: []string{"127.0.0.1:8766", "[::1]:8766"}},
		"upper case":      {raw: "http://LOCALHOST:0/x", want: "http://LOCALHOST:0/x", binds: []string{"127.0.0.1:0", "[::1]:0"}},
		"ipv6":            {raw: "http://[::1]:8766/callback", want: "http://[::1]:8766/callback", binds: []string{"[::1]:8766"}},
		"escaped path":    {raw: "http://127.0.0.1:1/a%2Fb", want: "http://127.0.0.1:1/a/b", binds: []string{"127.0.0.1:1"}},
		"highest port":    {raw: "http://127.0.0.1:65535/cb", want: "http://127.0.0.1:65535/cb", binds: []string{"127.0.0.1:65535"}},
		"empty port kept": {raw: "http://127.0.0.1:/cb", want: "http://127.0.0.1:/cb", binds: []string{"127.0.0.1:0"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			u, err := ParseRedirect(tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			if u.String() != tc.want {
				t.Errorf("ParseRedirect(%q) = %q, want %q", tc.raw, u, tc.want)
			}
			if got := bindAddrs(u); strings.Join(got, " ") != strings.Join(tc.binds, " ") {
				t.Errorf("listening on %q, want %q", got, tc.binds)
			}
		})
	}
}

// TestRedirectRefused: what ParseRedirect refuses, Listen refuses with the
// same words after "redirect_uri", and neither quotes the URI.
func TestRedirectRefused(t *testing.T) {
	tests := map[string]string{
		"http://0.0.0.0:8766/callback":           "must be on 127.0.0.1, [::1] or localhost (RFC 8252 §7.3)",
		"http://[::]:8766/callback":              "must be on 127.0.0.1, [::1] or localhost (RFC 8252 §7.3)",
		"http://192.168.1.10:8766/callback":      "must be on 127.0.0.1, [::1] or localhost (RFC 8252 §7.3)",
		"http://example.com/callback":            "must be on 127.0.0.1, [::1] or localhost (RFC 8252 §7.3)",
		"http://localhost.evil.example/callback": "must be on 127.0.0.1, [::1] or localhost (RFC 8252 §7.3)",
		"http://::1:8766/callback":               "is not a valid URL",
		"https://127.0.0.1:8766/callback":        "must be an http:// loopback URL such as http://127.0.0.1:8766/callback (RFC 8252 §7.3)",
		"myapp://callback":                       "must be an http:// loopback URL such as http://127.0.0.1:8766/callback (RFC 8252 §7.3)",
		"127.0.0.1:8766":                         "is not a valid URL",
		"::":                                     "is not a valid URL",
		"http://127.0.0.1:8766/callback?x=1":     "must not have a query",
		"http://127.0.0.1:8766/callback?":        "must not have a query",
		"http://127.0.0.1:8766/callback#f":       "must not contain a fragment (#…) (RFC 6749 §3.1.2)",
		"http://127.0.0.1:8766/callback#":        "must not contain a fragment (#…) (RFC 6749 §3.1.2)",
		"http://user@127.0.0.1:8766/callback":    "must not contain a user name or password",
		"http://127.0.0.1:99999/callback":        "has an invalid port (0 to 65535)",
		"http://[::1]:123456789/callback":        "has an invalid port (0 to 65535)",
		"http://127.0.0.1:8766/call back":        "must not contain spaces or control characters",
		"http://127.0.0.1:8766/\x00":             "must not contain spaces or control characters",
	}
	for raw, want := range tests {
		if u, err := ParseRedirect(raw); err == nil || err.Error() != want {
			t.Errorf("ParseRedirect(%q) = %v, %v; want %q", raw, u, err, want)
		}
		s, err := Listen(raw, testState, Code, Issuer{})
		if err == nil {
			s.Close()
			t.Errorf("%q: listening", raw)
			continue
		}
		if err.Error() != "redirect_uri "+want {
			t.Errorf("Listen(%q): %q, want %q", raw, err, "redirect_uri "+want)
		}
	}
}

// TestLoopbackHost: the Host headers and Origins the listener answers.
func TestLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1:8766":         true,
		"127.0.0.1":              true,
		"127.1.2.3:80":           true,
		"localhost:8766":         true,
		"LocalHost":              true,
		"[::1]:8766":             true,
		"[::1]":                  true,
		"evil.example:80":        false,
		"localhost.evil.example": false,
		"10.0.0.1:8766":          false,
		"[::]:8766":              false,
		"":                       false,
	} {
		if got := loopbackHost(host); got != want {
			t.Errorf("loopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}
