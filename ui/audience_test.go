package ui

import (
	"strings"
	"testing"
	"time"

	"tokentop/flows"
)

// TestDetailShowsAudience: the audience a token came back with (RFC 8707,
// kept in Extra by flows/oauth) has its own line, and no line without one.
func TestDetailShowsAudience(t *testing.T) {
	for name, tc := range map[string]struct {
		extra map[string]string
		want  string
	}{
		"audience": {map[string]string{"audience": "https://api.example.com, https://ledger.example.com"}, "https://api.example.com, https://ledger.example.com"},
		"none":     {nil, ""},
	} {
		t.Run(name, func(t *testing.T) {
			clock := &fakeClock{t: t0}
			conns := []*flows.Connection{{Name: "svc", Provider: flows.OAuth2, Flow: flows.ClientCredentials, TokenURL: "https://id.example.com/token"}}
			b := newFakeBackend(clock, conns...)
			b.put("svc", flows.State{Token: &flows.Token{AccessToken: "tok-" + sentinel, Expiry: t0.Add(time.Hour), Extra: tc.extra}})
			h := newHarnessWith(t, b, clock, 100, 40)
			h.press("enter")
			f := h.frame()
			if tc.want == "" {
				if strings.Contains(f, "audience") {
					t.Errorf("an audience line without an audience:\n%s", f)
				}
				return
			}
			for _, l := range strings.Split(f, "\n") {
				inner := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(l), "│ "), " │")
				if v, ok := strings.CutPrefix(inner, "audience"); ok && strings.TrimSpace(v) == tc.want {
					return
				}
			}
			t.Errorf("no line \"audience  %s\":\n%s", tc.want, f)
		})
	}
}
