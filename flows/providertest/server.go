package providertest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// The provider names, which are also the path prefixes of the fakes. They
// match the provider names of tokentop's configuration.
const (
	Aikido = "aikido"
	Aha    = "aha"
	Aerion = "aerion"
	Amino  = "amino"
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
	// CodeLifetime is how long an authorization code stays valid.
	CodeLifetime = 10 * time.Minute
	// DeviceCodeLifetime is the expires_in of a device authorization.
	DeviceCodeLifetime = 10 * time.Minute
)

// Options configures a Server. The zero value is a working server with the
// default identities below.
type Options struct {
	// Now is the clock used for every expiry; time.Now when nil.
	Now func() time.Time

	// Lifetime sets the access-token lifetime per provider (keys are the
	// provider constants). Missing providers get DefaultLifetime (Aerion:
	// AerionLifetime). Zero makes tokens that never expire, announced
	// without expires_in. For Aha!, whose tokens carry no expiry, a lifetime
	// makes tokens stop working silently after it; the default is never.
	Lifetime map[string]time.Duration
	// RefreshLifetime sets how long refresh tokens stay valid per provider;
	// missing or zero means forever.
	RefreshLifetime map[string]time.Duration
	// NoRotation lists providers that keep refresh tokens valid after use
	// instead of rotating them.
	NoRotation map[string]bool

	// DevicePending is how many polls of a device authorization are answered
	// authorization_pending before it is approved. Zero means 1; a negative
	// value means none.
	DevicePending int
	// DeviceInterval is the polling interval announced by the device
	// endpoint, in whole seconds; zero means one second.
	DeviceInterval time.Duration

	// AikidoClients maps client ids to secrets; nil means
	// {AikidoClientID: AikidoClientSecret}.
	AikidoClients map[string]string
	// AikidoRedirectURI is the redirect URI registered for Aikido clients.
	// Empty accepts the redirect_uri of each request (an ephemeral loopback
	// port); when set, a redirect_uri parameter must equal it and its absence
	// means it.
	AikidoRedirectURI string

	// AhaClients maps client ids to secrets; nil means
	// {AhaClientID: AhaClientSecret}.
	AhaClients map[string]string
	// AhaRedirectURI, when set, is the registered redirect URI that every
	// authorize and token request must name exactly (seeds/001).
	AhaRedirectURI string
	// AhaAccount is the account subdomain; empty means AhaAccount.
	AhaAccount string
	// AhaAPIKeys are the valid user API keys; nil means {AhaAPIKey}.
	AhaAPIKeys []string

	// AerionUsers maps user names to passwords; nil means
	// {AerionUser: AerionPassword}.
	AerionUsers map[string]string
	// AerionTenants are the known tenant URLs; nil means {AerionTenant}.
	AerionTenants []string

	// AminoUsers maps user names to passwords; nil means
	// {AminoUser: AminoPassword}.
	AminoUsers map[string]string

	// OAuth2Clients maps client ids to secrets; an empty secret makes a
	// public client (PKCE required for its authorization codes). Nil means
	// {OAuth2ClientID: OAuth2ClientSecret, OAuth2PublicClientID: ""}.
	OAuth2Clients map[string]string
	// OAuth2Users maps user names to passwords for the password grant; nil
	// means {OAuth2User: OAuth2Password}. Browser and device sign-ins
	// approve as OAuth2User.
	OAuth2Users map[string]string
	// OAuth2RedirectURI, when set, is the one redirect URI accepted.
	OAuth2RedirectURI string

	// LogLimit, when positive, keeps only the last LogLimit recorded
	// requests, so a long demo does not grow without bound. Count and
	// Requests see only what is kept. Zero keeps everything.
	LogLimit int
}

// NewDemo returns the Options of `tokentop --demo`: every provider's tokens
// live between one and two minutes, so countdowns and automatic renewal are
// visible in the dashboard, and device sign-ins wait for two polls.
//
// Aikido and Aha! redirect only to a registered URI, so NewDemo registers
// one loopback redirect URI for each, http://127.0.0.1:PORT/callback on a
// port that was free a moment ago (it listens briefly to find out), and
// DemoConfig writes them as the connections' redirect_uri.
func NewDemo() Options {
	return Options{
		AikidoRedirectURI: freeLoopbackRedirect(),
		AhaRedirectURI:    freeLoopbackRedirect(),
		Lifetime: map[string]time.Duration{
			Aikido: 90 * time.Second,
			Aerion: 2 * time.Minute,
			Amino:  75 * time.Second,
			OAuth2: time.Minute,
		},
		RefreshLifetime: map[string]time.Duration{Amino: time.Hour},
		DevicePending:   2,
		DeviceInterval:  2 * time.Second,
		LogLimit:        1000,
	}
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
	fails     map[string][]injected // by provider (token endpoint) or "path:"+path
	denials   map[string][]string   // by provider: authorize error codes
	log       []*Recorded
	access    map[string]*token
	refresh   map[string]*token
	codes     map[string]*authCode
	devices   map[string]*device // by device_code
	userCodes map[string]*device
	family    int
	replays   int // refreshes with a retired or revoked refresh token

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
		fails:     map[string][]injected{},
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
	maps.Copy(s.lifetime, o.Lifetime)
	maps.Copy(s.refreshLT, o.RefreshLifetime)
	for p, off := range o.NoRotation {
		s.rotate[p] = !off
	}
	switch {
	case o.DevicePending < 0:
		s.pending = 0
	case o.DevicePending > 0:
		s.pending = o.DevicePending
	}
	if o.DeviceInterval >= time.Second {
		s.interval = o.DeviceInterval.Truncate(time.Second)
	}
	s.aikidoClients = orMap(o.AikidoClients, map[string]string{AikidoClientID: AikidoClientSecret})
	s.ahaClients = orMap(o.AhaClients, map[string]string{AhaClientID: AhaClientSecret})
	s.ahaAccount = o.AhaAccount
	if s.ahaAccount == "" {
		s.ahaAccount = AhaAccount
	}
	keys := o.AhaAPIKeys
	if keys == nil {
		keys = []string{AhaAPIKey}
	}
	s.ahaKeys = map[string]bool{}
	for _, k := range keys {
		s.ahaKeys[k] = true
	}
	s.aerionUsers = orMap(o.AerionUsers, map[string]string{AerionUser: AerionPassword})
	s.aerionTenants = slices.Clone(o.AerionTenants)
	if len(s.aerionTenants) == 0 {
		s.aerionTenants = []string{AerionTenant}
	}
	s.aminoUsers = orMap(o.AminoUsers, map[string]string{AminoUser: AminoPassword})
	s.oauthClients = orMap(o.OAuth2Clients, map[string]string{OAuth2ClientID: OAuth2ClientSecret, OAuth2PublicClientID: ""})
	s.oauthUsers = orMap(o.OAuth2Users, map[string]string{OAuth2User: OAuth2Password})
	return s
}

// freeLoopbackRedirect returns a callback URI on a loopback port that is
// free now, or "" when none could be found.
func freeLoopbackRedirect() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return ""
	}
	defer l.Close()
	return "http://" + l.Addr().String() + "/callback"
}

func orMap(m, def map[string]string) map[string]string {
	if m == nil {
		return def
	}
	return maps.Clone(m)
}

// Knobs.

// SetLifetime changes the access-token lifetime of provider for tokens
// issued from now on. For Aha! it is a silent server-side expiry (the token
// response never says); zero makes Aha! tokens last forever.
func (s *Server) SetLifetime(provider string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lifetime[provider] = d
}

// SetRefreshLifetime changes how long provider's refresh tokens issued from
// now on stay valid; zero means forever.
func (s *Server) SetRefreshLifetime(provider string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshLT[provider] = d
}

// SetRotation turns refresh-token rotation on or off for provider. With
// rotation (the default) a used refresh token is answered invalid_grant
// afterwards and the response carries a new one; without it the old one
// stays valid and the response omits refresh_token (RFC 6749 §6: the server
// MAY issue a new one), except at Amino, which always returns one (the same).
func (s *Server) SetRotation(provider string, rotate bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rotate[provider] = rotate
}

// SetDevicePending sets how many polls of device authorizations started from
// now on are answered authorization_pending before approval (RFC 8628 §3.5).
func (s *Server) SetDevicePending(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = max(n, 0)
}

// SetDeviceSlowDown makes the next n device-code polls be answered slow_down
// (RFC 8628 §3.5); they do not count as pending polls.
func (s *Server) SetDeviceSlowDown(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slowDown = max(n, 0)
}

// SetDeviceInterval sets the interval announced by device authorizations
// started from now on, rounded down to whole seconds (at least one).
func (s *Server) SetDeviceInterval(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.interval = max(d.Truncate(time.Second), time.Second)
}

type injected struct {
	status int
	body   string
	header http.Header
}

// FailNext makes the next n requests to provider's token endpoint (Amino:
// access_tokens; the OAuth 2.0 server: /oauth2/token, device polls included)
// be answered with status, body and header instead, e.g. a 502 HTML page, a
// 429 with Retry-After or 400 {"error":"invalid_grant"}. A body that starts
// with '{' gets Content-Type application/json unless header sets one. The
// failed requests are recorded and counted like the others.
func (s *Server) FailNext(provider string, n int, status int, body string, header http.Header) {
	s.queueFail(provider, n, status, body, header)
}

// FailNextPath is FailNext for any exact request path, such as a check URL
// ("/aha/acme/api/v1/me") or an authorize endpoint.
func (s *Server) FailNextPath(path string, n int, status int, body string, header http.Header) {
	s.queueFail("path:"+path, n, status, body, header)
}

func (s *Server) queueFail(key string, n, status int, body string, header http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.fails[key] = append(s.fails[key], injected{status, body, header.Clone()})
	}
}

// DenyNext makes the next n sign-ins at provider be refused with the OAuth
// error code errCode (such as "access_denied"): an authorize request then
// redirects with error=errCode and state, and a device-code poll of the
// OAuth 2.0 server is answered with it.
func (s *Server) DenyNext(provider string, n int, errCode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.denials[provider] = append(s.denials[provider], errCode)
	}
}

func (s *Server) takeDenial(provider string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.denials[provider]
	if len(q) == 0 {
		return ""
	}
	s.denials[provider] = q[1:]
	return q[0]
}

// RevokeAll makes every access and refresh token that provider issued so far
// stop working, as when a user withdraws an application's access.
func (s *Server) RevokeAll(provider string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range []map[string]*token{s.access, s.refresh} {
		for _, t := range m {
			if t.provider == provider {
				t.revoked = true
			}
		}
	}
}

// SeedRefreshToken issues a refresh token for user at provider as if from
// another sign-in, such as Aerion's web SSO login that "can be used to seed
// an API integration" (seeds/002). At Aerion it belongs to the first known
// tenant; at Aikido and the OAuth 2.0 server, to their default client. Aha!
// has no refresh tokens: SeedRefreshToken returns "" for it and for unknown
// providers.
func (s *Server) SeedRefreshToken(provider, user string) string {
	if provider == Aha {
		return ""
	}
	g, ok := s.seedGrant(provider, user)
	if !ok {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, rt, _ := s.issueLocked(g, true)
	return rt
}

// SeedAccessToken issues an access token for user at provider, valid for the
// provider's lifetime, so tests of checks need no sign-in. It returns "" for
// unknown providers.
func (s *Server) SeedAccessToken(provider, user string) string {
	g, ok := s.seedGrant(provider, user)
	if !ok {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	at, _, _ := s.issueLocked(g, false)
	return at
}

func (s *Server) seedGrant(provider, user string) (grant, bool) {
	g := grant{provider: provider, user: user}
	switch provider {
	case Aerion:
		g.tenant = tenantKey(s.aerionTenants[0])
	case Aikido:
		g.client = AikidoClientID
	case OAuth2:
		g.client = OAuth2ClientID
	case Amino:
		g.login = s.now()
	case Aha:
		g.client, g.account = AhaClientID, s.ahaAccount
	default:
		return grant{}, false
	}
	return g, true
}

// Recording.

// Recorded is one request that reached the server, as the fake saw it.
type Recorded struct {
	Time   time.Time // by Options.Now
	Method string
	Path   string
	Query  url.Values
	Header http.Header // a clone
	// Body is the raw request body; Form is it decoded when it was
	// application/x-www-form-urlencoded (nil otherwise).
	Body string
	Form url.Values
	// BasicUser and BasicPassword are the HTTP Basic credentials decoded as
	// RFC 6749 §2.3.1 says (base64, then form-unescaped); Basic says whether
	// there was a Basic header at all.
	Basic                    bool
	BasicUser, BasicPassword string
	// Grant is the grant of a token-endpoint request: the grant_type field,
	// at Amino "password" or "refresh_token". It is empty for other requests.
	Grant string
	// Status is the status code of the answer; Injected says FailNext or
	// FailNextPath produced it.
	Status   int
	Injected bool
}

// String describes the request without its secrets (no headers, body or
// Basic credentials), so a log line or %v never leaks test credentials.
func (r Recorded) String() string {
	s := r.Method + " " + r.Path
	if r.Grant != "" {
		s += " grant=" + r.Grant
	}
	s += fmt.Sprintf(" status=%d", r.Status)
	if r.Injected {
		s += " (injected)"
	}
	return s
}

// Requests returns copies of the requests that reached provider's fake, in
// arrival order.
func (s *Server) Requests(provider string) []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Recorded
	for _, r := range s.log {
		if providerOf(r.Path) == provider {
			c := *r
			c.Header = r.Header.Clone()
			c.Query = cloneValues(r.Query)
			c.Form = cloneValues(r.Form)
			out = append(out, c)
		}
	}
	return out
}

// Count returns how many requests reached provider's token endpoint with
// grant (a grant_type value, such as "refresh_token" or
// "urn:ietf:params:oauth:grant-type:device_code"), failed ones included. An
// empty grant counts every token request.
func (s *Server) Count(provider, grant string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.log {
		if providerOf(r.Path) == provider && isTokenPath(provider, r.Path) && (grant == "" || r.Grant == grant) {
			n++
		}
	}
	return n
}

// ResetLog forgets the recorded requests (and so the counts).
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	c := make(url.Values, len(v))
	for k, vs := range v {
		c[k] = slices.Clone(vs)
	}
	return c
}

func providerOf(path string) string {
	p, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return p
}

func isTokenPath(provider, path string) bool {
	switch provider {
	case Aikido:
		return path == "/aikido/api/oauth/token"
	case Aha:
		parts := strings.Split(path, "/")
		return len(parts) == 5 && parts[3] == "oauth" && parts[4] == "token"
	case Aerion:
		return path == "/aerion/oauth2/token"
	case Amino:
		return path == "/amino/api/auth/v1/access_tokens"
	case OAuth2:
		return path == "/oauth2/token"
	}
	return false
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// record logs the request, applies injected failures, then serves it.
func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &Recorded{
			Time:   s.now(),
			Method: r.Method,
			Path:   r.URL.Path,
			Query:  r.URL.Query(),
			Header: r.Header.Clone(),
			Body:   string(body),
		}
		if isForm(r) {
			rec.Form, _ = url.ParseQuery(string(body))
		}
		if _, _, ok := r.BasicAuth(); ok {
			rec.Basic = true
			rec.BasicUser, rec.BasicPassword, _ = basicCredentials(r)
		}
		provider := providerOf(r.URL.Path)
		token := isTokenPath(provider, r.URL.Path)
		if token {
			rec.Grant = grantOf(provider, rec)
		}
		s.mu.Lock()
		s.log = append(s.log, rec)
		if n := s.opts.LogLimit; n > 0 && len(s.log) > n {
			s.log = slices.Delete(s.log, 0, len(s.log)-n)
		}
		var inj *injected
		for _, key := range []string{"path:" + r.URL.Path, provider} {
			if key == provider && !token {
				continue
			}
			if q := s.fails[key]; len(q) > 0 {
				inj, s.fails[key] = &q[0], q[1:]
				break
			}
		}
		s.mu.Unlock()

		sw := &statusWriter{ResponseWriter: w}
		// The Date header follows Options.Now, so a client that moves server
		// times onto its own clock (Amino's expires_at_timestamp) agrees
		// with the fake's notion of expiry.
		sw.Header().Set("Date", rec.Time.UTC().Format(http.TimeFormat))
		if inj != nil {
			for k, vs := range inj.header {
				sw.Header()[k] = slices.Clone(vs)
			}
			if sw.Header().Get("Content-Type") == "" {
				if strings.HasPrefix(strings.TrimSpace(inj.body), "{") {
					sw.Header().Set("Content-Type", "application/json")
				} else {
					sw.Header().Set("Content-Type", "text/html; charset=utf-8")
				}
			}
			sw.WriteHeader(inj.status)
			io.WriteString(sw, inj.body)
		} else {
			next.ServeHTTP(sw, r)
		}
		s.mu.Lock()
		rec.Status = sw.status
		if rec.Status == 0 {
			rec.Status = http.StatusOK
		}
		rec.Injected = inj != nil
		s.mu.Unlock()
	})
}

func grantOf(provider string, rec *Recorded) string {
	if provider != Amino {
		if rec.Form == nil {
			return ""
		}
		return rec.Form.Get("grant_type")
	}
	var req aminoRequest
	if json.Unmarshal([]byte(rec.Body), &req) != nil {
		return ""
	}
	if g := req.Data.Attributes.GrantType; g != "" {
		return g
	}
	return "password"
}

func isForm(r *http.Request) bool {
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	return strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded")
}

// basicCredentials decodes the Basic header as RFC 6749 §2.3.1 says: the
// client id and secret are form-encoded before base64, so "+" is a space and
// "%3A" a colon.
func basicCredentials(r *http.Request) (id, secret string, err error) {
	auth := r.Header.Get("Authorization")
	scheme, b64, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return "", "", errors.New("no Basic credentials")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return "", "", fmt.Errorf("Basic credentials are not base64: %w", err)
	}
	u, p, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", errors.New("Basic credentials lack a colon")
	}
	if id, err = url.QueryUnescape(u); err != nil {
		return "", "", fmt.Errorf("client id is not form-encoded: %w", err)
	}
	if secret, err = url.QueryUnescape(p); err != nil {
		return "", "", fmt.Errorf("client secret is not form-encoded: %w", err)
	}
	return id, secret, nil
}

// Routing.

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	s.aikidoRoutes(mux)
	s.ahaRoutes(mux)
	s.aerionRoutes(mux)
	s.aminoRoutes(mux)
	s.oauth2Routes(mux)
	mux.HandleFunc("GET /{$}", s.index)
	return s.record(mux)
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "tokentop provider fakes: %s/aikido %s/aha/{subdomain} %s/aerion %s/amino %s/oauth2\n",
		s.URL, s.URL, s.URL, s.URL, s.URL)
}

// Tokens.

type grant struct {
	provider string
	client   string
	user     string
	account  string // Aha! subdomain
	tenant   string // Aerion tenant
	scope    string
	login    time.Time // Amino login_timestamp
	family   int
}

type token struct {
	grant
	value   string
	refresh bool
	expires time.Time // zero: never
	revoked bool
}

func (t *token) valid(now time.Time) bool {
	return t != nil && !t.revoked && (t.expires.IsZero() || now.Before(t.expires))
}

// issueLocked issues an access token (and a refresh token when asked) for g.
// It returns the lifetime to announce (zero at Aha!, where none is).
func (s *Server) issueLocked(g grant, withRefresh bool) (access, refresh string, lifetime time.Duration) {
	now := s.now()
	if g.family == 0 {
		s.family++
		g.family = s.family
	}
	lifetime = s.lifetime[g.provider]
	at := &token{grant: g, value: s.newToken(g), expires: addIf(now, lifetime)}
	s.access[at.value] = at
	if withRefresh {
		rt := &token{grant: g, value: s.newRefreshToken(g), refresh: true, expires: addIf(now, s.refreshLT[g.provider])}
		s.refresh[rt.value] = rt
		refresh = rt.value
	}
	return at.value, refresh, lifetime
}

func addIf(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return t.Add(d)
}

func (s *Server) newToken(g grant) string {
	switch g.provider {
	case Aha:
		return randHex(32) // like the document's 64 hex digits
	case Amino:
		return aminoJWT(g, "access", s.now())
	}
	return g.provider + "_at_" + randHex(20)
}

func (s *Server) newRefreshToken(g grant) string {
	if g.provider == Amino {
		return aminoJWT(g, "refresh", s.now())
	}
	return g.provider + "_rt_" + randHex(20)
}

// useRefresh checks a refresh token of provider for client and, with
// rotation, retires it. It returns the grant to issue new tokens for.
func (s *Server) useRefresh(provider, client, value string) (grant, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.refresh[value]
	switch {
	case t == nil || t.provider != provider:
		return grant{}, false, errors.New("unknown refresh token")
	case t.revoked:
		s.replays++
		return grant{}, false, errors.New("refresh token was already used or revoked")
	case !t.valid(s.now()):
		return grant{}, false, errors.New("refresh token expired")
	case client != "" && t.client != "" && t.client != client:
		return grant{}, false, errors.New("refresh token was issued to another client")
	}
	rotate := s.rotate[provider]
	if rotate {
		t.revoked = true
	}
	return t.grant, rotate, nil
}

// Replays counts the refresh requests that presented a refresh token
// already retired by rotation or revoked: each one is a client sending a
// token it should have replaced (RFC 9700 §4.14.2).
func (s *Server) Replays() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.replays
}

// AccessExpiry returns when an access token the fakes issued expires (zero:
// never), and whether they issued it at all.
func (s *Server) AccessExpiry(value string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.access[value]
	if t == nil {
		return time.Time{}, false
	}
	return t.expires, true
}

// RefreshLive reports whether a refresh token the fakes issued can still be
// used: not retired by rotation, revoked or expired.
func (s *Server) RefreshLive(value string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refresh[value].valid(s.now())
}

// revokeFamilyLocked revokes every token issued from one authorization, as
// RFC 6749 §4.1.2 asks when a code is used twice.
func (s *Server) revokeFamilyLocked(family int) {
	for _, m := range []map[string]*token{s.access, s.refresh} {
		for _, t := range m {
			if t.family == family {
				t.revoked = true
			}
		}
	}
}

// bearer checks the bearer token of r for provider (RFC 6750). It writes
// the 401 and returns false when there is none or it does not work.
func (s *Server) bearer(w http.ResponseWriter, r *http.Request, provider string) (*token, bool) {
	auth := r.Header.Get("Authorization")
	scheme, value, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(value) == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+provider+`"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized", "error_description": "a bearer token is required"})
		return nil, false
	}
	value = strings.TrimSpace(value)
	s.mu.Lock()
	t := s.access[value]
	ok = t != nil && t.provider == provider && t.valid(s.now())
	var why string
	switch {
	case t == nil || t.provider != provider:
		why = "unknown token"
	case t.revoked:
		why = "token revoked"
	case !ok:
		why = "token expired"
	}
	s.mu.Unlock()
	if !ok {
		invalidToken(w, provider, why)
		return nil, false
	}
	return t, true
}

func invalidToken(w http.ResponseWriter, realm, why string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q, error="invalid_token", error_description=%q`, realm, why))
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": why})
}

// Authorization codes.

type authCode struct {
	value     string
	provider  string
	client    string
	redirect  string // as sent to authorize; "" when it was absent
	challenge string // PKCE S256 challenge, "" without PKCE
	account   string
	scope     string
	user      string
	expires   time.Time
	used      bool
	family    int
}

func (s *Server) newCode(c authCode) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.value = randHex(16)
	c.expires = s.now().Add(CodeLifetime)
	s.family++
	c.family = s.family
	s.codes[c.value] = &c
	return c.value
}

// redeemCode checks a code for provider and client and marks it used. A
// second use is refused and revokes what the first one produced.
func (s *Server) redeemCode(provider, client, value string) (*authCode, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.codes[value]
	switch {
	case c == nil || c.provider != provider:
		return nil, errors.New("unknown authorization code")
	case c.used:
		s.revokeFamilyLocked(c.family)
		return nil, errors.New("authorization code was already used")
	case !s.now().Before(c.expires):
		return nil, errors.New("authorization code expired")
	case c.client != client:
		return nil, errors.New("authorization code was issued to another client")
	}
	c.used = true
	cc := *c
	return &cc, nil
}

// Answers.

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// oauthError writes an RFC 6749 §5.2 error.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// invalidClient writes a 401 invalid_client (RFC 6749 §5.2), with a Basic
// challenge where Basic is how the client should authenticate.
func invalidClient(w http.ResponseWriter, desc string, basicChallenge bool) {
	if basicChallenge {
		w.Header().Set("WWW-Authenticate", `Basic realm="token"`)
	}
	oauthError(w, http.StatusUnauthorized, "invalid_client", desc)
}

// tokenResponse is the RFC 6749 §5.1 answer; zero fields are left out.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

func seconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }

// page writes a small HTML page, the answer a person would see.
func page(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><title>%s</title><h1>%s</h1><p>%s</p>\n", htmlEscape(title), htmlEscape(title), htmlEscape(text))
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// redirectTo answers 302 to base with params added to its query (or, with
// fragment, put in its fragment as the implicit grant does).
func redirectTo(w http.ResponseWriter, base string, params url.Values, fragment bool) {
	u, err := url.Parse(base)
	if err != nil {
		page(w, http.StatusBadRequest, "Bad redirect URI", err.Error())
		return
	}
	if fragment {
		u.Fragment = ""
		u.RawFragment = ""
		w.Header().Set("Location", u.String()+"#"+params.Encode())
	} else {
		q := u.Query()
		for k, vs := range params {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
		w.Header().Set("Location", u.String())
	}
	w.WriteHeader(http.StatusFound)
}
