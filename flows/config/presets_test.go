package config

import (
	"strings"
	"testing"
	"tokentop/flows"
)

// TestPresetsAreValid checks every preset endpoint against the rules the
// file's own URLs must follow.
func TestPresetsAreValid(t *testing.T) {
	for p, pre := range presets {
		base := strings.ReplaceAll(pre.baseURL, flows.BaseURLPlaceholder, "")
		for _, u := range []string{pre.baseURL, pre.authURL, pre.tokenURL, pre.revokeURL, pre.deviceURL, pre.checkURL} {
			if u == "" {
				continue
			}
			u = strings.ReplaceAll(u, flows.BaseURLPlaceholder, "https://base.example")
			if base != "" {
				u = strings.ReplaceAll(u, "https://base.example", base)
			}
			if msg := uRLProblem(u); msg != "" {
				t.Errorf("%s preset %s: %s", p, u, msg)
			}
		}
		if len(pre.flows) == 0 {
			t.Errorf("%s offers no flow", p)
		}
	}
	if len(presets) != len(providers) {
		t.Errorf("%d presets for %d providers", len(presets), len(providers))
	}
}

func TestFlowsOffered(t *testing.T) {
	tests := []struct {
		p    flows.Provider
		want string
	}{
		{flows.Aikido, "client_credentials, authorization_code"},
		{flows.Aha, "authorization_code, implicit, api_key"},
		{flows.Aerion, "password"},
		{flows.Amino, "password"},
		{flows.OAuth2, "client_credentials, authorization_code, implicit, password, device_code, api_key, token_exchange"},
	}
	for _, tt := range tests {
		if got := flowList(tt.p); got != tt.want {
			t.Errorf("%s offers %s, want %s", tt.p, got, tt.want)
		}
	}
}

func TestHasTenantHeader(t *testing.T) {
	for headers, want := range map[string]bool{
		"Origin":     true,
		"referer":    true,
		"CompanyURL": true,
		"Referrer":   false,
		"X-Tenant":   false,
	} {
		if got := hasTenantHeader(map[string]string{headers: "https://acme.aerion.app"}); got != want {
			t.Errorf("hasTenantHeader(%s) = %v, want %v", headers, got, want)
		}
	}
	if hasTenantHeader(map[string]string{"origin": ""}) {
		t.Error("an empty origin header names no tenant")
	}
}
