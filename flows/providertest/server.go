package providertest

import (
	"crypto"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"
)

// The provider names, which are also the path prefixes of the fakes. They
// match the provider names of tokentop's configuration.
const (
	// Aikido names the Aikido fake (seeds/000), served under /aikido.
	Aikido = "aikido"
	// Aha names the Aha! fake (seeds/001), served under /aha/{subdomain}.
	Aha = "aha"
	// Aerion names the Aerion fake (seeds/002), served under /aerion.
	Aerion = "aerion"
	// Amino names the Amino fake (seeds/003), served under /amino.
	Amino = "amino"
	// OAuth2 names the standard OAuth 2.0 / OpenID Connect server, served
	// under /oauth2.
	OAuth2 = "oauth2"
)

// Default lifetimes of access tokens.
const (
	// DefaultLifetime is the access-token lifetime of Aikido, Amino and the
	// OAuth 2.0 server: short enough that a demo shows renewal.
	DefaultLifetime = 90 * time.Second
	// AerionLifetime is Aerion's documented lifetime (seeds/002: "usually 1
	// hour / 3600 seconds").
	AerionLifetime = time.Hour
	// codeLifetime is how long an authorization code stays valid.
	codeLifetime = 10 * time.Minute
	// deviceCodeLifetime is the expires_in of a device authorization.
	deviceCodeLifetime = 10 * time.Minute
)

// Options configures a Server. The zero value is a working server with the
// default identities (AikidoClientID and the others). The exported fields are
// what tests in other packages set; the others are set by NewDemo and by
// this package's own tests.
type Options struct {
	// Now is the clock used for every expiry; time.Now when nil.
	Now func() time.Time

	// DevicePending is how many polls of a device authorization are answered
	// authorization_pending before it is approved. Zero means 1; a negative
	// value means none.
	DevicePending int

	// AikidoClients maps client ids to secrets; nil means
	// {AikidoClientID: AikidoClientSecret}.
	AikidoClients map[string]string
	// AhaClients maps client ids to secrets; nil means
	// {AhaClientID: AhaClientSecret}.
	AhaClients map[string]string
	// AerionUsers maps user names to passwords; nil means
	// {AerionUser: AerionPassword}.
	AerionUsers map[string]string
	// AminoUsers maps user names to passwords; nil means
	// {AminoUser: AminoPassword}.
	AminoUsers map[string]string
	// OAuth2Clients maps client ids to secrets; an empty secret makes a
	// public client (PKCE required for its authorization codes). Nil means
	// {OAuth2ClientID: oauth2ClientSecret, OAuth2PublicClientID: ""}.
	OAuth2Clients map[string]string
	// OAuth2ClientKeys maps the ids of private_key_jwt clients (RFC 7523
	// §2.2) to their public keys: *rsa.PublicKey, *ecdsa.PublicKey or
	// ed25519.PublicKey. Such a client has no secret.
	OAuth2ClientKeys map[string]crypto.PublicKey
	// OAuth2Resources, when set, are the only resource indicators the OAuth
	// 2.0 server knows; any other is invalid_target (RFC 8707 §2).
	OAuth2Resources []string
	// OAuth2WithoutIss makes the OAuth 2.0 server one that predates RFC
	// 9207: its metadata does not announce
	// authorization_response_iss_parameter_supported and its authorization
	// responses carry no iss (unless IssNext queued one).
	OAuth2WithoutIss bool
	// OAuth2Audiences, when set, are the only token-exchange audiences the
	// OAuth 2.0 server knows; any other is invalid_target (RFC 8693 §2.2.2).
	OAuth2Audiences []string

	// lifetime sets the access-token lifetime per provider (keys are the
	// provider constants). Missing providers get DefaultLifetime (Aerion:
	// AerionLifetime). Zero makes tokens that never expire, announced
	// without expires_in. For Aha!, whose tokens carry no expiry, a lifetime
	// makes tokens stop working silently after it; the default is never.
	lifetime map[string]time.Duration
	// refreshLifetime sets how long refresh tokens stay valid per provider;
	// missing or zero means forever.
	refreshLifetime map[string]time.Duration
	// noRotation lists providers that keep refresh tokens valid after use
	// instead of rotating them.
	noRotation map[string]bool
	// deviceInterval is the polling interval announced by the device
	// endpoint, in whole seconds; zero means one second.
	deviceInterval time.Duration

	// aikidoRedirectURI is the redirect URI registered for Aikido clients.
	// Empty accepts the redirect_uri of each request (an ephemeral loopback
	// port); when set, a redirect_uri parameter must equal it and its absence
	// means it.
	aikidoRedirectURI string
	// ahaRedirectURI, when set, is the registered redirect URI that every
	// authorize and token request must name exactly (seeds/001).
	ahaRedirectURI string
	// ahaAccount is the account subdomain; empty means AhaAccount.
	ahaAccount string
	// ahaAPIKeys are the valid user API keys; nil means {AhaAPIKey}.
	ahaAPIKeys []string
	// aerionTenants are the known tenant URLs; nil means {AerionTenant}.
	aerionTenants []string
	// oauth2Users maps user names to passwords for the password grant; nil
	// means {oauth2User: oauth2Password}. Browser and device sign-ins
	// approve as oauth2User.
	oauth2Users map[string]string
	// oauth2RedirectURI, when set, is the one redirect URI accepted.
	oauth2RedirectURI string

	// logLimit, when positive, keeps only the last logLimit recorded
	// requests, so a long demo does not grow without bound. Count and
	// Requests see only what is kept. Zero keeps everything.
	logLimit int
}

// Server is a running set of fakes. Its embedded httptest.Server gives URL,
// Client and Close. All methods are safe for concurrent use.
type Server struct {
	*httptest.Server

	now func() time.Time

	mu        sync.Mutex
	lifetime  map[string]time.Duration
	refreshLT map[string]time.Duration
	rotate    map[string]bool
	pending   int
	slowDown  int
	interval  time.Duration
	fails     map[string][]failure // by provider (token endpoint) or "path:"+path
	denials   map[string][]string  // by provider: authorize error codes
	issNext   []string             // the OAuth 2.0 server's next iss values ("": none)
	subjects  map[string]subject   // AcceptSubject's subject tokens (exchange.go)
	idt       idTokens             // the OAuth 2.0 server's ID token keys and faults
	log       []*Recorded
	access    map[string]*token
	refresh   map[string]*token
	codes     map[string]*authCode
	devices   map[string]*device // by device_code
	userCodes map[string]*device
	family    int
	replays   int                  // refreshes with a retired or revoked refresh token
	jtis      map[string]time.Time // client assertion ids seen, with their exp

	aikidoClients map[string]string
	ahaClients    map[string]string
	ahaAccount    string
	ahaKeys       map[string]bool
	aerionUsers   map[string]string
	aerionTenants []string
	aminoUsers    map[string]string
	oauthClients  map[string]string
	oauthUsers    map[string]string
	opts          Options

	demoAikido, demoAha string // DemoConfig's redirect URIs, once chosen
}

// New starts a Server on 127.0.0.1 and panics if it cannot listen, like
// httptest.NewServer. Close it when done.
func New(opts Options) *Server {
	s, err := Listen(opts)
	if err != nil {
		panic(err)
	}
	return s
}

// Listen starts a Server on an ephemeral port of 127.0.0.1 and reports an
// error instead of panicking, for the demo.
func Listen(opts Options) (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("providertest: listen: %w", err)
	}
	s := newServer(opts)
	hs := &httptest.Server{
		Listener: l,
		Config: &http.Server{
			Handler:           s.routes(),
			ReadHeaderTimeout: 10 * time.Second,
			// The demo runs under a full-screen terminal UI: never write there.
			ErrorLog: log.New(io.Discard, "", 0),
		},
	}
	s.Server = hs
	hs.Start()
	return s, nil
}

func newServer(o Options) *Server {
	s := &Server{
		now:       o.Now,
		lifetime:  map[string]time.Duration{Aikido: DefaultLifetime, Amino: DefaultLifetime, OAuth2: DefaultLifetime, Aerion: AerionLifetime},
		refreshLT: map[string]time.Duration{},
		rotate:    map[string]bool{Aikido: true, Aha: true, Aerion: true, Amino: true, OAuth2: true},
		pending:   1,
		interval:  time.Second,
		fails:     map[string][]failure{},
		denials:   map[string][]string{},
		access:    map[string]*token{},
		refresh:   map[string]*token{},
		codes:     map[string]*authCode{},
		devices:   map[string]*device{},
		userCodes: map[string]*device{},
		opts:      o,
	}
	if s.now == nil {
		s.now = time.Now
	}
	maps.Copy(s.lifetime, o.lifetime)
	maps.Copy(s.refreshLT, o.refreshLifetime)
	for p, off := range o.noRotation {
		s.rotate[p] = !off
	}
	switch {
	case o.DevicePending < 0:
		s.pending = 0
	case o.DevicePending > 0:
		s.pending = o.DevicePending
	}
	if o.deviceInterval >= time.Second {
		s.interval = o.deviceInterval.Truncate(time.Second)
	}
	s.aikidoClients = orMap(o.AikidoClients, map[string]string{AikidoClientID: AikidoClientSecret})
	s.ahaClients = orMap(o.AhaClients, map[string]string{AhaClientID: AhaClientSecret})
	s.ahaAccount = o.ahaAccount
	if s.ahaAccount == "" {
		s.ahaAccount = AhaAccount
	}
	keys := o.ahaAPIKeys
	if keys == nil {
		keys = []string{AhaAPIKey}
	}
	s.ahaKeys = map[string]bool{}
	for _, k := range keys {
		s.ahaKeys[k] = true
	}
	s.aerionUsers = orMap(o.AerionUsers, map[string]string{AerionUser: AerionPassword})
	s.aerionTenants = slices.Clone(o.aerionTenants)
	if len(s.aerionTenants) == 0 {
		s.aerionTenants = []string{AerionTenant}
	}
	s.aminoUsers = orMap(o.AminoUsers, map[string]string{AminoUser: AminoPassword})
	s.oauthClients = orMap(o.OAuth2Clients, map[string]string{OAuth2ClientID: oauth2ClientSecret, OAuth2PublicClientID: ""})
	s.oauthUsers = orMap(o.oauth2Users, map[string]string{oauth2User: oauth2Password})
	return s
}

func orMap(m, def map[string]string) map[string]string {
	if m == nil {
		return def
	}
	return maps.Clone(m)
}

// routes serves every fake's endpoints, each request recorded first.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for pattern, serve := range map[string]http.HandlerFunc{
		"GET /{$}": s.index,

		"POST " + aikidoTokenPath: s.aikidoToken,
		"GET " + aikidoAuthPath:   s.aikidoAuthorize,
		"GET " + aikidoCheckPath:  s.aikidoWorkspace,

		"GET /aha/{sub}" + ahaAuthPath:   s.ahaAuthorize,
		"POST /aha/{sub}" + ahaTokenPath: s.ahaToken,
		"GET /aha/{sub}" + ahaCheckPath:  s.ahaMe,

		"POST " + aerionTokenPath: s.aerionToken,
		"GET " + aerionCheckPath:  s.aerionMe,

		"POST " + aminoTokenPath: s.aminoToken,
		"GET " + aminoCheckPath:  s.aminoMe,

		"GET " + oauth2DiscoveryPath:   s.oauth2Discovery,
		"GET " + oauth2AuthPath:        s.oauth2Authorize,
		"POST " + oauth2TokenPath:      s.oauth2Token,
		"POST " + oauth2RevokePath:     s.oauth2Revoke,
		"POST " + oauth2DevicePath:     s.oauth2Device,
		"GET " + oauth2ActivatePath:    s.oauth2Activate,
		"GET " + oauth2UserInfoPath:    s.oauth2UserInfo,
		"POST " + oauth2IntrospectPath: s.oauth2Introspect,
		"GET " + oauth2JWKSPath:        s.oauth2JWKS,
	} {
		mux.HandleFunc(pattern, serve)
	}
	return s.record(mux)
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "tokentop provider fakes: %s/aikido %s/aha/{subdomain} %s/aerion %s/amino %s/oauth2\n",
		s.URL, s.URL, s.URL, s.URL, s.URL)
}
