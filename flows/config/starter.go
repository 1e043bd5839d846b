package config

import (
	"bytes"
	"fmt"
	"slices"
	"tokentop/flows"
)

// StarterProviders are the providers Starter writes an example of when it
// is asked for none: the seed providers, each with its own preset.
var StarterProviders = []string{string(flows.Aikido), string(flows.Aha), string(flows.Aerion), string(flows.Amino)}

// starterHead opens every starter file: what the file is, how secrets are
// written, and the top-level keys at their defaults.
const starterHead = `# tokentop configuration: one [connections.NAME] table per API account.
# Written by "tokentop config init"; the README's Configuration section lists
# every key. Fill in what each connection asks for, then run tokentop.
#
# Secrets (client_secret, password, api_key) are never written here: they are
# read when needed from "env:NAME" (an environment variable), "cmd:COMMAND"
# (a command's output, such as "cmd:pass show aikido") or "file:PATH".

# refresh_before = "60s"   # renew a token this long before it expires
# check_every = "5m"       # run each connection's health check this often; "0" turns them off
# bell = false             # ring the terminal's bell when a connection newly needs you
# clipboard_clear = "45s"  # clear a copied token from the clipboard after this; "0" keeps it
# encryption = "keyring"   # seal tokens at rest with a key in the OS keyring; "none", or "cmd:…" for the key
`

// starters are the example connections, by provider. Each parses as it is
// (TestStarter), so a fresh file loads before it is edited.
var starters = map[string]string{
	"aikido": `
# Aikido, client credentials (HTTP Basic at https://app.aikido.dev/api/oauth/token).
# client_id: the id of your Aikido API client; its secret is read from
# $AIKIDO_CLIENT_SECRET (export it, or write "cmd:..." instead).
[connections.aikido]
provider = "aikido"
flow = "client_credentials"
client_id = "YOUR_AIKIDO_CLIENT_ID"
client_secret = "env:AIKIDO_CLIENT_SECRET"
# check_url = "https://app.aikido.dev/api/public/v1/workspace"   # an endpoint the health check can GET
`,
	"aha": `
# Aha!, a user API key. subdomain: your account ("acme" for acme.aha.io);
# the API key you generated in Aha! is read from $AHA_API_KEY.
# For OAuth instead: flow = "authorization_code", client_id, client_secret and
# the redirect_uri registered with the app (http://127.0.0.1:PORT/callback).
[connections.aha]
provider = "aha"
subdomain = "your-account"
flow = "api_key"
api_key = "env:AHA_API_KEY"
`,
	"aerion": `
# Aerion, password grant. company_url: your tenant's address; username: your
# sign-in. The password is asked at sign-in and never stored, unless you set
# password = "env:AERION_PASSWORD" to let tokentop sign in again by itself.
[connections.aerion]
provider = "aerion"
flow = "password"
company_url = "https://your-company.aerion.app"
username = "you@example.com"
# check_url = "https://api.aerion.app/..."   # the "me" endpoint, for health checks
`,
	"amino": `
# Amino, username and password on your own server. base_url: the server's
# address; username: your sign-in. The password is asked at sign-in, unless
# you set password = "env:AMINO_PASSWORD".
[connections.amino]
provider = "amino"
flow = "password"
base_url = "https://amino.example.com"
username = "you@example.com"
`,
	"oauth2": `
# Any OAuth 2.0 / OpenID Connect server. issuer: its address, for discovery
# (or set token_url, and auth_url or device_url, yourself); client_id and the
# secret in $OAUTH2_CLIENT_SECRET: the client registered for tokentop.
[connections.oauth2]
provider = "oauth2"
flow = "client_credentials"   # or authorization_code, device_code, password, implicit, api_key
issuer = "https://id.example.com"
client_id = "YOUR_CLIENT_ID"
client_secret = "env:OAUTH2_CLIENT_SECRET"
# scopes = ["openid"]
# check_url = "https://api.example.com/me"   # an endpoint the health check can GET
`,
}

// Starter returns a commented starter configuration with one example
// connection per provider named, in the order given (a name given twice is
// written once), or one per StarterProviders when none is. An unknown
// provider is an error that lists the known ones.
func Starter(providers []string) ([]byte, error) {
	if len(providers) == 0 {
		providers = StarterProviders
	}
	var b bytes.Buffer
	b.WriteString(starterHead)
	var seen []string
	for _, p := range providers {
		text, ok := starters[p]
		if !ok {
			return nil, fmt.Errorf("%w %s (one of: %s)", ErrUnknownProvider, quoteValue(p), providerList())
		}
		if !slices.Contains(seen, p) {
			seen = append(seen, p)
			b.WriteString(text)
		}
	}
	return b.Bytes(), nil
}
