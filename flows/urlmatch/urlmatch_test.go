package urlmatch

import (
	"net/url"
	"testing"
)

func TestMatch(t *testing.T) {
	for _, tt := range []struct {
		pattern, url string
		want         bool
	}{
		{"https://api.example.com/*", "https://api.example.com/v1/me", true},
		{"https://api.example.com/*", "https://api.example.com", true},
		{"https://api.example.com/*", "https://API.example.com:443/x", true},
		{"https://api.example.com/*", "http://api.example.com/v1", false},
		{"https://api.example.com/*", "https://api.example.com:8443/v1", false},
		{"https://api.example.com/*", "https://api.example.com.evil.test/v1", false},
		{"https://api.example.com/*", "https://evilapi.example.com/v1", false},
		{"https://api.example.com/*", "https://user@api.example.com/v1", false},
		{"https://api.example.com/v1/*", "https://api.example.com/v1/me", true},
		{"https://api.example.com/v1/*", "https://api.example.com/v1", true},
		{"https://api.example.com/v1/*", "https://api.example.com/v2/me", false},
		{"https://api.example.com/v1/*", "https://api.example.com/v1/../v2/me", false},
		{"https://api.example.com/v1/*", "https://api.example.com/v1x", false},
		{"https://*.example.com/*", "https://a.b.example.com/x", true},
		{"https://*.example.com/*", "https://example.com/x", false},
		{"https://example.com/repo.git", "https://example.com/repo.git", true},
		{"https://example.com/repo.git", "https://example.com/repo.git/info/refs", false},
		{"http://127.0.0.1:8080/*", "http://127.0.0.1:8080/x", true},
		{"http://127.0.0.1:8080/*", "http://127.0.0.1/x", false},
	} {
		p, err := Parse(tt.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tt.pattern, err)
		}
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Match(u); got != tt.want {
			t.Errorf("%s ~ %s: %v, want %v", tt.pattern, tt.url, got, tt.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, s := range []string{"api.example.com/*", "ftp://example.com/*", "https:///x", "https://u@example.com/*",
		"https://example.com/*?a=b", "https://example.com/#x", "https://a.*.example.com/*", "https://example.com/a*/b"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("%s: accepted", s)
		}
	}
}
