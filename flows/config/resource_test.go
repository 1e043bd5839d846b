package config

import (
	"reflect"
	"testing"
)

// resourceConn is an oauth2 client-credentials connection whose resource
// line is line 7 of the file.
const resourceConn = `[connections.api]
provider = "oauth2"
flow = "client_credentials"
token_url = "https://id.example.com/token"
client_id = "cli"
client_secret = "env:API_SECRET"
`

func TestParseResource(t *testing.T) {
	cfg := mustParse(t, resourceConn+`resource = ["https://api.example.com", "urn:example:ledger", "https://api.example.com/v2?tenant=a"]`+"\n")
	want := []string{"https://api.example.com", "urn:example:ledger", "https://api.example.com/v2?tenant=a"}
	if got := cfg.Connections[0].Resource; !reflect.DeepEqual(got, want) {
		t.Errorf("Resource = %q, want %q", got, want)
	}
	if got := mustParse(t, resourceConn).Connections[0].Resource; got != nil {
		t.Errorf("without the key, Resource = %q, want nil", got)
	}
}

func TestParseResourceErrors(t *testing.T) {
	tests := map[string]struct{ text, want string }{
		"not an array": {resourceConn + `resource = "https://api.example.com"` + "\n",
			"config.toml:7: connections.api.resource: must be an array of strings"},
		"relative": {resourceConn + `resource = ["api.example.com"]` + "\n",
			"config.toml:7: connections.api.resource: value 1 must be an absolute URI such as https://api.example.com (RFC 8707 §2)"},
		"empty": {resourceConn + `resource = ["https://a.example", ""]` + "\n",
			"config.toml:7: connections.api.resource: value 2 must be an absolute URI without spaces or control characters (RFC 8707 §2)"},
		"fragment": {resourceConn + `resource = ["https://api.example.com/#x"]` + "\n",
			"config.toml:7: connections.api.resource: value 1 must not contain a fragment (#…) (RFC 8707 §2)"},
		"empty fragment": {resourceConn + `resource = ["https://api.example.com/#"]` + "\n",
			"config.toml:7: connections.api.resource: value 1 must not contain a fragment (#…) (RFC 8707 §2)"},
		"space": {resourceConn + `resource = ["https://api.example.com/a b"]` + "\n",
			"config.toml:7: connections.api.resource: value 1 must be an absolute URI without spaces or control characters (RFC 8707 §2)"},
		"scheme only": {resourceConn + `resource = ["https:"]` + "\n",
			"config.toml:7: connections.api.resource: value 1 must be an absolute URI such as https://api.example.com (RFC 8707 §2)"},
		"user info": {resourceConn + `resource = ["https://u:pw@api.example.com"]` + "\n",
			"config.toml:7: connections.api.resource: value 1 must not contain a user name or password"},
		"repeated": {resourceConn + `resource = ["https://a.example", "https://b.example", "https://a.example"]` + "\n",
			"config.toml:7: connections.api.resource: value 3 repeats value 1 (each resource is sent once)"},
		"in params": {resourceConn + "[connections.api.params]\nresource = \"https://api.example.com\"\n",
			"config.toml:8: connections.api.params.resource: is set by tokentop and cannot be overridden; use the resource key"},
		"api key flow": {"[connections.k]\nprovider = \"oauth2\"\nflow = \"api_key\"\napi_key = \"env:K\"\nresource = [\"https://api.example.com\"]\n",
			"config.toml:5: connections.k.resource: is not sent by the oauth2 api_key flow (it has no OAuth requests to carry it)"},
		"amino": {"[connections.m]\nprovider = \"amino\"\nbase_url = \"https://amino.example.com\"\nusername = \"u\"\nresource = [\"https://api.example.com\"]\n",
			"config.toml:5: connections.m.resource: is not sent by the amino password flow (it has no OAuth requests to carry it)"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := parseErr(t, tt.text); got != tt.want {
				t.Errorf("error:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}
