package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
	"tokentop/flows"
	"tokentop/flows/callback"
	"tokentop/flows/secret"
)

// parseErr parses text as config.toml and returns the error's message, or
// fails the test when there is none.
func parseErr(t *testing.T, text string) string {
	t.Helper()
	cfg, err := Parse("/etc/tokentop/config.toml", []byte(text))
	if err == nil {
		t.Fatalf("Parse succeeded with %d connections, want an error", len(cfg.Connections))
	}
	if cfg != nil {
		t.Errorf("Parse returned a config with its error")
	}
	return err.Error()
}

// mustParse parses text as config.toml and fails the test on an error.
func mustParse(t *testing.T, text string) *flows.Config {
	t.Helper()
	cfg, err := Parse("/etc/tokentop/config.toml", []byte(text))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return cfg
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		// The file as a whole.
		{"syntax", "refresh_before = \"60s\"\n[connections.a]\nprovider = = \"aha\"\n",
			`config.toml:3: invalid TOML: expected value but found '=' instead`},
		{"syntax at the end of a line", "refresh_before = \"60s\"\n[connections.a\n",
			`config.toml:3: invalid TOML: expected '.' or ']' to end table name, but got '\n' instead`},
		{"unknown top-level key", "refresh_before = \"60s\"\nrefresh = \"1m\"\n",
			"config.toml:2: refresh: unknown key (the top level holds refresh_before, check_every, bell, clipboard_clear, a [team] table and [connections.NAME] tables)"},
		{"forgotten connections prefix", "[aha]\nprovider = \"aha\"\n",
			"config.toml:1: aha: unknown key (the top level holds refresh_before, check_every, bell, clipboard_clear, a [team] table and [connections.NAME] tables)"},
		{"connections not a table", "connections = 1\n",
			"config.toml:1: connections: must hold tables named [connections.NAME]"},
		{"array of tables", "[[connections]]\nprovider = \"aha\"\n",
			"config.toml:1: connections: must hold tables named [connections.NAME]"},
		{"connection not a table", "[connections]\na = \"aha\"\n",
			"config.toml:2: connections.a: must be a table ([connections.a])"},
		{"top-level refresh_before", "refresh_before = 60\n",
			`config.toml:1: refresh_before: must be a duration such as "60s" or "5m"`},
		{"top-level refresh_before negative", "refresh_before = \"-1s\"\n",
			"config.toml:1: refresh_before: must be positive"},

		// Keys.
		{"unknown key", "[connections.a]\nprovider = \"aikido\"\nclient_id = \"x\"\nclient_secret = \"env:X\"\ncolour = \"red\"\n",
			"config.toml:5: connections.a.colour: unknown key"},
		{"misspelt key", "[connections.a]\nprovider = \"aikido\"\nclient-id = \"x\"\nclient_secret = \"env:X\"\n",
			"config.toml:1: connections.a: missing client_id (Aikido authenticates the client on every token request)\n" +
				"config.toml:3: connections.a.client-id: unknown key (did you mean client_id?)"},
		{"unknown sub-table", "[connections.a]\nprovider = \"amino\"\nbase_url = \"https://tv.example.com\"\nusername = \"u\"\n[connections.a.extra]\nx = 1\n",
			"config.toml:5: connections.a.extra: unknown key"},
		{"unknown dotted key", "connections.a.provider = \"amino\"\nconnections.a.base_url = \"https://tv.example.com\"\nconnections.a.username = \"u\"\nconnections.a.tls.verify = false\n",
			"config.toml:4: connections.a.tls: unknown key"},

		// Types.
		{"string", "[connections.a]\nprovider = 1\n",
			"config.toml:2: connections.a.provider: must be a string"},
		{"array of strings", "[connections.a]\nprovider = \"oauth2\"\nflow = \"client_credentials\"\ntoken_url = \"https://id.example.com/token\"\nclient_id = \"c\"\nclient_secret = \"env:S\"\nscopes = \"openid email\"\n",
			"config.toml:7: connections.a.scopes: must be an array of strings"},
		{"array element", "[connections.a]\nprovider = \"oauth2\"\nflow = \"client_credentials\"\ntoken_url = \"https://id.example.com/token\"\nclient_id = \"c\"\nclient_secret = \"env:S\"\nscopes = [\"openid\", 2]\n",
			"config.toml:7: connections.a.scopes: must be an array of strings"},
		{"bool", "[connections.a]\nprovider = \"amino\"\nbase_url = \"https://tv.example.com\"\nusername = \"u\"\npkce = \"yes\"\n",
			"config.toml:5: connections.a.pkce: must be true or false"},
		{"table", "[connections.a]\nprovider = \"amino\"\nbase_url = \"https://tv.example.com\"\nusername = \"u\"\nheaders = \"X-Tenant: acme\"\n",
			`config.toml:5: connections.a.headers: must be a table of strings, such as { name = "value" }`},
		{"table value", "[connections.a]\nprovider = \"amino\"\nbase_url = \"https://tv.example.com\"\nusername = \"u\"\n\n[connections.a.params]\naudience = \"api\"\nmax_age = 3600\n",
			"config.toml:8: connections.a.params.max_age: must be a string"},
		{"duration number", "[connections.a]\nprovider = \"amino\"\nbase_url = \"https://tv.example.com\"\nusername = \"u\"\nlogin_timeout = 300\n",
			`config.toml:5: connections.a.login_timeout: must be a duration such as "60s" or "5m"`},
		{"duration zero", "[connections.a]\nprovider = \"amino\"\nbase_url = \"https://tv.example.com\"\nusername = \"u\"\nlogin_timeout = \"0s\"\n",
			"config.toml:5: connections.a.login_timeout: must be positive"},
		{"duration too long", "[connections.a]\nprovider = \"amino\"\nbase_url = \"https://tv.example.com\"\nusername = \"u\"\nrefresh_before = \"48h\"\n",
			"config.toml:5: connections.a.refresh_before: must be between 1s and 24h"},
		{"duration too short", "[connections.a]\nprovider = \"amino\"\nbase_url = \"https://tv.example.com\"\nusername = \"u\"\nlogin_timeout = \"10ms\"\n",
			"config.toml:5: connections.a.login_timeout: must be between 1s and 1h"},

		// Providers and flows.
		{"missing provider", "[connections.a]\nflow = \"password\"\n",
			"config.toml:1: connections.a: missing provider (one of: aikido, aha, aerion, amino, oauth2)"},
		{"empty provider", "[connections.a]\nprovider = \"\"\n",
			"config.toml:1: connections.a: missing provider (one of: aikido, aha, aerion, amino, oauth2)"},
		{"unknown provider", "[connections.a]\nprovider = \"okta\"\n",
			`config.toml:2: connections.a: unknown provider "okta" (one of: aikido, aha, aerion, amino, oauth2)`},
		{"unknown flow", "\n\n\n\n\n\n\n\n\n\n\n[connections.aha]\nprovider = \"aha\"\nflow = \"oauth\"\n",
			`config.toml:14: connections.aha: unknown flow "oauth" (one of: authorization_code, implicit, api_key)`},
		{"flow not offered", "[connections.aha]\nprovider = \"aha\"\nflow = \"client_credentials\"\n",
			"config.toml:3: connections.aha: aha does not offer the client_credentials flow (one of: authorization_code, implicit, api_key)"},
		{"flow not offered by amino", "[connections.tv]\nprovider = \"amino\"\nflow = \"device_code\"\n",
			"config.toml:3: connections.tv: amino does not offer the device_code flow (one of: password)"},
		{"oauth2 needs a flow", "[connections.idp]\nprovider = \"oauth2\"\nissuer = \"https://id.example.com\"\n",
			"config.toml:1: connections.idp: missing flow (one of: client_credentials, authorization_code, implicit, password, device_code, api_key)"},
		{"unknown client_auth", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"password\"\nissuer = \"https://id.example.com\"\nusername = \"u\"\nclient_auth = \"post\"\n",
			`config.toml:6: connections.idp: unknown client_auth "post" (one of: basic, body, private_key_jwt, client_secret_jwt)`},
		{"value quoted safely", "[connections.a]\nprovider = \"\\u001b[31mred\"\n",
			`config.toml:2: connections.a: unknown provider "\x1b[31mred" (one of: aikido, aha, aerion, amino, oauth2)`},

		// What each provider requires.
		{"aikido client_secret", "[connections.aikido]\nprovider = \"aikido\"\nclient_id = \"AIK_CLIENT_123\"\n",
			"config.toml:1: connections.aikido: missing client_secret (Aikido authenticates the client on every token request)"},
		{"aikido redirect_uri", "[connections.aikido]\nprovider = \"aikido\"\nflow = \"authorization_code\"\nclient_id = \"AIK_CLIENT_123\"\nclient_secret = \"env:S\"\n",
			"config.toml:1: connections.aikido: missing redirect_uri (Aikido redirects to the URI registered for the app)"},
		{"aha subdomain", "[connections.aha]\nprovider = \"aha\"\nflow = \"api_key\"\napi_key = \"env:AHA_KEY\"\n",
			`config.toml:1: connections.aha: missing subdomain (the Aha! account, or "secure" to pick it at sign-in)`},
		{"aha authorization_code", "[connections.aha]\nprovider = \"aha\"\nsubdomain = \"acme\"\n",
			"config.toml:1: connections.aha: missing client_id (required by the Aha! authorization_code flow)\n" +
				"config.toml:1: connections.aha: missing redirect_uri (Aha! requires the registered redirect URL)\n" +
				"config.toml:1: connections.aha: missing client_secret (Aha! requires it to exchange the code)"},
		{"aha implicit", "[connections.aha]\nprovider = \"aha\"\nsubdomain = \"acme\"\nflow = \"implicit\"\nclient_id = \"c\"\n",
			"config.toml:1: connections.aha: missing redirect_uri (Aha! requires the registered redirect URL)"},
		{"aha api_key", "[connections.aha]\nprovider = \"aha\"\nsubdomain = \"acme\"\nflow = \"api_key\"\n",
			"config.toml:1: connections.aha: missing api_key (required by the api_key flow)"},
		{"aerion tenant", "[connections.aerion]\nprovider = \"aerion\"\nusername = \"ops@acme.example\"\nheaders = { Accept = \"application/json\" }\n",
			"config.toml:1: connections.aerion: missing company_url (Aerion needs the tenant: set company_url, or an origin, referer or companyurl header)"},
		{"aerion username", "[connections.aerion]\nprovider = \"aerion\"\ncompany_url = \"https://acme.aerion.app\"\n",
			"config.toml:1: connections.aerion: missing username (required by the password flow)"},
		{"amino base_url", "[connections.tv]\nprovider = \"amino\"\nusername = \"u\"\n",
			"config.toml:1: connections.tv: missing base_url (Amino runs on the operator's own host)"},
		{"amino username", "[connections.tv]\nprovider = \"amino\"\nbase_url = \"https://tv.example.com\"\n",
			"config.toml:1: connections.tv: missing username (required by the password flow)"},
		{"oauth2 token_url", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\n",
			"config.toml:1: connections.idp: missing token_url (or issuer, for OpenID Connect discovery)"},
		{"oauth2 auth_url", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"authorization_code\"\ntoken_url = \"https://id.example.com/token\"\nclient_id = \"c\"\n",
			"config.toml:1: connections.idp: missing auth_url (or issuer, for the authorization_code flow)"},
		{"oauth2 implicit", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"implicit\"\nissuer = \"https://id.example.com\"\n",
			"config.toml:1: connections.idp: missing client_id (required by the implicit flow)"},
		{"oauth2 device_url", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"device_code\"\ntoken_url = \"https://id.example.com/token\"\nclient_id = \"c\"\n",
			"config.toml:1: connections.idp: missing device_url (or issuer, for the device_code flow)"},
		{"oauth2 client_credentials", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"client_credentials\"\nissuer = \"https://id.example.com\"\n",
			"config.toml:1: connections.idp: missing client_id (required by the client_credentials flow)\n" +
				"config.toml:1: connections.idp: missing client_secret (required by the client_credentials flow)"},
		{"oauth2 api_key", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"api_key\"\n",
			"config.toml:1: connections.idp: missing api_key (required by the api_key flow)"},

		// URLs.
		{"relative URL", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\ntoken_url = \"/oauth/token\"\n",
			"config.toml:5: connections.idp.token_url: must be an absolute URL such as https://host/path"},
		{"no scheme", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\ntoken_url = \"id.example.com/oauth/token\"\n",
			"config.toml:5: connections.idp.token_url: must be an absolute URL such as https://host/path"},
		{"http", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\ntoken_url = \"http://id.example.com/token\"\n",
			"config.toml:5: connections.idp.token_url: http:// is only allowed for loopback hosts; use https://"},
		{"http on a name that looks local", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\ntoken_url = \"http://127.0.0.1.example.com/token\"\n",
			"config.toml:5: connections.idp.token_url: http:// is only allowed for loopback hosts; use https://"},
		{"other scheme", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\ntoken_url = \"ftp://id.example.com/token\"\n",
			"config.toml:5: connections.idp.token_url: must be an https:// URL"},
		{"user info", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\ntoken_url = \"https://admin:pa55w0rd@id.example.com/token\"\n",
			"config.toml:5: connections.idp.token_url: must not contain a user name or password (use client_id and client_secret)"},
		{"fragment", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\ntoken_url = \"https://id.example.com/token#x\"\n",
			"config.toml:5: connections.idp.token_url: must not contain a fragment (#…)"},
		{"space", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\ntoken_url = \"https://id.example.com/oauth token\"\n",
			"config.toml:5: connections.idp.token_url: must not contain spaces or control characters"},
		{"unparsable", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\ntoken_url = \"https://id.example.com:port/token\"\n",
			"config.toml:5: connections.idp.token_url: is not a valid URL"},
		{"unknown placeholder", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\ntoken_url = \"https://{tenant}.example.com/token\"\n",
			"config.toml:5: connections.idp.token_url: has an unknown placeholder (only {subdomain} and {base_url} are expanded)"},
		{"subdomain placeholder without subdomain", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\ntoken_url = \"https://{subdomain}.example.com/token\"\n",
			"config.toml:5: connections.idp.token_url: uses {subdomain} but subdomain is not set"},
		{"base_url placeholder without base_url", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\ntoken_url = \"{base_url}/token\"\n",
			"config.toml:5: connections.idp.token_url: uses {base_url} but base_url is not set"},
		{"base_url with a query", "[connections.tv]\nprovider = \"amino\"\nusername = \"u\"\nbase_url = \"https://tv.example.com/?x=1\"\n",
			"config.toml:4: connections.tv.base_url: must not have a query (endpoint paths are appended to it)"},
		{"issuer with a query", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\nissuer = \"https://id.example.com/?realm=x\"\n",
			"config.toml:5: connections.idp.issuer: must not have a query (OpenID Connect Discovery §3)"},
		{"check_url", "[connections.tv]\nprovider = \"amino\"\nusername = \"u\"\nbase_url = \"https://tv.example.com\"\ncheck_url = \"http://tv.example.com/me\"\n",
			"config.toml:5: connections.tv.check_url: http:// is only allowed for loopback hosts; use https://"},
		{"company_url", "[connections.aerion]\nprovider = \"aerion\"\nusername = \"u\"\ncompany_url = \"acme.aerion.app\"\n",
			"config.toml:4: connections.aerion.company_url: must be an absolute URL such as https://acme.aerion.app"},

		// redirect_uri (RFC 8252 §7.3).
		{"redirect https", "[connections.aha]\nprovider = \"aha\"\nflow = \"implicit\"\nsubdomain = \"acme\"\nclient_id = \"c\"\nredirect_uri = \"https://127.0.0.1:8766/callback\"\n",
			"config.toml:6: connections.aha.redirect_uri: must be an http:// loopback URL such as http://127.0.0.1:8766/callback (RFC 8252 §7.3)"},
		{"redirect remote", "[connections.aha]\nprovider = \"aha\"\nflow = \"implicit\"\nsubdomain = \"acme\"\nclient_id = \"c\"\nredirect_uri = \"http://lvh.me:8766/callback\"\n",
			"config.toml:6: connections.aha.redirect_uri: must be on 127.0.0.1, [::1] or localhost (RFC 8252 §7.3)"},
		{"redirect no port", "[connections.aha]\nprovider = \"aha\"\nflow = \"implicit\"\nsubdomain = \"acme\"\nclient_id = \"c\"\nredirect_uri = \"http://127.0.0.1/callback\"\n",
			"config.toml:6: connections.aha.redirect_uri: must name a port, such as http://127.0.0.1:8766/callback"},
		{"redirect no path", "[connections.aha]\nprovider = \"aha\"\nflow = \"implicit\"\nsubdomain = \"acme\"\nclient_id = \"c\"\nredirect_uri = \"http://[::1]:8766/\"\n",
			"config.toml:6: connections.aha.redirect_uri: must have a path, such as http://127.0.0.1:8766/callback"},
		{"redirect fragment", "[connections.aha]\nprovider = \"aha\"\nflow = \"implicit\"\nsubdomain = \"acme\"\nclient_id = \"c\"\nredirect_uri = \"http://localhost:8766/cb#x\"\n",
			"config.toml:6: connections.aha.redirect_uri: must not contain a fragment (#…) (RFC 6749 §3.1.2)"},

		// Other values.
		{"subdomain", "[connections.aha]\nprovider = \"aha\"\nflow = \"api_key\"\napi_key = \"env:K\"\nsubdomain = \"acme.evil.example\"\n",
			`config.toml:5: connections.aha.subdomain: must be one DNS label such as "acme" (letters, digits and "-", at most 63)`},
		{"scope", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\nissuer = \"https://id.example.com\"\nscopes = [\"openid\", \"\"]\n",
			"config.toml:6: connections.idp.scopes: scope 2 is empty or holds a space, quote or backslash (RFC 6749 §3.3)"},
		{"header name", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\nissuer = \"https://id.example.com\"\nheaders = { \"X Tenant\" = \"acme\" }\n",
			`config.toml:6: connections.idp.headers."X Tenant": is not a valid header name (RFC 9110 §5.1)`},
		{"header value", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\nissuer = \"https://id.example.com\"\n[connections.idp.headers]\nX-Tenant = \"acme\\r\\nX-Evil: 1\"\n",
			"config.toml:7: connections.idp.headers.X-Tenant: value must not contain CR, LF or NUL (RFC 9110 §5.5)"},
		{"reserved param", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\nissuer = \"https://id.example.com\"\nparams = { audience = \"api\",\n  client_secret = \"s3cr3t-in-params\" }\n",
			"config.toml:7: connections.idp.params.client_secret: is set by tokentop and cannot be overridden; use the client_secret key"},
		{"reserved param without hint", "[connections.idp]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\nissuer = \"https://id.example.com\"\nparams = { grant_type = \"x\" }\n",
			"config.toml:6: connections.idp.params.grant_type: is set by tokentop and cannot be overridden"},
		{"env secret", "[connections.a]\nprovider = \"aikido\"\nclient_id = \"c\"\nclient_secret = \"env:AIKIDO SECRET\"\n",
			"config.toml:4: connections.a.client_secret: env: must be followed by an environment variable name, such as env:CLIENT_SECRET"},
		{"cmd secret", "[connections.a]\nprovider = \"aikido\"\nclient_id = \"c\"\nclient_secret = \"cmd: \"\n",
			"config.toml:4: connections.a.client_secret: cmd: must be followed by a command"},
		{"file secret", "[connections.a]\nprovider = \"aikido\"\nclient_id = \"c\"\nclient_secret = \"env:S\"\n\n[connections.b]\nprovider = \"aha\"\nflow = \"api_key\"\nsubdomain = \"acme\"\napi_key = \"file:\"\n",
			"config.toml:10: connections.b.api_key: file: must be followed by a path"},

		// Connection names.
		{"name with a space", "[connections.\"my aha\"]\nprovider = \"aha\"\nflow = \"api_key\"\nsubdomain = \"acme\"\napi_key = \"env:K\"\n",
			`config.toml:1: connections."my aha": connection name must not contain spaces`},
		{"name with a slash", "[connections.\"a/b\"]\nprovider = \"aha\"\nflow = \"api_key\"\nsubdomain = \"acme\"\napi_key = \"env:K\"\n",
			`config.toml:1: connections."a/b": connection name must not contain "/" or "\"`},
		{"name with an escape", "[connections.\"a\\u001bb\"]\nprovider = \"aha\"\nflow = \"api_key\"\nsubdomain = \"acme\"\napi_key = \"env:K\"\n",
			`config.toml:1: connections."a\x1bb": connection name must be printable`},
		{"name like an option", "[connections.-a]\nprovider = \"aha\"\nflow = \"api_key\"\nsubdomain = \"acme\"\napi_key = \"env:K\"\n",
			`config.toml:1: connections.-a: connection name must not start with "-" (it would read as a command-line option)`},
		{"name dot-dot", "[connections.\"..\"]\nprovider = \"aha\"\nflow = \"api_key\"\nsubdomain = \"acme\"\napi_key = \"env:K\"\n",
			`config.toml:1: connections."..": connection name must not be "." or ".."`},
		{"name too long", "[connections." + strings.Repeat("a", 65) + "]\nprovider = \"aha\"\nflow = \"api_key\"\nsubdomain = \"acme\"\napi_key = \"env:K\"\n",
			"config.toml:1: connections." + strings.Repeat("a", 65) + ": connection name is longer than 64 characters"},
		{"empty name", "[connections.\"\"]\nprovider = \"aha\"\n",
			`config.toml:1: connections."": connection name is empty`},
		{"names equal but for case", "[connections.aha]\nprovider = \"aha\"\nflow = \"api_key\"\nsubdomain = \"acme\"\napi_key = \"env:K\"\n[connections.AHA]\nprovider = \"aha\"\nflow = \"api_key\"\nsubdomain = \"acme\"\napi_key = \"env:K\"\n",
			"config.toml:6: connections.AHA: differs from connections.aha only in case (names must differ in more than case)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseErr(t, tt.text); got != tt.want {
				t.Errorf("error:\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestParseConfigCollectsAllProblems(t *testing.T) {
	const text = `refresh_before = "forever"

[connections.idp]
provider = "oauth2"
flow = "password"
token_url = "http://id.example.com/token"
username = "u"

[connections.aha]
provider = "aha"
flow = "oauth"
`
	_, err := Parse("config.toml", []byte(text))
	var all Errors
	if !errors.As(err, &all) {
		t.Fatalf("error %T is not Errors", err)
	}
	var got []string
	for _, e := range all.Errors() {
		got = append(got, fmt.Sprintf("%d|%s|%s", e.Line, e.Conn, e.Key))
	}
	want := []string{"1||refresh_before", "6|idp|token_url", "11|aha|"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems = %q, want %q", got, want)
	}
	if n := strings.Count(err.Error(), "\n"); n != 2 {
		t.Errorf("Error() has %d lines, want 3:\n%s", n+1, err)
	}
	var first *Error
	if !errors.As(err, &first) || first.Key != "refresh_before" || first.File != "config.toml" {
		t.Errorf("errors.As(*Error) = %+v, want the first problem", first)
	}
}

func TestConfigErrorsErrorIsBounded(t *testing.T) {
	var b strings.Builder
	for i := range 30 {
		fmt.Fprintf(&b, "unknown%d = 1\n", i)
	}
	msg := parseErr(t, b.String())
	lines := strings.Split(msg, "\n")
	if len(lines) != 21 || lines[20] != "(and 10 more problems)" {
		t.Errorf("got %d lines ending %q, want 21 ending with the count", len(lines), lines[len(lines)-1])
	}
}

func TestConfigErrorFormat(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{File: "config.toml", Line: 14, Conn: "aha", Msg: `unknown flow "oauth"`}, `config.toml:14: connections.aha: unknown flow "oauth"`},
		{Error{File: "config.toml", Line: 3, Conn: "aha", Key: "redirect_uri", Msg: "m"}, "config.toml:3: connections.aha.redirect_uri: m"},
		{Error{File: "config.toml", Line: 1, Key: "refresh_before", Msg: "m"}, "config.toml:1: refresh_before: m"},
		{Error{File: "config.toml", Msg: "m"}, "config.toml: m"},
		{Error{Msg: "m"}, "config: m"},
		{Error{File: "c.toml", Line: 2, Conn: "a b", Msg: "m"}, `c.toml:2: connections."a b": m`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// TestErrorsNeverShowSecrets plants secret values in broken files and
// checks that no message repeats them.
func TestErrorsNeverShowSecrets(t *testing.T) {
	texts := []string{
		// Syntax errors on the secret's own line.
		"[connections.a]\nprovider = \"aikido\"\nclient_secret = hunter2-Zq9xK\n",
		"[connections.a]\nprovider = \"aikido\"\nclient_secret = \"hunter2-Zq9xK\\q\"\n",
		"[connections.a]\nprovider = \"aikido\"\npassword = 0xhunter2-Zq9xK\n",
		"[connections.a]\nprovider = \"aikido\"\napi_key = \"\"\"\nhunter2-Zq9xK\\uZZZZ\"\"\"\n",
		"[connections]\na = { provider = \"aikido\", client_secret = hunter2-Zq9xK }\n",
		"[connections.a]\nprovider = \"aikido\"\n\"client_secret\" = 'hunter2-Zq9xK\n",
		// Bad secrets.
		"[connections.a]\nprovider = \"aikido\"\nclient_id = \"c\"\nclient_secret = \"env:hunter2-Zq9xK\"\n",
		"[connections.a]\nprovider = \"aikido\"\nclient_id = \"c\"\nclient_secret = \"file:hunter2-Zq9xK\"\nflow = \"nope\"\n",
		// Secrets in places that report values.
		"[connections.a]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\ntoken_url = \"https://u:hunter2-Zq9xK@id.example.com/\"\n",
		"[connections.a]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\ntoken_url = \"http://u:hunter2-Zq9xK@id.example.com/\"\n",
		"[connections.a]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\ntoken_url = \"https://id.example.com/%zz?hunter2-Zq9xK\"\n",
		"[connections.a]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\nissuer = \"https://x\"\nheaders = { Authorization = \"Bearer hunter2-Zq9xK\\n\" }\n",
		"[connections.a]\nprovider = \"oauth2\"\nflow = \"password\"\nusername = \"u\"\nissuer = \"https://x\"\nparams = { password = \"hunter2-Zq9xK\" }\n",
		"[connections.a]\nprovider = \"aikido\"\nclient_secret = \"hunter2-Zq9xK\"\npassword = [\"hunter2-Zq9xK\"]\napi_key = { v = \"hunter2-Zq9xK\" }\n",
		"[connections.a]\nprovider = \"aerion\"\nredirect_uri = \"http://u:hunter2-Zq9xK@127.0.0.1:1/cb\"\ncompany_url = \"https://u:hunter2-Zq9xK@acme.aerion.app\"\n",
	}
	for i, text := range texts {
		msg := parseErr(t, text)
		t.Logf("text %d: %s", i, msg)
		if strings.Contains(msg, "hunter2") || strings.Contains(msg, "Zq9xK") {
			t.Errorf("text %d: error shows the secret: %s", i, msg)
		}
	}
}

func TestParseConfigExample(t *testing.T) {
	cfg, err := Load(filepath.Join("testdata", "config", "example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Names(), []string{"aikido", "aha", "aha-key", "aerion", "amino", "idp", "machines", "tv-device"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names() = %q, want %q (file order)", got, want)
	}
	providers := map[flows.Provider]bool{}
	for _, c := range cfg.Connections {
		providers[c.Provider] = true
	}
	if len(providers) != 5 {
		t.Errorf("example covers providers %v, want all five", providers)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings: %q", cfg.Warnings)
	}
	lines := map[string]int{"aikido": 6, "aha": 13, "aerion": 28, "tv-device": 62}
	for name, line := range lines {
		if got := cfg.Connection(name).Line; got != line {
			t.Errorf("%s: Line = %d, want %d", name, got, line)
		}
	}
	if got, want := cfg.Connection("machines").CAFile, filepath.Join("testdata", "config", "certs", "internal-ca.pem"); got != want {
		t.Errorf("ca_file = %q, want %q (relative to the file)", got, want)
	}
	if got := cfg.Connection("aerion").RefreshBefore; got != 5*time.Minute {
		t.Errorf("aerion refresh_before = %v, want 5m", got)
	}
	if got := cfg.Connection("amino").LoginTimeout; got != 2*time.Minute {
		t.Errorf("amino login_timeout = %v, want 2m", got)
	}
}

func TestParseConfigPresets(t *testing.T) {
	const def = defaultRefreshBefore
	tests := []struct {
		name, text string
		want       flows.Connection
	}{
		{"aikido", `
[connections.c]
provider = "aikido"
client_id = "AIK_CLIENT_123"
client_secret = "env:AIKIDO_CLIENT_SECRET"
`, flows.Connection{
			Provider: flows.Aikido, Flow: flows.ClientCredentials,
			ClientID: "AIK_CLIENT_123", ClientSecret: secret.New("env:AIKIDO_CLIENT_SECRET"), ClientAuth: flows.ClientAuthBasic,
			AuthURL:  "https://app.aikido.dev/oauth/authorize",
			TokenURL: "https://app.aikido.dev/api/oauth/token",
		}},
		{"aikido authorization code", `
[connections.c]
provider = "aikido"
flow = "authorization_code"
client_id = "AIK_CLIENT_123"
client_secret = "env:S"
redirect_uri = "http://127.0.0.1:8766/callback"
`, flows.Connection{
			Provider: flows.Aikido, Flow: flows.AuthorizationCode,
			ClientID: "AIK_CLIENT_123", ClientSecret: secret.New("env:S"), ClientAuth: flows.ClientAuthBasic,
			AuthURL:     "https://app.aikido.dev/oauth/authorize",
			TokenURL:    "https://app.aikido.dev/api/oauth/token",
			RedirectURI: "http://127.0.0.1:8766/callback",
		}},
		{"aha", `
[connections.c]
provider = "aha"
subdomain = "acme"
client_id = "id"
client_secret = "cmd:pass show aha/client"
redirect_uri = "http://127.0.0.1:8766/callback"
`, flows.Connection{
			Provider: flows.Aha, Flow: flows.AuthorizationCode,
			ClientID: "id", ClientSecret: secret.New("cmd:pass show aha/client"), ClientAuth: flows.ClientAuthBody,
			Subdomain:   "acme",
			BaseURL:     "https://{subdomain}.aha.io",
			AuthURL:     "https://{subdomain}.aha.io/oauth/authorize",
			TokenURL:    "https://{subdomain}.aha.io/oauth/token",
			CheckURL:    "https://{subdomain}.aha.io/api/v1/me",
			RedirectURI: "http://127.0.0.1:8766/callback",
		}},
		{"aha on a fake", `
[connections.c]
provider = "aha"
subdomain = "secure"
flow = "implicit"
client_id = "id"
base_url = "http://127.0.0.1:1234/aha/{subdomain}/"
redirect_uri = "http://localhost:8766/cb"
`, flows.Connection{
			Provider: flows.Aha, Flow: flows.Implicit, ClientID: "id", ClientAuth: flows.ClientAuthBody,
			Subdomain:   "secure",
			BaseURL:     "http://127.0.0.1:1234/aha/{subdomain}/",
			AuthURL:     "http://127.0.0.1:1234/aha/{subdomain}/oauth/authorize",
			TokenURL:    "http://127.0.0.1:1234/aha/{subdomain}/oauth/token",
			CheckURL:    "http://127.0.0.1:1234/aha/{subdomain}/api/v1/me",
			RedirectURI: "http://localhost:8766/cb",
		}},
		{"aha api key", `
[connections.c]
provider = "aha"
subdomain = "acme"
flow = "api_key"
api_key = "env:AHA_API_KEY"
`, flows.Connection{
			Provider: flows.Aha, Flow: flows.APIKey, APIKey: secret.New("env:AHA_API_KEY"), ClientAuth: flows.ClientAuthBody,
			Subdomain: "acme",
			BaseURL:   "https://{subdomain}.aha.io",
			AuthURL:   "https://{subdomain}.aha.io/oauth/authorize",
			TokenURL:  "https://{subdomain}.aha.io/oauth/token",
			CheckURL:  "https://{subdomain}.aha.io/api/v1/me",
		}},
		{"aerion", `
[connections.c]
provider = "aerion"
company_url = "https://acme.aerion.app"
username = "ops@acme.example"
`, flows.Connection{
			Provider: flows.Aerion, Flow: flows.Password,
			ClientID: "tokentop", ClientSecret: secret.New("tokentop"), ClientAuth: flows.ClientAuthBody,
			Username: "ops@acme.example", CompanyURL: "https://acme.aerion.app",
			TokenURL: "https://api.aerion.app/oauth2/token",
		}},
		{"aerion tenant header", `
[connections.c]
provider = "aerion"
username = "ops@acme.example"
client_id = "my-app"
headers = { Origin = "https://acme.aerion.app" }
`, flows.Connection{
			Provider: flows.Aerion, Flow: flows.Password,
			ClientID: "my-app", ClientSecret: secret.New("tokentop"), ClientAuth: flows.ClientAuthBody,
			Username: "ops@acme.example",
			Headers:  map[string]string{"Origin": "https://acme.aerion.app"},
			TokenURL: "https://api.aerion.app/oauth2/token",
		}},
		{"amino", `
[connections.c]
provider = "amino"
base_url = "https://tv.example.com/"
username = "ops@example.com"
`, flows.Connection{
			Provider: flows.Amino, Flow: flows.Password, Username: "ops@example.com",
			BaseURL:  "https://tv.example.com/",
			TokenURL: "https://tv.example.com/api/auth/v1/access_tokens",
		}},
		{"oauth2", `
[connections.c]
provider = "oauth2"
flow = "authorization_code"
issuer = "https://id.example.com"
client_id = "tokentop"
scopes = ["openid", "offline_access"]
pkce = false
headers = { "X-Tenant" = "acme" }
params = { audience = "api" }
`, flows.Connection{
			Provider: flows.OAuth2, Flow: flows.AuthorizationCode, ClientID: "tokentop", ClientAuth: flows.ClientAuthBasic,
			Issuer:  "https://id.example.com",
			Scopes:  []string{"openid", "offline_access"},
			Headers: map[string]string{"X-Tenant": "acme"},
			Params:  map[string]string{"audience": "api"},
		}},
		{"oauth2 explicit endpoints", `
[connections.c]
provider = "oauth2"
flow = "device_code"
client_id = "tv"
client_auth = "body"
base_url = "https://id.example.com/realms/x"
device_url = "{base_url}/device"
token_url = "{base_url}/token"
revoke_url = "{base_url}/revoke"
check_url = "https://api.example.com/me"
`, flows.Connection{
			Provider: flows.OAuth2, Flow: flows.DeviceCode, ClientID: "tv", ClientAuth: flows.ClientAuthBody,
			BaseURL:   "https://id.example.com/realms/x",
			DeviceURL: "https://id.example.com/realms/x/device",
			TokenURL:  "https://id.example.com/realms/x/token",
			RevokeURL: "https://id.example.com/realms/x/revoke",
			CheckURL:  "https://api.example.com/me",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParse(t, tt.text)
			got := *cfg.Connections[0]
			want := tt.want
			want.Name, want.Line = "c", 2
			if want.Provider != flows.OAuth2 || tt.name != "oauth2" {
				want.PKCE = true
			}
			want.RefreshBefore, want.LoginTimeout, want.CheckEvery = def, defaultLoginTimeout, defaultCheckEvery
			if !reflect.DeepEqual(got, want) {
				t.Errorf("connection:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestParseConfigDefaults(t *testing.T) {
	cfg := mustParse(t, `
[connections.tv]
provider = "amino"
base_url = "https://tv.example.com"
username = "u"
`)
	if cfg.RefreshBefore != 60*time.Second || cfg.Path != "/etc/tokentop/config.toml" {
		t.Errorf("RefreshBefore = %v, Path = %q", cfg.RefreshBefore, cfg.Path)
	}
	c := cfg.Connections[0]
	if c.RefreshBefore != 60*time.Second || c.LoginTimeout != 5*time.Minute || !c.PKCE || c.InsecureSkipVerify {
		t.Errorf("defaults: refresh %v, login %v, pkce %v, insecure %v", c.RefreshBefore, c.LoginTimeout, c.PKCE, c.InsecureSkipVerify)
	}

	cfg = mustParse(t, `refresh_before = "2m"
[connections.a]
provider = "amino"
base_url = "https://tv.example.com"
username = "u"
[connections.b]
provider = "amino"
base_url = "https://tv.example.com"
username = "u"
refresh_before = "90s"
`)
	if cfg.RefreshBefore != 2*time.Minute || cfg.Connections[0].RefreshBefore != 2*time.Minute || cfg.Connections[1].RefreshBefore != 90*time.Second {
		t.Errorf("refresh_before: top %v, a %v, b %v; want 2m, 2m, 90s", cfg.RefreshBefore, cfg.Connections[0].RefreshBefore, cfg.Connections[1].RefreshBefore)
	}

	if cfg := mustParse(t, "# nothing yet\n"); len(cfg.Connections) != 0 {
		t.Errorf("empty file has connections")
	}
}

// TestParseConfigFileOrder checks that connections keep the file's order
// however they are written: Go maps would shuffle them.
func TestParseConfigFileOrder(t *testing.T) {
	const conn = "provider = \"amino\"\nbase_url = \"https://tv.example.com\"\nusername = \"u\"\n"
	var b strings.Builder
	var want []string
	for _, name := range []string{"zulu", "alpha", "mike", "bravo", "yankee", "charlie", "x-ray", "delta"} {
		fmt.Fprintf(&b, "[connections.%s]\n%s\n", name, conn)
		want = append(want, name)
	}
	fmt.Fprintf(&b, "[connections.\"a.b\"]\n%s\n", conn)
	b.WriteString("[connections]\necho = { provider = \"amino\", base_url = \"https://tv.example.com\", username = \"u\" }\n")
	want = append(want, "a.b", "echo")
	cfg := mustParse(t, b.String())
	if got := cfg.Names(); !reflect.DeepEqual(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}
	if got := cfg.Connection("echo").Line; got != 47 {
		t.Errorf("inline connection Line = %d, want 47", got)
	}
}

func TestLoadConfigMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope", "config.toml")
	_, err := Load(path)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v is not fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name %s", err, path)
	}
}

func TestLoadConfigTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte("# "+strings.Repeat("x", maxSize)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || err.Error() != "config.toml: the file is larger than 1 MiB" {
		t.Errorf("error = %v", err)
	}
}

// TestLoadConfigRedirectAsSignIn: config check refuses the redirect URIs
// that sign-in cannot listen on, with the very check sign-in makes
// (callback.ParseRedirect), on the key's line. Port 99999 was once accepted here
// and refused only when the sign-in started.
func TestLoadConfigRedirectAsSignIn(t *testing.T) {
	for raw, want := range map[string]string{
		"http://127.0.0.1:99999/callback": "has an invalid port (0 to 65535)",
		"http://localhost:8766/cb?app=tt": "must not have a query",
		"http://127.0.0.1:65536/callback": "has an invalid port (0 to 65535)",
		"http://[::1]:123456789/callback": "has an invalid port (0 to 65535)",
	} {
		path := filepath.Join(t.TempDir(), "config.toml")
		text := "[connections.aha]\nprovider = \"aha\"\nflow = \"implicit\"\nsubdomain = \"acme\"\nclient_id = \"c\"\n\nredirect_uri = \"" + raw + "\"\n"
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if want := "config.toml:7: connections.aha.redirect_uri: " + want; err == nil || err.Error() != want {
			t.Errorf("%s: error %v, want %q", raw, err, want)
		}
		_, signIn := callback.ParseRedirect(raw)
		if signIn == nil {
			t.Errorf("%s: sign-in accepts what config check refuses", raw)
		}
	}
}

// TestParseConfigLiteralSecretTooLarge: a literal secret over the cap is
// refused when the file is loaded, without its value.
func TestParseConfigLiteralSecretTooLarge(t *testing.T) {
	got := parseErr(t, "[connections.a]\nprovider = \"aikido\"\nclient_id = \"c\"\nclient_secret = \"SENTINEL"+strings.Repeat("x", secret.MaxSize)+"\"\n")
	if want := "config.toml:4: connections.a.client_secret: literal: secret is larger than 64 KiB"; got != want {
		t.Fatalf("error %.200q, want %q", got, want)
	}
}

func TestLoadConfigWarnings(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mode bits on Windows")
	}
	const literal = `
[connections.aikido]
provider = "aikido"
client_id = "AIK_CLIENT_123"
client_secret = "s3cr3t-literal"

[connections.idp]
provider = "oauth2"
flow = "password"
token_url = "https://127.0.0.1:8443/token"
username = "u"
password = "env:IDP_PASSWORD"
insecure_skip_verify = true
`
	tests := []struct {
		name string
		text string
		mode os.FileMode
		want []string
	}{
		{"readable literal", literal, 0o644, []string{
			"config.toml:5: connections.aikido.client_secret: the file is readable by other users and holds this secret in plain text; run chmod 600 DIR/config.toml, or use env:, cmd: or file:",
			"config.toml:13: connections.idp: insecure_skip_verify is on: TLS certificates are not verified, so anyone on the network path can read this connection's tokens",
		}},
		{"group-readable literal", literal, 0o640, []string{
			"config.toml:5: connections.aikido.client_secret: the file is readable by other users and holds this secret in plain text; run chmod 600 DIR/config.toml, or use env:, cmd: or file:",
			"config.toml:13: connections.idp: insecure_skip_verify is on: TLS certificates are not verified, so anyone on the network path can read this connection's tokens",
		}},
		{"private literal", literal, 0o600, []string{
			"config.toml:13: connections.idp: insecure_skip_verify is on: TLS certificates are not verified, so anyone on the network path can read this connection's tokens",
		}},
		{"readable without literals", strings.Replace(literal, "s3cr3t-literal", "env:AIKIDO_SECRET", 1), 0o644, []string{
			"config.toml:13: connections.idp: insecure_skip_verify is on: TLS certificates are not verified, so anyone on the network path can read this connection's tokens",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config.toml")
			if err := os.WriteFile(path, []byte(tt.text), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, strings.ReplaceAll(w, "DIR", dir))
			}
			if !reflect.DeepEqual(cfg.Warnings, want) {
				t.Errorf("warnings:\n got %q\nwant %q", cfg.Warnings, want)
			}
			for _, w := range cfg.Warnings {
				if strings.Contains(w, "s3cr3t") {
					t.Errorf("warning shows the secret: %s", w)
				}
			}
			if c := cfg.Connection("aikido"); c.ClientSecret.IsZero() {
				t.Errorf("client_secret not kept")
			}
		})
	}
}

// TestParseConfigDoesNotResolveSecrets checks that loading runs no
// command: the cmd: secret would create a file.
func TestParseConfigDoesNotResolveSecrets(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	text := fmt.Sprintf(`
[connections.a]
provider = "aikido"
client_id = "c"
client_secret = "cmd:touch %s; echo x"
`, marker)
	cfg := mustParse(t, text)
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("loading the config ran the secret command")
	}
	if got := cfg.Connections[0].ClientSecret.Source(); got != "cmd" {
		t.Errorf("Source() = %q, want cmd", got)
	}
}

func TestParseConfigSecretPaths(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip(err)
	}
	cfg, err := Parse("/etc/tokentop/config.toml", []byte(`
[connections.a]
provider = "aikido"
client_id = "c"
client_secret = "file:secrets/aikido"
[connections.b]
provider = "aikido"
client_id = "c"
client_secret = "file:~/aikido"
ca_file = "~/ca.pem"
[connections.c]
provider = "aikido"
client_id = "c"
client_secret = "file:/run/secrets/aikido"
ca_file = "/etc/ssl/ca.pem"
`))
	if err != nil {
		t.Fatal(err)
	}
	for i, tt := range []struct {
		got, want secret.Secret
	}{
		{cfg.Connections[0].ClientSecret, secret.New("file:/etc/tokentop/secrets/aikido")},
		{cfg.Connections[1].ClientSecret, secret.New("file:" + filepath.Join(home, "aikido"))},
		{cfg.Connections[2].ClientSecret, secret.New("file:/run/secrets/aikido")},
	} {
		if tt.got != tt.want {
			t.Errorf("secret %d resolved to another path", i)
		}
	}
	if got, want := cfg.Connections[1].CAFile, filepath.Join(home, "ca.pem"); got != want {
		t.Errorf("ca_file = %q, want %q", got, want)
	}
	if got := cfg.Connections[2].CAFile; got != "/etc/ssl/ca.pem" {
		t.Errorf("ca_file = %q", got)
	}
}

func TestDefaultConfigPath(t *testing.T) {
	home := t.TempDir()
	tests := []struct {
		name, config, xdg, want string
	}{
		{"TOKENTOP_CONFIG wins", "/srv/tokentop.toml", "/xdg", "/srv/tokentop.toml"},
		{"XDG_CONFIG_HOME", "", "/xdg", filepath.Join("/xdg", "tokentop", "config.toml")},
		{"relative XDG_CONFIG_HOME is ignored", "", "relative/dir", filepath.Join(home, ".config", "tokentop", "config.toml")},
		{"home", "", "", filepath.Join(home, ".config", "tokentop", "config.toml")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("HOME", home)
			t.Setenv("USERPROFILE", home)
			t.Setenv("TOKENTOP_CONFIG", tt.config)
			t.Setenv("XDG_CONFIG_HOME", tt.xdg)
			got, err := DefaultPath()
			if err != nil || got != tt.want {
				t.Errorf("DefaultPath() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestCfgIndexLines(t *testing.T) {
	const text = `# comment [connections.nope]
top = 1
[connections.a]   # trailing comment
provider = "x"   # "quoted = 2"
note = """
multi = 3
line"""
lit = '''
x = 4'''
"quoted key" = 'v'
dotted.part = 5
arr = [
  "a", # comment ]
  { in = 6 },
  [1, [2]],
]
tbl = { h = "v", "X-Y" = { deep = 1 } }
after = "\""
'odd.key' = 1

[[connections.list]]
n = 1
[connections."b c"]
esc = "\u0041"
`
	idx, deep := indexLines(text)
	if deep != 0 {
		t.Fatalf("nesting too deep at line %d", deep)
	}
	want := map[string]int{
		"top":                            2,
		"connections":                    3,
		"connections.a":                  3,
		"connections.a.provider":         4,
		"connections.a.note":             5,
		"connections.a.lit":              8,
		"connections.a.quoted key":       10,
		"connections.a.dotted":           11,
		"connections.a.dotted.part":      11,
		"connections.a.arr":              12,
		"connections.a.tbl":              17,
		"connections.a.tbl.h":            17,
		"connections.a.tbl.X-Y":          17,
		"connections.a.tbl.X-Y.deep":     17,
		"connections.a.after":            18,
		"connections.a.odd.key":          19,
		"connections.list":               21,
		"connections.list.n":             22,
		"connections.b c":                23,
		"connections.b c.esc":            24,
		"connections.a.multi":            0,
		"connections.a.x":                0,
		"connections.a.arr.in":           0,
		"connections.nope":               0,
		"connections.a.provider.quoted ": 0,
	}
	for key, line := range want {
		parts := strings.Split(key, ".")
		if key == "connections.a.odd.key" {
			parts = []string{"connections", "a", "odd.key"}
		}
		if got := idx.line(parts...); got != line {
			t.Errorf("line(%s) = %d, want %d", key, got, line)
		}
	}
}

// deepDocs are files that nest too deep, each about 24 KB: the TOML
// parser would spend seconds and gigabytes on the first ones.
func deepDocs() map[string]string {
	const n = 6000
	return map[string]string{
		"inline tables": "[connections.a]\nprovider = \"aha\"\nparams = " + strings.Repeat("{b = ", n/2) + "1" + strings.Repeat("}", n/2) + "\n",
		"dotted keys":   "[connections.a]\n" + strings.Repeat("a.", 2*n) + "b = 1\n",
		"table header":  "\n\n[" + strings.Repeat("a.", 2*n) + "b]\n",
		"arrays":        "[connections.a]\n\nscopes = " + strings.Repeat("[", 2*n) + strings.Repeat("]", 2*n) + "\n",
		"arrays, lines": "[connections.a]\nscopes = [\n" + strings.Repeat("[ # [[[\n", n) + strings.Repeat("]", n) + "]\n",
		"braces":        "a = " + strings.Repeat("{", 4*n) + "\n",
	}
}

// TestParseConfigRefusesDeepNesting: absurd nesting is refused on its line
// before the TOML parser runs, and the refusal allocates little whatever
// the depth (an allocation bound, not a timing one).
func TestParseConfigRefusesDeepNesting(t *testing.T) {
	lines := map[string]int{"inline tables": 3, "dotted keys": 2, "table header": 3, "arrays": 3, "arrays, lines": 31, "braces": 1}
	for name, doc := range deepDocs() {
		t.Run(name, func(t *testing.T) {
			want := fmt.Sprintf("config.toml:%d: nesting deeper than 32 levels of tables, keys and arrays", lines[name])
			if got := parseErr(t, doc); got != want {
				t.Fatalf("error %q, want %q", got, want)
			}
			data := []byte(doc)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			allocs := testing.AllocsPerRun(5, func() {
				if _, err := Parse("/etc/tokentop/config.toml", data); err == nil {
					t.Fatal("accepted")
				}
			})
			runtime.ReadMemStats(&after)
			// 6 calls (AllocsPerRun warms up once): the text is copied
			// once per call, plus the index of the few levels scanned.
			if perCall := (after.TotalAlloc - before.TotalAlloc) / 6; allocs > 1000 || perCall > 4*uint64(len(doc))+64<<10 {
				t.Fatalf("refusing %d bytes took %.0f allocations, %d bytes each time", len(doc), allocs, perCall)
			}
		})
	}
	// The limit itself: 32 levels are fine, strings and comments do not
	// count, and nor do brackets in them.
	ok := "[connections.a]\nprovider = \"oauth2\"\nflow = \"client_credentials\"\ntoken_url = \"https://id.example.com/t\"\nclient_id = \"c\"\nclient_secret = \"env:S\"\n" +
		"note = \"" + strings.Repeat("{[", 5000) + "\" # {{{{\n" +
		"params.x = 'a = {b = [[['\n" +
		"# " + strings.Repeat("[", 5000) + "\n"
	if _, err := Parse("config.toml", []byte(ok)); err != nil {
		t.Fatalf("strings and comments counted as nesting: %v", err)
	}
	for depth, want := range map[int]bool{32: true, 33: false} {
		// [connections.a] is 2, each key 1, each array 1.
		arr := depth - 3
		doc := "[connections.a]\nx = " + strings.Repeat("[", arr) + strings.Repeat("]", arr) + "\n"
		_, deep := indexLines(doc)
		if (deep == 0) != want {
			t.Errorf("depth %d: deep = %d", depth, deep)
		}
	}
}

// BenchmarkParseConfigDeep measures the refusal of a deeply nested file.
func BenchmarkParseConfigDeep(b *testing.B) {
	data := []byte(deepDocs()["dotted keys"])
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("config.toml", data); err == nil {
			b.Fatal("accepted")
		}
	}
}

func TestCfgIndexLinesBOMAndCRLF(t *testing.T) {
	got := parseErr(t, "\ufeff[connections.a]\r\nprovider = \"amino\"\r\nusername = \"u\"\r\n\r\n[connections.b]\r\nprovider = \"amino\"\r\nusername = \"u\"\r\nbase_url = \"https://tv.example.com\"\r\nbase_url_typo = 1\r\n")
	want := "config.toml:1: connections.a: missing base_url (Amino runs on the operator's own host)\n" +
		"config.toml:9: connections.b.base_url_typo: unknown key"
	if got != want {
		t.Errorf("error:\n got: %s\nwant: %s", got, want)
	}
}

func TestCfgUnescape(t *testing.T) {
	for in, want := range map[string]string{
		`plain`:            "plain",
		`a\"b`:             `a"b`,
		`\u0041\U0001F600`: "A\U0001F600",
		`\x41\e\t`:         "A\x1b\t",
		`\uZZ`:             `\uZZ`,
		`\q`:               `\q`,
		`\`:                `\`,
	} {
		if got := unescape(in); got != want {
			t.Errorf("unescape(%q) = %q, want %q", in, got, want)
		}
	}
}

func ExampleParse() {
	cfg, err := Parse("config.toml", []byte(`
[connections.aikido]
provider = "aikido"
client_id = "AIK_CLIENT_123"
client_secret = "env:AIKIDO_CLIENT_SECRET"

[connections.aha]
provider = "aha"
flow = "oauth"
`))
	fmt.Println(cfg == nil)
	fmt.Println(err)

	cfg, _ = Parse("config.toml", []byte(`
[connections.aikido]
provider = "aikido"
client_id = "AIK_CLIENT_123"
client_secret = "env:AIKIDO_CLIENT_SECRET"
`))
	c := cfg.Connection("aikido")
	fmt.Println(c.Flow, c.ClientAuth, c.TokenURL, c.ClientSecret)
	// Output:
	// true
	// config.toml:9: connections.aha: unknown flow "oauth" (one of: authorization_code, implicit, api_key)
	// client_credentials basic https://app.aikido.dev/api/oauth/token (env secret)
}

// TestParseAuto: auto = false marks a connection the dashboard leaves alone
// until asked; the default is automatic.
func TestParseAuto(t *testing.T) {
	cfg, err := Parse("t.toml", []byte("[connections.a]\nprovider = \"aikido\"\nclient_id = \"c\"\nclient_secret = \"env:S\"\n\n[connections.b]\nprovider = \"aikido\"\nclient_id = \"c\"\nclient_secret = \"env:S\"\nauto = false\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Connection("a").Manual || !cfg.Connection("b").Manual {
		t.Errorf("manual: a %v, b %v", cfg.Connection("a").Manual, cfg.Connection("b").Manual)
	}
}

// TestParseSchedulingKeys: check_every, bell and clipboard_clear, at the top
// level and (check_every) per connection, with their defaults and "0".
func TestParseSchedulingKeys(t *testing.T) {
	const conn = "provider = \"amino\"\nbase_url = \"https://tv.example.com\"\nusername = \"u\"\n"
	tests := []struct {
		name, text   string
		every        []time.Duration // per connection
		bell         bool
		clipboardTTL time.Duration
	}{
		{"defaults", "[connections.a]\n" + conn, []time.Duration{5 * time.Minute}, false, 45 * time.Second},
		{"top level", "check_every = \"90s\"\nbell = true\nclipboard_clear = \"2m\"\n[connections.a]\n" + conn,
			[]time.Duration{90 * time.Second}, true, 2 * time.Minute},
		{"per connection overrides", "check_every = \"1h\"\n[connections.a]\n" + conn + "[connections.b]\n" + conn + "check_every = \"30s\"\n",
			[]time.Duration{time.Hour, 30 * time.Second}, false, 45 * time.Second},
		{"zero turns off", "check_every = \"0\"\nclipboard_clear = \"0s\"\nbell = false\n[connections.a]\n" + conn + "[connections.b]\n" + conn + "check_every = \"10s\"\n",
			[]time.Duration{0, 10 * time.Second}, false, 0},
		{"zero per connection", "[connections.a]\n" + conn + "check_every = \"0\"\n", []time.Duration{0}, false, 45 * time.Second},
		{"bounds inclusive", "check_every = \"24h\"\nclipboard_clear = \"1h\"\n[connections.a]\n" + conn,
			[]time.Duration{24 * time.Hour}, false, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParse(t, tt.text)
			var every []time.Duration
			for _, c := range cfg.Connections {
				every = append(every, c.CheckEvery)
			}
			if !reflect.DeepEqual(every, tt.every) || cfg.Bell != tt.bell || cfg.ClipboardClear != tt.clipboardTTL {
				t.Errorf("check_every %v, bell %v, clipboard_clear %v; want %v, %v, %v", every, cfg.Bell, cfg.ClipboardClear, tt.every, tt.bell, tt.clipboardTTL)
			}
		})
	}
}

func TestParseSchedulingKeysErrors(t *testing.T) {
	const conn = "[connections.a]\nprovider = \"amino\"\nbase_url = \"https://tv.example.com\"\nusername = \"u\"\n"
	tests := []struct{ name, text, want string }{
		{"check_every number", "check_every = 300\n",
			`config.toml:1: check_every: must be a duration such as "60s" or "5m"`},
		{"check_every word", "\ncheck_every = \"often\"\n",
			`config.toml:2: check_every: must be a duration such as "60s" or "5m"`},
		{"check_every too short", "check_every = \"5s\"\n",
			`config.toml:1: check_every: must be between 10s and 24h, or "0" to turn periodic checks off`},
		{"check_every too long", "check_every = \"25h\"\n",
			`config.toml:1: check_every: must be between 10s and 24h, or "0" to turn periodic checks off`},
		{"check_every negative", "check_every = \"-1m\"\n",
			`config.toml:1: check_every: must be positive, or "0" to turn periodic checks off`},
		{"per connection check_every", conn + "check_every = \"1s\"\n",
			`config.toml:5: connections.a.check_every: must be between 10s and 24h, or "0" to turn periodic checks off`},
		{"per connection check_every type", conn + "check_every = false\n",
			`config.toml:5: connections.a.check_every: must be a duration such as "60s" or "5m"`},
		{"bell", "bell = \"yes\"\n", "config.toml:1: bell: must be true or false"},
		{"clipboard_clear too long", "clipboard_clear = \"2h\"\n",
			`config.toml:1: clipboard_clear: must be between 1s and 1h, or "0" to keep the clipboard`},
		{"clipboard_clear too short", "clipboard_clear = \"500ms\"\n",
			`config.toml:1: clipboard_clear: must be between 1s and 1h, or "0" to keep the clipboard`},
		{"clipboard_clear type", "clipboard_clear = 45\n",
			`config.toml:1: clipboard_clear: must be a duration such as "60s" or "5m"`},
		{"bell per connection is unknown", conn + "bell = true\n", "config.toml:5: connections.a.bell: unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseErr(t, tt.text); got != tt.want {
				t.Errorf("error:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// lenientText has three good connections and two broken ones: an unknown
// flow, and a redirect_uri without a path next to a literal secret.
const lenientText = `refresh_before = "2m"

[connections.good1]
provider = "amino"
base_url = "https://tv.example.com"
username = "u"

[connections.badflow]
provider = "aha"
subdomain = "acme"
flow = "oauth"

[connections.good2]
provider = "aikido"
client_id = "AIK_CLIENT_123"
client_secret = "env:AIKIDO_CLIENT_SECRET"

[connections.badredirect]
provider = "aha"
subdomain = "acme"
client_id = "id"
client_secret = "hunter2-LENIENT-SENTINEL"
redirect_uri = "http://127.0.0.1:8766"
password = "env:not a name hunter3-SENTINEL"
colour = "red"

[connections.good3]
provider = "aha"
subdomain = "acme"
flow = "api_key"
api_key = "literal-api-key-GOOD-SENTINEL"
`

func TestParseLenient(t *testing.T) {
	cfg, err := ParseLenient("/etc/tokentop/config.toml", []byte(lenientText))
	if err != nil {
		t.Fatalf("ParseLenient: %v", err)
	}
	if got, want := cfg.Names(), []string{"good1", "good2", "good3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("connections %q, want %q", got, want)
	}
	if cfg.RefreshBefore != 2*time.Minute || cfg.Connection("good3").RefreshBefore != 2*time.Minute {
		t.Errorf("top-level keys not applied: %v", cfg.RefreshBefore)
	}
	want := []flows.BrokenConnection{
		{Name: "badflow", Line: 8, Problems: []string{
			`config.toml:11: connections.badflow: unknown flow "oauth" (one of: authorization_code, implicit, api_key)`,
		}},
		{Name: "badredirect", Line: 18, Problems: []string{
			"config.toml:23: connections.badredirect.redirect_uri: must have a path, such as http://127.0.0.1:8766/callback",
			"config.toml:24: connections.badredirect.password: env: must be followed by an environment variable name, such as env:CLIENT_SECRET",
			"config.toml:25: connections.badredirect.colour: unknown key",
		}},
	}
	if !reflect.DeepEqual(cfg.Broken, want) {
		t.Errorf("Broken:\n got %#v\nwant %#v", cfg.Broken, want)
	}
	for _, b := range cfg.Broken {
		for _, p := range b.Problems {
			if strings.Contains(p, "SENTINEL") || strings.Contains(p, "hunter") {
				t.Errorf("a problem shows a secret: %s", p)
			}
		}
	}

	// The strict parse of the same text fails with every problem.
	if _, err := Parse("/etc/tokentop/config.toml", []byte(lenientText)); err == nil || len(err.(Errors)) != 4 {
		t.Errorf("Parse = %v, want the 4 problems", err)
	}
	// A file without problems loads the same both ways.
	strict := mustParse(t, "[connections.a]\nprovider = \"amino\"\nbase_url = \"https://tv.example.com\"\nusername = \"u\"\n")
	lenient, err := ParseLenient("/etc/tokentop/config.toml", []byte("[connections.a]\nprovider = \"amino\"\nbase_url = \"https://tv.example.com\"\nusername = \"u\"\n"))
	if err != nil || !reflect.DeepEqual(strict, lenient) {
		t.Errorf("lenient %+v (%v), strict %+v", lenient, err, strict)
	}
}

// TestParseLenientFailsOutsideConnections: what is wrong outside every
// connection table fails the lenient parse as it fails Parse, with every
// problem of the file.
func TestParseLenientFailsOutsideConnections(t *testing.T) {
	tests := map[string]string{
		"syntax":          lenientText + "[connections.x\n",
		"unknown top key": "refresh = \"1m\"\n" + lenientText,
		"bad top value":   "check_every = \"1s\"\n" + lenientText,
		"empty name":      lenientText + "[connections.\"\"]\nprovider = \"amino\"\n",
		"too big":         lenientText + "#" + strings.Repeat("x", maxSize),
		"too deep":        lenientText + "x = " + strings.Repeat("[", maxDepth+2) + "\n",
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			_, strictErr := Parse("config.toml", []byte(text))
			cfg, err := ParseLenient("config.toml", []byte(text))
			if err == nil || cfg != nil {
				t.Fatalf("ParseLenient = %v, %v; want an error", cfg, err)
			}
			if strictErr == nil || err.Error() != strictErr.Error() {
				t.Errorf("lenient error\n%v\nstrict error\n%v", err, strictErr)
			}
		})
	}
}

// TestLoadLenientWarnings: the warning about a literal secret in a readable
// file is given for a good connection, never for a broken one, and
// insecure_skip_verify likewise.
func TestLoadLenientWarnings(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mode bits")
	}
	path := filepath.Join(t.TempDir(), "config.toml")
	text := lenientText + "insecure_skip_verify = true\n[connections.badredirect.headers]\nX = 1\n"
	text = strings.Replace(text, "colour = \"red\"\n", "insecure_skip_verify = true\n", 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadLenient(path)
	if err != nil {
		t.Fatal(err)
	}
	var joined = strings.Join(cfg.Warnings, "\n")
	if len(cfg.Warnings) != 2 || !strings.Contains(joined, "connections.good3.api_key: the file is readable") ||
		!strings.Contains(joined, "connections.good3: insecure_skip_verify is on") {
		t.Errorf("warnings:\n%s\nwant good3's literal api_key and insecure_skip_verify only", joined)
	}
	if strings.Contains(joined, "badredirect") {
		t.Errorf("a broken connection's warning was kept:\n%s", joined)
	}
	if _, err := Load(path); err == nil {
		t.Errorf("Load accepted a file with broken connections")
	}
	if _, err := LoadLenient(filepath.Join(t.TempDir(), "missing.toml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestReadmeConfigExample: the README's configuration example loads, top-
// level keys included, so the reference cannot drift from the parser.
func TestReadmeConfigExample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "## Configuration\n")
	_, rest, ok2 := strings.Cut(rest, "```toml\n")
	block, _, ok3 := strings.Cut(rest, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("no toml block under ## Configuration in README.md")
	}
	cfg, err := Parse("config.toml", []byte(block))
	if err != nil {
		t.Fatalf("the README's example does not parse:\n%v", err)
	}
	if len(cfg.Connections) < 5 || cfg.Connections[0].CheckEvery != 5*time.Minute || cfg.ClipboardClear != 45*time.Second {
		t.Errorf("the README's example: %d connections, check_every %v, clipboard_clear %v", len(cfg.Connections), cfg.Connections[0].CheckEvery, cfg.ClipboardClear)
	}
}

// The dashboard's parse: the connection with a problem is set aside, the
// other loads.
func ExampleParseLenient() {
	cfg, err := ParseLenient("config.toml", []byte(`
[connections.aikido]
provider = "aikido"
client_id = "AIK_CLIENT_123"
client_secret = "env:AIKIDO_CLIENT_SECRET"

[connections.aha]
provider = "aha"
flow = "oauth"
`))
	fmt.Println(err, cfg.Names())
	for _, b := range cfg.Broken {
		fmt.Println(b.Name, b.Line, b.Problems)
	}
	// Output:
	// <nil> [aikido]
	// aha 7 [config.toml:9: connections.aha: unknown flow "oauth" (one of: authorization_code, implicit, api_key)]
}

// TestParseIntegrationKeys: api_url, match and git_username are read as
// written, and bad values name the key and the pattern.
func TestParseIntegrationKeys(t *testing.T) {
	const conn = "[connections.a]\nprovider = \"amino\"\nbase_url = \"https://tv.example.com\"\nusername = \"u\"\n"
	cfg := mustParse(t, conn+"api_url = \"https://api.example.com/v2\"\nmatch = [\"https://api.example.com/*\", \"https://git.example.com/org/*\"]\ngit_username = \"x-access-token\"\n")
	c := cfg.Connections[0]
	if c.APIURL != "https://api.example.com/v2" || !reflect.DeepEqual(c.Match, []string{"https://api.example.com/*", "https://git.example.com/org/*"}) || c.GitUsername != "x-access-token" {
		t.Errorf("api_url %q, match %q, git_username %q", c.APIURL, c.Match, c.GitUsername)
	}
	for _, tt := range []struct{ text, want string }{
		{conn + "match = [\"https://api.example.com/*\", \"api.example.com\"]\n", `config.toml:5: connections.a.match: pattern 2 must start with https:// or http:// (such as "https://api.example.com/*")`},
		{conn + "match = [\"https://a.*.example.com/*\"]\n", `connections.a.match: pattern 1 may use "*" only as the host's first label`},
		{conn + "api_url = \"not a url\"\n", "connections.a.api_url: "},
		{conn + "match = \"https://api.example.com/*\"\n", "connections.a.match: "},
	} {
		_, err := Parse("config.toml", []byte(tt.text))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.text, err, tt.want)
		}
	}
}
