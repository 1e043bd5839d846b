package providertest

import (
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

func TestDemoConfig(t *testing.T) {
	s := New(NewDemo())
	defer s.Close()
	cfg := DemoConfig(s)
	var doc struct {
		RefreshBefore string `toml:"refresh_before"`
		Connections   map[string]map[string]any
	}
	md, err := toml.Decode(cfg, &doc)
	if err != nil {
		t.Fatalf("%v\n%s", err, cfg)
	}
	if doc.RefreshBefore != "20s" {
		t.Errorf("refresh_before %q", doc.RefreshBefore)
	}
	want := map[string][2]string{
		"aikido": {"aikido", "client_credentials"}, "aikido-app": {"aikido", "authorization_code"},
		"aha": {"aha", "authorization_code"}, "aha-implicit": {"aha", "implicit"}, "aha-key": {"aha", "api_key"},
		"aerion": {"aerion", "password"}, "amino": {"amino", "password"},
		"idp-device": {"oauth2", "device_code"}, "idp-app": {"oauth2", "authorization_code"},
	}
	for name, pf := range want {
		c := doc.Connections[name]
		if c == nil || c["provider"] != pf[0] || c["flow"] != pf[1] {
			t.Errorf("connection %s = %v", name, c)
		}
	}
	if doc.Connections["idp-app"]["pkce"] != true || doc.Connections["aikido"]["client_secret"] != AikidoClientSecret {
		t.Errorf("idp-app %v, aikido %v", doc.Connections["idp-app"], doc.Connections["aikido"])
	}
	if !strings.Contains(doc.Connections["aerion"]["note"].(string), AerionPassword) {
		t.Errorf("aerion note %v", doc.Connections["aerion"]["note"])
	}
	known := map[string]bool{}
	for _, k := range strings.Fields("provider flow client_id client_secret client_auth username password api_key subdomain company_url base_url issuer auth_url token_url revoke_url device_url check_url redirect_uri scopes pkce headers params refresh_before note") {
		known[k] = true
	}
	for _, k := range md.Keys() {
		if len(k) == 3 && k[0] == "connections" && !known[k[2]] {
			t.Errorf("unknown key %v", k)
		}
	}

	for _, name := range []string{"aikido-app", "aha", "aha-implicit"} {
		r, _ := doc.Connections[name]["redirect_uri"].(string)
		if !strings.HasPrefix(r, "http://127.0.0.1:") || !strings.HasSuffix(r, "/callback") {
			t.Errorf("%s redirect_uri %q", name, r)
		}
	}
	if doc.Connections["aha"]["redirect_uri"] != doc.Connections["aha-implicit"]["redirect_uri"] {
		t.Error("the Aha! connections share one registered application")
	}
	// The fake enforces the redirect URIs the demo registered.
	q := url.Values{"client_id": {AhaClientID}, "response_type": {"code"}, "redirect_uri": {"http://127.0.0.1:1/callback"}}
	if a := get(t, s.ahaURL("secure")+"/oauth/authorize?"+q.Encode()); a.Status != 400 {
		t.Errorf("unregistered redirect: %d", a.Status)
	}
	q.Set("redirect_uri", doc.Connections["aha"]["redirect_uri"].(string))
	location(t, get(t, s.ahaURL("secure")+"/oauth/authorize?"+q.Encode()))

	// The demo's credentials work against the demo server.
	a := post(t, s.AerionTokenURL(), url.Values{"grant_type": {"password"}, "username": {AerionUser}, "password": {AerionPassword},
		"client_id": {"tokentop-demo"}, "client_secret": {"any value"}}, "companyurl", AerionTenant)
	if a.Status != 200 || a.JSON["expires_in"] != 120.0 {
		t.Fatalf("aerion: %d %s", a.Status, a.Body)
	}
	if cfg != DemoConfig(s) {
		t.Error("DemoConfig is not deterministic")
	}
	if os.Getenv("PROVIDERTEST_SHOW_DEMO") != "" {
		t.Log("\n" + cfg)
	}
}

func TestDemoConfigWithoutRegisteredRedirects(t *testing.T) {
	s, _ := newTest(t, Options{})
	if DemoConfig(s) != DemoConfig(s) {
		t.Error("redirect URIs change between calls")
	}
	if !strings.Contains(DemoConfig(s), `redirect_uri = "http://127.0.0.1:`) {
		t.Error("no redirect_uri")
	}
}

func TestTOMLString(t *testing.T) {
	var doc struct{ V string }
	for _, v := range []string{`plain`, `quote " and \ backslash`, "tab\tnewline\n\x01del\x7f", "ünïcode %+:"} {
		if _, err := toml.Decode("v = "+tomlString(v), &doc); err != nil || doc.V != v {
			t.Errorf("%q: %q %v", v, doc.V, err)
		}
	}
}

func TestTOMLValue(t *testing.T) {
	var doc struct {
		S string
		L []string
		B bool
	}
	in := "s = " + tomlValue(`a "b"`) + "\nl = " + tomlValue([]string{"openid", `x\y`}) + "\nb = " + tomlValue(true)
	if _, err := toml.Decode(in, &doc); err != nil || doc.S != `a "b"` || len(doc.L) != 2 || doc.L[1] != `x\y` || !doc.B {
		t.Fatalf("%q decoded as %+v (%v)", in, doc, err)
	}
}
