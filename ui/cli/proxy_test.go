package cli

import (
	"testing"

	"tokentop/flows"
)

func TestProxyTarget(t *testing.T) {
	cases := map[string]struct {
		api, check, want string
	}{
		"api_url":                 {"https://api.example.com/v2", "https://other.example.com/me", "https://api.example.com/v2"},
		"api_url without query":   {"https://api.example.com/v2?x=1#f", "", "https://api.example.com/v2"},
		"origin of check_url":     {"", "https://api.example.com:8443/api/v1/me?q=1", "https://api.example.com:8443"},
		"neither":                 {"", "", ""},
		"api_url not an absolute": {"/relative", "", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			u, err := proxyTarget(&flows.Connection{Name: "c", APIURL: tc.api, CheckURL: tc.check})
			switch {
			case tc.want == "" && err == nil:
				t.Fatalf("got %s, want an error", u)
			case tc.want != "" && (err != nil || u.String() != tc.want):
				t.Fatalf("got %v, %v; want %s", u, err, tc.want)
			}
		})
	}
}
