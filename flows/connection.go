package flows

import (
	"time"
	"tokentop/flows/secret"
)

// Provider names a family of servers whose quirks tokentop knows.
type Provider string

// The providers tokentop speaks to.
const (
	Aikido Provider = "aikido" // client credentials or authorization code, HTTP Basic client auth
	Aha    Provider = "aha"    // authorization code, implicit grant or API key, per-account subdomain
	Aerion Provider = "aerion" // password grant with a tenant header
	Amino  Provider = "amino"  // JSON:API username/password endpoint
	OAuth2 Provider = "oauth2" // any standard OAuth 2.0 / OpenID Connect server
)

// Flow names how a connection obtains its first token.
type Flow string

// The flows tokentop runs.
const (
	ClientCredentials Flow = "client_credentials"
	AuthorizationCode Flow = "authorization_code"
	Implicit          Flow = "implicit"
	Password          Flow = "password"
	DeviceCode        Flow = "device_code"
	APIKey            Flow = "api_key"
)

// ClientAuth says where the client id and secret go on token requests.
type ClientAuth string

// The client authentication methods of RFC 6749 §2.3.1.
const (
	ClientAuthBasic ClientAuth = "basic" // HTTP Basic header, form-encoded id and secret
	ClientAuthBody  ClientAuth = "body"  // client_id and client_secret form fields
	// RFC 7523 §2.2 client assertions (OpenID Connect Core 1.0 §9).
	ClientAuthPrivateKeyJWT   ClientAuth = "private_key_jwt"   // signed with PrivateKey
	ClientAuthClientSecretJWT ClientAuth = "client_secret_jwt" // HS256 under ClientSecret
)

// Connection is one configured account: which provider, which flow, and the
// values that flow needs. Config loading fills in the provider's preset
// endpoints, so every URL field that the flow needs is set.
type Connection struct {
	Name     string
	Provider Provider
	Flow     Flow

	ClientID     string
	ClientSecret secret.Secret
	ClientAuth   ClientAuth
	PrivateKey   secret.Secret // PEM, for private_key_jwt
	KeyID        string        // the assertions' JWS kid header

	// Username is prefilled at sign-in; Password is optional and, when set,
	// allows sign-in without a person (it is never stored in the state).
	Username string
	Password secret.Secret
	APIKey   secret.Secret

	// Aha!: the account subdomain ("secure" lets the user pick at sign-in).
	Subdomain string
	// Aerion: the tenant, sent as the companyurl header on token requests.
	CompanyURL string
	// Amino (and Aha! URL templates): where the service lives.
	BaseURL string

	Issuer      string // OpenID Connect discovery, for provider "oauth2"
	AuthURL     string
	TokenURL    string
	RevokeURL   string
	DeviceURL   string
	CheckURL    string
	RedirectURI string // empty: an ephemeral loopback port (RFC 8252 §7.3)

	Scopes   []string
	Resource []string // RFC 8707 resource indicators, each sent as a resource parameter
	PKCE     bool
	// Manual is set by auto = false: the dashboard fetches and checks
	// nothing for this connection until asked.
	Manual  bool
	Headers map[string]string // extra headers on token requests
	Params  map[string]string // extra form fields on token requests

	RefreshBefore time.Duration // renew this long before expiry
	// CheckEvery is how often the dashboard runs the health check by
	// itself; 0 turns periodic checks off.
	CheckEvery   time.Duration
	LoginTimeout time.Duration // how long a browser sign-in may wait

	CAFile             string // extra trusted CA certificates (PEM)
	InsecureSkipVerify bool   // never verify TLS certificates: shown as a warning

	// Note is free text shown beside the connection (the demo's passwords).
	Note string

	// The integrations: APIURL is where tokentop proxy sends requests (the
	// origin of CheckURL when empty); Match are the URL patterns
	// (flows/urlmatch) of the requests credential helpers answer for;
	// GitUsername is the user name the git credential helper gives.
	APIURL      string
	Match       []string
	GitUsername string

	// Line is the line of the config file where the connection's table starts.
	Line int
}

// Renewable reports whether the connection can get a new token without a
// person, given what is stored for it.
func (c *Connection) Renewable(st State) bool {
	if st.NeedsSignIn {
		return c.Flow == ClientCredentials || c.Flow == APIKey || (c.Flow == Password && !c.Password.IsZero())
	}
	switch c.Flow {
	case ClientCredentials, APIKey:
		return true
	case Password:
		if !c.Password.IsZero() {
			return true
		}
	}
	return st.Token != nil && st.Token.RefreshToken != ""
}

// Config is a loaded configuration file.
type Config struct {
	// Path is the file it was read from.
	Path string
	// RefreshBefore is the default renewal margin of every connection.
	RefreshBefore time.Duration
	// Connections in the order the file lists them.
	Connections []*Connection
	// Warnings are problems that do not stop tokentop, such as a file that
	// others can read holding a literal secret.
	Warnings []string
	// Broken are the connections whose tables have problems, in file
	// order, when the file was loaded leniently (the dashboard): the rest
	// work.
	Broken []BrokenConnection
	// Bell rings the terminal's bell when a connection newly needs a
	// person.
	Bell bool
	// ClipboardClear is how long a copied token stays on the clipboard;
	// 0 keeps it.
	ClipboardClear time.Duration
}

// BrokenConnection is a connection whose table could not be used.
type BrokenConnection struct {
	Name string
	// Line is where its table starts.
	Line int
	// Problems are its errors, each "config.toml:14: connections.NAME.KEY: …".
	Problems []string
}

// Connection returns the connection with that name, or nil.
func (c *Config) Connection(name string) *Connection {
	for _, conn := range c.Connections {
		if conn.Name == name {
			return conn
		}
	}
	return nil
}

// Names returns the connection names in file order.
func (c *Config) Names() []string {
	names := make([]string, len(c.Connections))
	for i, conn := range c.Connections {
		names[i] = conn.Name
	}
	return names
}
