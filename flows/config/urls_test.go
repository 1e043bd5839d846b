package config

import (
	"testing"
)

func TestURLProblem(t *testing.T) {
	for raw, want := range map[string]string{
		"https://id.example.com/token":          "",
		"https://id.example.com:8443/token?x=1": "",
		"http://127.0.0.1:8080/token":           "",
		"http://127.9.9.9/token":                "",
		"http://[::1]:8080/token":               "",
		"http://localhost:8080/token":           "",
		"http://LOCALHOST/token":                "",
		"https://{subdomain}.aha.io/":           "",
		"http://[::2]/token":                    "http:// is only allowed for loopback hosts; use https://",
		"http://0.0.0.0/token":                  "http:// is only allowed for loopback hosts; use https://",
		"http://localhost.example.com/":         "http:// is only allowed for loopback hosts; use https://",
		"https:///token":                        "must be an absolute URL such as https://host/path",
		"mailto:ops@example.com":                "must be an absolute URL such as https://host/path",
		"https://id.example.com/#":              "must not contain a fragment (#…)",
		"https://@id.example.com/":              "must not contain a user name or password (use client_id and client_secret)",
		"https://id.example.com/{x}":            "has an unknown placeholder (only {subdomain} and {base_url} are expanded)",
		"wss://id.example.com/":                 "must be an https:// URL",
	} {
		if got := uRLProblem(raw); got != want {
			t.Errorf("uRLProblem(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestRedirectProblem(t *testing.T) {
	for raw, want := range map[string]string{
		"http://127.0.0.1:8766/callback":   "",
		"http://[::1]:8766/callback":       "",
		"http://localhost:8766/cb":         "",
		"http://localhost:8766/cb?app=tt":  "must not have a query",
		"http://127.0.0.1:99999/callback":  "has an invalid port (0 to 65535)",
		"http://127.0.0.1:0/callback":      "",
		"http://127.0.0.1/callback":        "must name a port, such as http://127.0.0.1:8766/callback",
		"http://127.0.0.1:8766/":           "must have a path, such as http://127.0.0.1:8766/callback",
		"http://127.0.0.2:8766/callback":   "must be on 127.0.0.1, [::1] or localhost (RFC 8252 §7.3)",
		"http://127.0.0.1:8766":            "must have a path, such as http://127.0.0.1:8766/callback",
		"com.example.app:/oauth2redirect":  "must be an http:// loopback URL such as http://127.0.0.1:8766/callback (RFC 8252 §7.3)",
		"http://u:p@127.0.0.1:8766/cb":     "must not contain a user name or password",
		"http://127.0.0.1:8766/cb\r\nX: y": "must not contain spaces or control characters",
	} {
		if got := redirectProblem(raw); got != want {
			t.Errorf("redirectProblem(%q) = %q, want %q", raw, got, want)
		}
	}
}
