package flows

import "testing"

func TestExpandURL(t *testing.T) {
	c := &Connection{Subdomain: "acme", BaseURL: "https://{subdomain}.aha.io/"}
	tests := []struct {
		raw, sub, want string
	}{
		{"https://{subdomain}.aha.io/oauth/token", "", "https://acme.aha.io/oauth/token"},
		{"https://{subdomain}.aha.io/oauth/token", "big-co", "https://big-co.aha.io/oauth/token"},
		{"http://127.0.0.1:1234/aha/{subdomain}/oauth/token", "x1", "http://127.0.0.1:1234/aha/x1/oauth/token"},
		{"{base_url}/api/v1/me", "beta", "https://beta.aha.io/api/v1/me"},
		{"https://app.aikido.dev/api/oauth/token", "evil.example/", "https://app.aikido.dev/api/oauth/token"},
		// A forged account_subdomain must not move the request elsewhere.
		{"https://{subdomain}.aha.io/oauth/token", "evil.example/x?", ""},
		{"https://{subdomain}.aha.io/oauth/token", "evil.example", ""},
		{"https://{subdomain}.aha.io/oauth/token", "a@b", ""},
		{"https://{subdomain}.aha.io/oauth/token", "-acme", ""},
	}
	for _, tt := range tests {
		if got := c.ExpandURL(tt.raw, tt.sub); got != tt.want {
			t.Errorf("ExpandURL(%q, %q) = %q, want %q", tt.raw, tt.sub, got, tt.want)
		}
	}
	none := &Connection{}
	if got := none.ExpandURL("https://{subdomain}.aha.io", ""); got != "" {
		t.Errorf("without any subdomain: %q, want empty", got)
	}
}

func TestCheckSubdomain(t *testing.T) {
	for s, ok := range map[string]bool{
		"acme": true, "secure": true, "Big-Co2": true, "a": true,
		"": false, "-a": false, "a-": false, "a.b": false, "a/b": false, "a b": false,
		"ä": false, "012345678901234567890123456789012345678901234567890123456789012": true,
		"0123456789012345678901234567890123456789012345678901234567890123": false,
	} {
		if err := CheckSubdomain(s); (err == nil) != ok {
			t.Errorf("CheckSubdomain(%q) = %v, want ok=%v", s, err, ok)
		}
	}
}
