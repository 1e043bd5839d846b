package config

import (
	"strings"
	"tokentop/flows"
	"tokentop/flows/secret"
)

// preset is what a provider's document fixes for every connection to it:
// the flows it offers, where its endpoints are and how it wants the client
// authenticated. Values in the configuration file win over the preset, so a
// test or the demo can point a connection at a fake server.
type preset struct {
	// flows the provider offers; the first is the default.
	flows      []flows.Flow
	clientAuth flows.ClientAuth

	// Endpoint templates; {base_url} is expanded at load time and
	// {subdomain} at run time (see Connection.ExpandURL).
	baseURL, authURL, tokenURL, revokeURL, deviceURL, checkURL string

	// Defaults for the client credentials when the file sets none.
	clientID, clientSecret string
}

// providers lists the providers in the order error messages name them.
var providers = []flows.Provider{flows.Aikido, flows.Aha, flows.Aerion, flows.Amino, flows.OAuth2}

// presets holds the endpoints each provider document gives.
var presets = map[flows.Provider]preset{
	// Aikido document: client credentials "via a basic authorization
	// header" to https://app.aikido.dev/api/oauth/token; third-party apps
	// send users to https://app.aikido.dev/oauth/authorize and exchange the
	// code at the same token endpoint, again with Basic auth. No revocation
	// or "me" endpoint is documented.
	flows.Aikido: {
		flows:      []flows.Flow{flows.ClientCredentials, flows.AuthorizationCode},
		clientAuth: flows.ClientAuthBasic,
		authURL:    "https://app.aikido.dev/oauth/authorize",
		tokenURL:   "https://app.aikido.dev/api/oauth/token",
	},
	// Aha! document: user API keys (options 1 and 2), or OAuth2 with
	// response_type=code or token at https://<subdomain>.aha.io/oauth/authorize;
	// the code is exchanged at https://<subdomain>.aha.io/oauth/token with
	// client_id and client_secret as form parameters. /api/v1/me is the
	// standard Aha! API's current-user endpoint.
	flows.Aha: {
		flows:      []flows.Flow{flows.AuthorizationCode, flows.Implicit, flows.APIKey},
		clientAuth: flows.ClientAuthBody,
		baseURL:    "https://{subdomain}.aha.io",
		authURL:    "{base_url}/oauth/authorize",
		tokenURL:   "{base_url}/oauth/token",
		checkURL:   "{base_url}/api/v1/me",
	},
	// Aerion document: password grant, form encoded, to oauth2/token on the
	// neutral api.aerion.app address; client_id and client_secret "do not
	// need to be registered and are not validated ..., however they must be
	// present". The path of the "me" endpoint was lost in the capture, so
	// there is no check_url preset.
	flows.Aerion: {
		flows:        []flows.Flow{flows.Password},
		clientAuth:   flows.ClientAuthBody,
		tokenURL:     "https://api.aerion.app/oauth2/token",
		clientID:     "tokentop",
		clientSecret: "tokentop",
	},
	// Amino document: POST '*/api/auth/v1/access_tokens' with username and
	// password on the operator's own host; "there is no need or means to
	// revoke the session or the tokens".
	flows.Amino: {
		flows:    []flows.Flow{flows.Password},
		tokenURL: "{base_url}/api/auth/v1/access_tokens",
	},
	// Any OAuth 2.0 server: RFC 6749 §2.3.1 makes HTTP Basic the method
	// every server must support, so it is the default.
	flows.OAuth2: {
		// No default flow: the file must say which one (see needsFlow).
		flows:      []flows.Flow{flows.ClientCredentials, flows.AuthorizationCode, flows.Implicit, flows.Password, flows.DeviceCode, flows.APIKey},
		clientAuth: flows.ClientAuthBasic,
	},
}

// problem is one thing wrong with a connection: key names the offending
// key, or is empty when the problem is the connection as a whole.
type problem struct {
	key string
	msg string
}

// applyPreset fills what the file left empty from the provider's preset
// and expands {base_url}. c.Provider and c.Flow must already be valid.
func applyPreset(c *flows.Connection) []problem {
	p := presets[c.Provider]
	setDefault(&c.BaseURL, p.baseURL)
	setDefault(&c.AuthURL, p.authURL)
	setDefault(&c.TokenURL, p.tokenURL)
	setDefault(&c.RevokeURL, p.revokeURL)
	setDefault(&c.DeviceURL, p.deviceURL)
	setDefault(&c.CheckURL, p.checkURL)
	if c.ClientAuth == "" {
		c.ClientAuth = p.clientAuth
	}
	if c.ClientID == "" {
		c.ClientID = p.clientID
	}
	if c.ClientSecret.IsZero() && p.clientSecret != "" {
		c.ClientSecret = secret.New(p.clientSecret)
	}

	var probs []problem
	if strings.Contains(c.BaseURL, flows.BaseURLPlaceholder) {
		probs = append(probs, problem{"base_url", "cannot refer to {base_url}"})
	}
	base := strings.TrimRight(c.BaseURL, "/")
	for _, f := range uRLFields(c) {
		if f.key == "base_url" || !strings.Contains(*f.val, flows.BaseURLPlaceholder) {
			continue
		}
		if base == "" {
			if *f.val == presetURL(p, f.key) {
				// The preset needs base_url: presetProblems says so once.
				*f.val = ""
				continue
			}
			probs = append(probs, problem{f.key, "uses {base_url} but base_url is not set"})
			continue
		}
		*f.val = strings.ReplaceAll(*f.val, flows.BaseURLPlaceholder, base)
	}
	return probs
}

// presetURL returns the preset's template for an endpoint key.
func presetURL(p preset, key string) string {
	switch key {
	case "auth_url":
		return p.authURL
	case "token_url":
		return p.tokenURL
	case "revoke_url":
		return p.revokeURL
	case "device_url":
		return p.deviceURL
	case "check_url":
		return p.checkURL
	}
	return ""
}

// needsFlow reports whether the file must name the flow: a generic
// OAuth 2.0 server has no flow that is more likely than the others.
func needsFlow(p flows.Provider) bool { return p == flows.OAuth2 }

// setDefault sets *field to def when it is empty.
func setDefault(field *string, def string) {
	if *field == "" {
		*field = def
	}
}

// uRLField is one endpoint field of a connection, with its key.
type uRLField struct {
	key string
	val *string
}

// uRLFields returns the connection's endpoint fields in the order the
// configuration documents them.
func uRLFields(c *flows.Connection) []uRLField {
	return []uRLField{
		{"base_url", &c.BaseURL},
		{"issuer", &c.Issuer},
		{"auth_url", &c.AuthURL},
		{"token_url", &c.TokenURL},
		{"revoke_url", &c.RevokeURL},
		{"device_url", &c.DeviceURL},
		{"check_url", &c.CheckURL},
	}
}

// presetProblems checks that the connection has what its provider and
// flow need, after the preset was applied.
func presetProblems(c *flows.Connection) []problem {
	var probs []problem
	need := func(ok bool, key, why string) {
		if !ok {
			probs = append(probs, problem{"", "missing " + key + " (" + why + ")"})
		}
	}
	flow := string(c.Flow)
	switch c.Provider {
	case flows.Aikido:
		// Both flows authenticate the client with Basic auth at the token
		// endpoint (Aikido document).
		need(c.ClientID != "", "client_id", "Aikido authenticates the client on every token request")
		need(!c.ClientSecret.IsZero(), "client_secret", "Aikido authenticates the client on every token request")
		if c.Flow == flows.AuthorizationCode {
			// Aikido redirects "to the Redirect URI you specified in the
			// integration page": tokentop must listen exactly there.
			need(c.RedirectURI != "", "redirect_uri", "Aikido redirects to the URI registered for the app")
		}
	case flows.Aha:
		need(c.Subdomain != "", "subdomain", `the Aha! account, or "secure" to pick it at sign-in`)
		switch c.Flow {
		case flows.AuthorizationCode, flows.Implicit:
			// Aha! document: client_id and redirect_uri are required, and
			// redirect_uri "must be the same as the redirect URL provided
			// when the application was registered".
			need(c.ClientID != "", "client_id", "required by the Aha! "+flow+" flow")
			need(c.RedirectURI != "", "redirect_uri", "Aha! requires the registered redirect URL")
			if c.Flow == flows.AuthorizationCode {
				need(!c.ClientSecret.IsZero(), "client_secret", "Aha! requires it to exchange the code")
			}
		case flows.APIKey:
			need(!c.APIKey.IsZero(), "api_key", "required by the api_key flow")
		}
	case flows.Aerion:
		need(c.Username != "", "username", "required by the password flow")
		need(c.CompanyURL != "" || hasTenantHeader(c.Headers), "company_url",
			"Aerion needs the tenant: set company_url, or an origin, referer or companyurl header")
	case flows.Amino:
		need(c.BaseURL != "", "base_url", "Amino runs on the operator's own host")
		need(c.Username != "", "username", "required by the password flow")
	case flows.OAuth2:
		if c.Flow != flows.APIKey {
			need(c.Issuer != "" || c.TokenURL != "", "token_url", "or issuer, for OpenID Connect discovery")
		}
		switch c.Flow {
		case flows.AuthorizationCode, flows.Implicit:
			need(c.Issuer != "" || c.AuthURL != "", "auth_url", "or issuer, for the "+flow+" flow")
			need(c.ClientID != "", "client_id", "required by the "+flow+" flow")
		case flows.DeviceCode:
			need(c.Issuer != "" || c.DeviceURL != "", "device_url", "or issuer, for the device_code flow")
			need(c.ClientID != "", "client_id", "required by the device_code flow")
		case flows.ClientCredentials:
			need(c.ClientID != "", "client_id", "required by the client_credentials flow")
			// JWT client authentication says what it needs itself
			// (clientAuthProblems).
			need(!c.ClientSecret.IsZero() || jwtClientAuth(c.ClientAuth), "client_secret", "required by the client_credentials flow")
		case flows.Password:
			need(c.Username != "", "username", "required by the password flow")
		case flows.APIKey:
			need(!c.APIKey.IsZero(), "api_key", "required by the api_key flow")
		}
	}
	// RFC 8707 parameters travel on OAuth requests: an API key has none,
	// and Amino's JSON:API sign-in has no place for them.
	if len(c.Resource) > 0 && (c.Flow == flows.APIKey || c.Provider == flows.Amino) {
		probs = append(probs, problem{"resource", "is not sent by the " + string(c.Provider) + " " + flow + " flow (it has no OAuth requests to carry it)"})
	}
	return probs
}

// hasTenantHeader reports whether headers name an Aerion tenant: the
// Aerion document accepts an origin, referrer (HTTP spells it Referer) or
// companyurl header.
func hasTenantHeader(headers map[string]string) bool {
	for k, v := range headers {
		switch strings.ToLower(k) {
		case "origin", "referer", "companyurl":
			if v != "" {
				return true
			}
		}
	}
	return false
}

// offers reports whether the provider offers the flow.
func offers(p flows.Provider, f flows.Flow) bool {
	for _, g := range presets[p].flows {
		if g == f {
			return true
		}
	}
	return false
}

// flowList is the provider's flows as error messages list them.
func flowList(p flows.Provider) string {
	names := make([]string, len(presets[p].flows))
	for i, f := range presets[p].flows {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}
