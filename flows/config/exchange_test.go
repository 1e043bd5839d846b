package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"tokentop/flows"
)

// exchangeConn is a token_exchange connection whose next line is line 6.
const exchangeConn = `[connections.ci]
provider = "oauth2"
flow = "token_exchange"
token_url = "https://sts.example.com/token"
client_id = "ci-client"
`

func TestParseTokenExchange(t *testing.T) {
	cfg := mustParse(t, exchangeConn+`subject_token = "file:/var/run/secrets/tokens/ci"
requested_token_type = "urn:ietf:params:oauth:token-type:access_token"
audience = ["https://api.example.com", "ledger"]
scopes = ["read"]
`)
	c := cfg.Connections[0]
	x := c.Exchange
	if x.SubjectToken.Source() != "file" || x.SubjectConnection != "" {
		t.Errorf("subject: %v %q, want a file reference", x.SubjectToken, x.SubjectConnection)
	}
	if x.SubjectTokenType != "urn:ietf:params:oauth:token-type:jwt" {
		t.Errorf("SubjectTokenType = %q, want the jwt default", x.SubjectTokenType)
	}
	if x.Requested != "urn:ietf:params:oauth:token-type:access_token" || !reflect.DeepEqual(x.Audience, []string{"https://api.example.com", "ledger"}) {
		t.Errorf("Requested %q, Audience %q", x.Requested, x.Audience)
	}
	if !c.Renewable(flows.State{}) || !c.Renewable(flows.State{NeedsSignIn: true}) {
		t.Error("a token_exchange connection is not renewable without a person")
	}

	cfg = mustParse(t, exchangeConn+`subject_connection = "gh"
audience = "one"
[connections.gh]
provider = "oauth2"
flow = "client_credentials"
token_url = "https://gh.example.com/token"
client_id = "gh"
client_secret = "env:GH"
`)
	x = cfg.Connections[0].Exchange
	if x.SubjectConnection != "gh" || x.SubjectTokenType != "urn:ietf:params:oauth:token-type:access_token" || !reflect.DeepEqual(x.Audience, []string{"one"}) {
		t.Errorf("subject_connection: %+v", x)
	}
}

func TestParseTokenExchangeErrors(t *testing.T) {
	gh := "[connections.gh]\nprovider = \"oauth2\"\nflow = \"token_exchange\"\ntoken_url = \"https://gh.example.com/token\"\n"
	tests := map[string]struct{ text, want string }{
		"no subject": {exchangeConn,
			`config.toml:1: connections.ci: set exactly one of subject_token (a secret reference such as "file:/var/run/secrets/tokens/ci") and subject_connection (another connection)`},
		"both subjects": {exchangeConn + "subject_token = \"env:T\"\nsubject_connection = \"gh\"\n" + "[connections.gh]\nprovider = \"oauth2\"\nflow = \"api_key\"\napi_key = \"env:K\"\n",
			`config.toml:1: connections.ci: set exactly one of subject_token (a secret reference such as "file:/var/run/secrets/tokens/ci") and subject_connection (another connection)`},
		"type not a URI": {exchangeConn + "subject_token = \"env:T\"\nsubject_token_type = \"jwt\"\n",
			"config.toml:7: connections.ci.subject_token_type: must be a token type URI such as urn:ietf:params:oauth:token-type:jwt (RFC 8693 §3)"},
		"requested not a URI": {exchangeConn + "subject_token = \"env:T\"\nrequested_token_type = \"access token\"\n",
			"config.toml:7: connections.ci.requested_token_type: must be a token type URI such as urn:ietf:params:oauth:token-type:jwt (RFC 8693 §3)"},
		"missing connection": {exchangeConn + "subject_connection = \"gh-oidc\"\n",
			`config.toml:6: connections.ci.subject_connection: names no connection "gh-oidc"`},
		"itself": {exchangeConn + "subject_connection = \"ci\"\n",
			"config.toml:6: connections.ci.subject_connection: makes a cycle (ci → ci): each exchange would wait for the other's token"},
		"cycle": {exchangeConn + "subject_connection = \"gh\"\n" + gh + "subject_connection = \"ci\"\n",
			"config.toml:6: connections.ci.subject_connection: makes a cycle (ci → gh → ci): each exchange would wait for the other's token\n" +
				"config.toml:11: connections.gh.subject_connection: makes a cycle (gh → ci → gh): each exchange would wait for the other's token"},
		"audience repeated": {exchangeConn + "subject_token = \"env:T\"\naudience = [\"a\", \"a\"]\n",
			"config.toml:7: connections.ci.audience: repeats value 1"},
		"audience not strings": {exchangeConn + "subject_token = \"env:T\"\naudience = 3\n",
			"config.toml:7: connections.ci.audience: must be an array of strings"},
		"actor without type": {exchangeConn + "subject_token = \"env:T\"\nactor_token = \"env:A\"\n",
			"config.toml:1: connections.ci: actor_token and actor_token_type go together (RFC 8693 §2.1)"},
		"subject key on another flow": {resourceConn + "subject_token = \"env:T\"\n",
			`config.toml:7: connections.api.subject_token: is only used by flow = "token_exchange"`},
		"check unknown": {resourceConn + "check = \"userinfo\"\n",
			`config.toml:7: connections.api.check: must be "introspect" (RFC 7662), or left out for check_url`},
		"introspect without url": {resourceConn + "check = \"introspect\"\n",
			`config.toml:1: connections.api: missing introspection_url (or issuer, whose metadata names the introspection_endpoint), required by check = "introspect"`},
		"introspection_url alone": {resourceConn + "introspection_url = \"https://id.example.com/introspect\"\n",
			`config.toml:7: connections.api.introspection_url: is only used with check = "introspect"`},
		"introspection_url plain http": {resourceConn + "check = \"introspect\"\nintrospection_url = \"http://id.example.com/introspect\"\n",
			"config.toml:8: connections.api.introspection_url: http:// is only allowed for loopback hosts; use https://"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := parseErr(t, tt.text); got != tt.want {
				t.Errorf("error:\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestParseIntrospect(t *testing.T) {
	c := mustParse(t, resourceConn+"check = \"introspect\"\nintrospection_url = \"https://id.example.com/introspect\"\n").Connections[0]
	if c.CheckMethod != "introspect" || c.IntrospectURL != "https://id.example.com/introspect" {
		t.Errorf("CheckMethod %q, IntrospectURL %q", c.CheckMethod, c.IntrospectURL)
	}
}

// TestLoadForSubjectConnection: the script path's reduced load of a
// connection whose subject is another connection falls back to the whole
// file, so the subject is there to be asked.
func TestLoadForSubjectConnection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	text := exchangeConn + "subject_connection = \"gh\"\n[connections.gh]\nprovider = \"oauth2\"\nflow = \"api_key\"\napi_key = \"env:K\"\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadFor(path, "ci")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Connection("gh") == nil {
		t.Error("the subject connection is missing")
	}
}
