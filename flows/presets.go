package flows

import (
	"strings"
	"tokentop/flows/secret"
)

// cfgPreset is what a provider's document fixes for every connection to it:
// the flows it offers, where its endpoints are and how it wants the client
// authenticated. Values in the configuration file win over the preset, so a
// test or the demo can point a connection at a fake server.
type cfgPreset struct {
	// flows the provider offers; the first is the default.
	flows      []Flow
	clientAuth ClientAuth

	// Endpoint templates; {base_url} is expanded at load time and
	// {subdomain} at run time (see Connection.ExpandURL).
	baseURL, authURL, tokenURL, revokeURL, deviceURL, checkURL string

	// Defaults for the client credentials when the file sets none.
	clientID, clientSecret string
}

// cfgProviders lists the providers in the order error messages name them.
var cfgProviders = []Provider{Aikido, Aha, Aerion, Amino, OAuth2}

// cfgPresets holds the endpoints each provider document gives.
var cfgPresets = map[Provider]cfgPreset{
	// Aikido document: client credentials "via a basic authorization
	// header" to https://app.aikido.dev/api/oauth/token; third-party apps
	// send users to https://app.aikido.dev/oauth/authorize and exchange the
	// code at the same token endpoint, again with Basic auth. No revocation
	// or "me" endpoint is documented.
	Aikido: {
		flows:      []Flow{ClientCredentials, AuthorizationCode},
		clientAuth: ClientAuthBasic,
		authURL:    "https://app.aikido.dev/oauth/authorize",
		tokenURL:   "https://app.aikido.dev/api/oauth/token",
	},
	// Aha! document: user API keys (options 1 and 2), or OAuth2 with
	// response_type=code or token at https://<subdomain>.aha.io/oauth/authorize;
	// the code is exchanged at https://<subdomain>.aha.io/oauth/token with
	// client_id and client_secret as form parameters. /api/v1/me is the
	// standard Aha! API's current-user endpoint.
	Aha: {
		flows:      []Flow{AuthorizationCode, Implicit, APIKey},
		clientAuth: ClientAuthBody,
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
	Aerion: {
		flows:        []Flow{Password},
		clientAuth:   ClientAuthBody,
		tokenURL:     "https://api.aerion.app/oauth2/token",
		clientID:     "tokentop",
		clientSecret: "tokentop",
	},
	// Amino document: POST '*/api/auth/v1/access_tokens' with username and
	// password on the operator's own host; "there is no need or means to
	// revoke the session or the tokens".
	Amino: {
		flows:    []Flow{Password},
		tokenURL: "{base_url}/api/auth/v1/access_tokens",
	},
	// Any OAuth 2.0 server: RFC 6749 §2.3.1 makes HTTP Basic the method
	// every server must support, so it is the default.
	OAuth2: {
		// No default flow: the file must say which one (see cfgNeedsFlow).
		flows:      []Flow{ClientCredentials, AuthorizationCode, Implicit, Password, DeviceCode, APIKey},
		clientAuth: ClientAuthBasic,
	},
}

// cfgProblem is one thing wrong with a connection: key names the offending
// key, or is empty when the problem is the connection as a whole.
type cfgProblem struct {
	key string
	msg string
}

// cfgApplyPreset fills what the file left empty from the provider's preset
// and expands {base_url}. c.Provider and c.Flow must already be valid.
func cfgApplyPreset(c *Connection) []cfgProblem {
	p := cfgPresets[c.Provider]
	cfgDefault(&c.BaseURL, p.baseURL)
	cfgDefault(&c.AuthURL, p.authURL)
	cfgDefault(&c.TokenURL, p.tokenURL)
	cfgDefault(&c.RevokeURL, p.revokeURL)
	cfgDefault(&c.DeviceURL, p.deviceURL)
	cfgDefault(&c.CheckURL, p.checkURL)
	if c.ClientAuth == "" {
		c.ClientAuth = p.clientAuth
	}
	if c.ClientID == "" {
		c.ClientID = p.clientID
	}
	if c.ClientSecret.IsZero() && p.clientSecret != "" {
		c.ClientSecret = secret.New(p.clientSecret)
	}

	var probs []cfgProblem
	if strings.Contains(c.BaseURL, cfgBaseURLPlaceholder) {
		probs = append(probs, cfgProblem{"base_url", "cannot refer to {base_url}"})
	}
	base := strings.TrimRight(c.BaseURL, "/")
	for _, f := range cfgURLFields(c) {
		if f.key == "base_url" || !strings.Contains(*f.val, cfgBaseURLPlaceholder) {
			continue
		}
		if base == "" {
			if *f.val == cfgPresetURL(p, f.key) {
				// The preset needs base_url: cfgPresetProblems says so once.
				*f.val = ""
				continue
			}
			probs = append(probs, cfgProblem{f.key, "uses {base_url} but base_url is not set"})
			continue
		}
		*f.val = strings.ReplaceAll(*f.val, cfgBaseURLPlaceholder, base)
	}
	return probs
}

// cfgPresetURL returns the preset's template for an endpoint key.
func cfgPresetURL(p cfgPreset, key string) string {
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

// cfgNeedsFlow reports whether the file must name the flow: a generic
// OAuth 2.0 server has no flow that is more likely than the others.
func cfgNeedsFlow(p Provider) bool { return p == OAuth2 }

// cfgDefault sets *field to def when it is empty.
func cfgDefault(field *string, def string) {
	if *field == "" {
		*field = def
	}
}

// cfgURLField is one endpoint field of a connection, with its key.
type cfgURLField struct {
	key string
	val *string
}

// cfgURLFields returns the connection's endpoint fields in the order the
// configuration documents them.
func cfgURLFields(c *Connection) []cfgURLField {
	return []cfgURLField{
		{"base_url", &c.BaseURL},
		{"issuer", &c.Issuer},
		{"auth_url", &c.AuthURL},
		{"token_url", &c.TokenURL},
		{"revoke_url", &c.RevokeURL},
		{"device_url", &c.DeviceURL},
		{"check_url", &c.CheckURL},
	}
}

// cfgPresetProblems checks that the connection has what its provider and
// flow need, after the preset was applied.
func cfgPresetProblems(c *Connection) []cfgProblem {
	var probs []cfgProblem
	need := func(ok bool, key, why string) {
		if !ok {
			probs = append(probs, cfgProblem{"", "missing " + key + " (" + why + ")"})
		}
	}
	flow := string(c.Flow)
	switch c.Provider {
	case Aikido:
		// Both flows authenticate the client with Basic auth at the token
		// endpoint (Aikido document).
		need(c.ClientID != "", "client_id", "Aikido authenticates the client on every token request")
		need(!c.ClientSecret.IsZero(), "client_secret", "Aikido authenticates the client on every token request")
		if c.Flow == AuthorizationCode {
			// Aikido redirects "to the Redirect URI you specified in the
			// integration page": tokentop must listen exactly there.
			need(c.RedirectURI != "", "redirect_uri", "Aikido redirects to the URI registered for the app")
		}
	case Aha:
		need(c.Subdomain != "", "subdomain", `the Aha! account, or "secure" to pick it at sign-in`)
		switch c.Flow {
		case AuthorizationCode, Implicit:
			// Aha! document: client_id and redirect_uri are required, and
			// redirect_uri "must be the same as the redirect URL provided
			// when the application was registered".
			need(c.ClientID != "", "client_id", "required by the Aha! "+flow+" flow")
			need(c.RedirectURI != "", "redirect_uri", "Aha! requires the registered redirect URL")
			if c.Flow == AuthorizationCode {
				need(!c.ClientSecret.IsZero(), "client_secret", "Aha! requires it to exchange the code")
			}
		case APIKey:
			need(!c.APIKey.IsZero(), "api_key", "required by the api_key flow")
		}
	case Aerion:
		need(c.Username != "", "username", "required by the password flow")
		need(c.CompanyURL != "" || cfgHasTenantHeader(c.Headers), "company_url",
			"Aerion needs the tenant: set company_url, or an origin, referer or companyurl header")
	case Amino:
		need(c.BaseURL != "", "base_url", "Amino runs on the operator's own host")
		need(c.Username != "", "username", "required by the password flow")
	case OAuth2:
		if c.Flow != APIKey {
			need(c.Issuer != "" || c.TokenURL != "", "token_url", "or issuer, for OpenID Connect discovery")
		}
		switch c.Flow {
		case AuthorizationCode, Implicit:
			need(c.Issuer != "" || c.AuthURL != "", "auth_url", "or issuer, for the "+flow+" flow")
			need(c.ClientID != "", "client_id", "required by the "+flow+" flow")
		case DeviceCode:
			need(c.Issuer != "" || c.DeviceURL != "", "device_url", "or issuer, for the device_code flow")
			need(c.ClientID != "", "client_id", "required by the device_code flow")
		case ClientCredentials:
			need(c.ClientID != "", "client_id", "required by the client_credentials flow")
			need(!c.ClientSecret.IsZero(), "client_secret", "required by the client_credentials flow")
		case Password:
			need(c.Username != "", "username", "required by the password flow")
		case APIKey:
			need(!c.APIKey.IsZero(), "api_key", "required by the api_key flow")
		}
	}
	return probs
}

// cfgHasTenantHeader reports whether headers name an Aerion tenant: the
// Aerion document accepts an origin, referrer (HTTP spells it Referer) or
// companyurl header.
func cfgHasTenantHeader(headers map[string]string) bool {
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

// cfgOffers reports whether the provider offers the flow.
func cfgOffers(p Provider, f Flow) bool {
	for _, g := range cfgPresets[p].flows {
		if g == f {
			return true
		}
	}
	return false
}

// cfgFlowList is the provider's flows as error messages list them.
func cfgFlowList(p Provider) string {
	names := make([]string, len(cfgPresets[p].flows))
	for i, f := range cfgPresets[p].flows {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}
