package oauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"
	"tokentop/flows"
	"tokentop/flows/redact"
	"tokentop/flows/urlmatch"
)

// Limits of every request tokentop sends. A provider that hangs must not
// hang a renewal: the dashboard renews many connections and a script waits
// on one.
const (
	dialTimeout           = 10 * time.Second
	tlsHandshakeTimeout   = 10 * time.Second
	responseHeaderTimeout = 30 * time.Second
	// callTimeout bounds one request, body included, when the caller's ctx
	// has no deadline: a server sending a byte a second cannot hold a call.
	callTimeout = 30 * time.Second
	// maxBody is the most tokentop reads of any answer; token responses are
	// a few kilobytes.
	maxBody = 1 << 20
	// maxAttempts bounds the retries of idempotent calls.
	maxAttempts = 3
	// maxRetryAfter caps a server's Retry-After, so a "wait a day" cannot
	// stall a renewal.
	maxRetryAfter = 30 * time.Second
)

// endpoint talks to one connection's provider: its token, revocation,
// device-authorization and check URLs.
type endpoint struct {
	conn *flows.Connection // a copy: discover fills its empty URLs
	http *http.Client
	now  func() time.Time
	log  *slog.Logger
	red  *redact.Redactor

	// sleep waits between retries and device polls; tests replace it so
	// nothing really waits.
	sleep func(ctx context.Context, d time.Duration) error
	// timeout bounds each request whose ctx has no deadline (callTimeout).
	timeout time.Duration
	// subject is the Service's Token, for a subject_connection (exchange.go).
	subject func(ctx context.Context, name string) (*flows.Token, error)

	mu         sync.Mutex // guards conn, discovered, issRequired and jwksURL
	discovered bool
	jwksURL    string // jwks_uri of the metadata (OIDC Discovery §3)
	// issRequired: the metadata has
	// authorization_response_iss_parameter_supported true (RFC 9207 §3).
	issRequired bool
}

// New returns the provider client of connection c, for the Service
// (flows.Options.NewClient).
func New(c *flows.Connection, o flows.ClientOptions) (flows.Client, error) {
	e, err := newEndpoint(c, o.Now, o.Logger, o.Redactor)
	if err != nil {
		return nil, err
	}
	if o.Timeout > 0 {
		e.timeout = o.Timeout
	}
	e.subject = o.Subject
	return e, nil
}

// newEndpoint returns an endpoint for c. It keeps a copy of c, so that
// discovery never changes the caller's configuration. log may be nil; red
// may be nil (nothing is added or hidden), but the Service always passes one.
func newEndpoint(c *flows.Connection, now func() time.Time, log *slog.Logger, red *redact.Redactor) (*endpoint, error) {
	if c == nil {
		return nil, errors.New("no connection")
	}
	hc, err := newHTTPClient(c)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if red != nil {
		log = slog.New(red.Handler(log.Handler()))
	}
	cc := *c
	return &endpoint{
		conn:    &cc,
		http:    hc,
		now:     now,
		log:     log,
		red:     red,
		sleep:   sleepCtx,
		timeout: callTimeout,
	}, nil
}

// Connection returns the connection as it stands (after discovery, if any).
func (e *endpoint) Connection() *flows.Connection {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.conn
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// newHTTPClient returns the HTTP client of one connection. It never follows
// redirects: a token request carries a client secret, a password or a code,
// and a health check carries the bearer token (RFC 6750 §5.3, RFC 9700
// §4.11), so a 3xx is reported, never obeyed. It trusts ca_file's
// certificates on top of the system's and skips verification only when the
// configuration says so.
func newHTTPClient(c *flows.Connection) (*http.Client, error) {
	tc, err := TLSConfig(c)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   tlsHandshakeTimeout,
		ResponseHeaderTimeout: responseHeaderTimeout,
		TLSClientConfig:       tc,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          4,
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}, nil
}

// TLSConfig is the TLS configuration of connection c's requests: TLS 1.2
// at least, the system's roots plus c's ca_file, and verification skipped
// only on its explicit insecure_skip_verify.
func TLSConfig(c *flows.Connection) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s: no PEM certificate in it", c.CAFile)
		}
		tc.RootCAs = pool
	}
	// #nosec G402 -- only on the user's explicit insecure_skip_verify, which
	// the dashboard shows as a warning.
	tc.InsecureSkipVerify = c.InsecureSkipVerify
	return tc, nil
}

// checkWireURL refuses URLs that would send a credential in clear text. Config
// loading refuses them too; this is the second check, at the moment of
// sending (RFC 6749 §3.1, §3.2: TLS is required at both endpoints).
func checkWireURL(key string, u *url.URL) error {
	switch u.Scheme {
	case "https":
		if u.Host == "" {
			return fmt.Errorf("%s has no host", key)
		}
		return nil
	case "http":
		if urlmatch.IsLoopbackHost(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%s uses plain http to %s: refusing to send credentials unencrypted, use https", key, redact.Sanitize(u.Hostname()))
	}
	return fmt.Errorf("%s must be an https URL", key)
}

// request is one request to a provider, built once and sent again as is
// on a retry, unless rebuild gives a fresh body.
type request struct {
	what   string // "token endpoint", "check_url", …: names the URL in errors
	key    string // the config key of the URL
	method string
	url    string
	header http.Header
	body   []byte
	// finish marks a token request: once it has a connection, the caller's
	// cancellation no longer stops it, so that an answer the provider may
	// already be sending (a rotated refresh token, a token for a one-time
	// code) is read and can be saved. Its own deadline still bounds it.
	finish bool
	// rebuild, when set, makes the body of each attempt after the first:
	// a new client assertion with its own jti (RFC 7523 §3).
	rebuild func() ([]byte, error)
}

// response is a provider's answer, read in full (up to maxBody).
type response struct {
	status  int
	header  http.Header
	body    []byte
	sentAt  time.Time // local clock when the request left
	latency time.Duration
}
