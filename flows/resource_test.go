package flows_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"tokentop/flows/fault"
	"tokentop/flows/providertest"
)

var wantResources = []string{"https://api.example.com", "https://ledger.example.com/v1"}

const resourceLine = `resource = ["https://api.example.com", "https://ledger.example.com/v1"]` + "\n"

// requestTo returns the last request the OAuth 2.0 fake got at a path
// ending in suffix.
func (e *env) requestTo(suffix string) providertest.Recorded {
	e.t.Helper()
	reqs := e.fake.Requests(providertest.OAuth2)
	for i := len(reqs) - 1; i >= 0; i-- {
		if strings.HasSuffix(reqs[i].Path, suffix) {
			return reqs[i]
		}
	}
	e.t.Fatalf("no request to …%s", suffix)
	return providertest.Recorded{}
}

func wantResourceParams(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: resource parameters %q, want %q", what, got, want)
	}
}

// TestResourceIndicatorsAuthorizationCode: RFC 8707 §2 end to end against
// the fake: the authorize URL, the code exchange and the refresh carry each
// resource once and in order, and the audience the server answered is kept
// with the token, across the refresh too.
func TestResourceIndicatorsAuthorizationCode(t *testing.T) {
	e := newEnv(t, providertest.Options{}, idpConf+`flow = "authorization_code"`+"\n"+resourceLine)
	tok := e.signInBrowser("idp")
	wantResourceParams(t, "authorize", e.requestTo("/authorize").Query["resource"], wantResources)
	wantResourceParams(t, "code exchange", e.lastRequest(providertest.OAuth2, "authorization_code").Form["resource"], wantResources)
	const aud = "https://api.example.com, https://ledger.example.com/v1"
	if tok.Extra["audience"] != aud {
		t.Errorf("audience after sign-in %q, want %q", tok.Extra["audience"], aud)
	}
	e.clock.Advance(2 * time.Hour)
	tok, err := e.svc.Token(e.ctx, "idp", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	wantResourceParams(t, "refresh", e.lastRequest(providertest.OAuth2, "refresh_token").Form["resource"], wantResources)
	if got := e.state("idp").Token.Extra["audience"]; tok.Extra["audience"] != aud || got != aud {
		t.Errorf("audience after refresh %q (stored %q), want %q", tok.Extra["audience"], got, aud)
	}
}

// TestResourceIndicatorsAbsent: without resource no request carries the
// parameter and no audience is made up.
func TestResourceIndicatorsAbsent(t *testing.T) {
	e := newEnv(t, providertest.Options{}, idpConf+`flow = "authorization_code"`+"\n")
	tok := e.signInBrowser("idp")
	e.clock.Advance(2 * time.Hour)
	if _, err := e.svc.Token(e.ctx, "idp", time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, r := range e.fake.Requests(providertest.OAuth2) {
		if r.Query.Has("resource") || r.Form.Has("resource") {
			t.Errorf("%v carries resource", r)
		}
	}
	if _, ok := tok.Extra["audience"]; ok {
		t.Errorf("audience %q without resource", tok.Extra["audience"])
	}
}

const serviceConf = `
[connections.svc]
provider = "oauth2"
flow = "client_credentials"
token_url = "{URL}/oauth2/token"
client_id = "svc"
client_secret = "svc-secret-0123"
`

var serviceClients = map[string]string{"svc": "svc-secret-0123", providertest.OAuth2PublicClientID: ""}

func TestResourceIndicatorsClientCredentials(t *testing.T) {
	e := newEnv(t, providertest.Options{OAuth2Clients: serviceClients}, serviceConf+`resource = ["https://api.example.com"]`+"\n")
	tok, err := e.svc.Token(e.ctx, "svc", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	wantResourceParams(t, "client credentials", e.lastRequest(providertest.OAuth2, "client_credentials").Form["resource"], wantResources[:1])
	if tok.Extra["audience"] != wantResources[0] {
		t.Errorf("audience %q, want %q", tok.Extra["audience"], wantResources[0])
	}
}

func TestResourceIndicatorsDeviceCode(t *testing.T) {
	e := newEnv(t, providertest.Options{DevicePending: -1}, idpConf+`flow = "device_code"`+"\n"+resourceLine)
	p, err := e.svc.BeginLogin(e.ctx, "idp")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(e.ctx); err != nil {
		t.Fatal(err)
	}
	wantResourceParams(t, "device authorization", e.requestTo("/device").Form["resource"], wantResources)
	wantResourceParams(t, "device poll", e.lastRequest(providertest.OAuth2, providertest.DeviceCodeGrant).Form["resource"], wantResources)
}

// TestResourceIndicatorRefused: a server's invalid_target (RFC 8707 §2)
// is a provider error that says what to check.
func TestResourceIndicatorRefused(t *testing.T) {
	e := newEnv(t, providertest.Options{OAuth2Clients: serviceClients, OAuth2Resources: []string{"https://other.example.com"}},
		serviceConf+`resource = ["https://api.example.com"]`+"\n")
	_, err := e.svc.Token(e.ctx, "svc", time.Minute)
	var pe *fault.ProviderError
	if !errors.As(err, &pe) || pe.Code != "invalid_target" || pe.Hint != "check resource (RFC 8707)" {
		t.Fatalf("err = %v, want invalid_target with a hint", err)
	}
}
