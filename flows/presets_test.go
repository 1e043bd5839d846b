package flows

import (
	"strings"
	"testing"
)

// TestPresetsAreValid checks every preset endpoint against the rules the
// file's own URLs must follow.
func TestPresetsAreValid(t *testing.T) {
	for p, pre := range cfgPresets {
		base := strings.ReplaceAll(pre.baseURL, cfgBaseURLPlaceholder, "")
		for _, u := range []string{pre.baseURL, pre.authURL, pre.tokenURL, pre.revokeURL, pre.deviceURL, pre.checkURL} {
			if u == "" {
				continue
			}
			u = strings.ReplaceAll(u, cfgBaseURLPlaceholder, "https://base.example")
			if base != "" {
				u = strings.ReplaceAll(u, "https://base.example", base)
			}
			if msg := cfgURLProblem(u); msg != "" {
				t.Errorf("%s preset %s: %s", p, u, msg)
			}
		}
		if len(pre.flows) == 0 {
			t.Errorf("%s offers no flow", p)
		}
	}
	if len(cfgPresets) != len(cfgProviders) {
		t.Errorf("%d presets for %d providers", len(cfgPresets), len(cfgProviders))
	}
}

func TestFlowsOffered(t *testing.T) {
	tests := []struct {
		p    Provider
		want string
	}{
		{Aikido, "client_credentials, authorization_code"},
		{Aha, "authorization_code, implicit, api_key"},
		{Aerion, "password"},
		{Amino, "password"},
		{OAuth2, "client_credentials, authorization_code, implicit, password, device_code, api_key"},
	}
	for _, tt := range tests {
		if got := cfgFlowList(tt.p); got != tt.want {
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
		if got := cfgHasTenantHeader(map[string]string{headers: "https://acme.aerion.app"}); got != want {
			t.Errorf("cfgHasTenantHeader(%s) = %v, want %v", headers, got, want)
		}
	}
	if cfgHasTenantHeader(map[string]string{"origin": ""}) {
		t.Error("an empty origin header names no tenant")
	}
}
