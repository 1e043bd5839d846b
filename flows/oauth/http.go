package oauth

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"tokentop/flows"
	"tokentop/flows/redact"
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

	mu         sync.Mutex // guards conn and discovered
	discovered bool
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

// wireExpand fills the {subdomain} placeholder of a URL template with the
// connection's subdomain (Aha!: https://<subdomain>.aha.io/oauth/token).
func (e *endpoint) wireExpand(key, u string) (string, error) {
	if u == "" {
		return "", fmt.Errorf("%s is not set", key)
	}
	if !strings.Contains(u, "{subdomain}") {
		return u, nil
	}
	sub := e.Connection().Subdomain
	if sub == "" {
		return "", fmt.Errorf("%s needs a subdomain and none is set", key)
	}
	if flows.CheckSubdomain(sub) != nil {
		return "", fmt.Errorf("subdomain %q is not a valid host name label", redact.Sanitize(sub))
	}
	return strings.ReplaceAll(u, "{subdomain}", sub), nil
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
		if flows.IsLoopbackHost(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%s uses plain http to %s: refusing to send credentials unencrypted, use https", key, redact.Sanitize(u.Hostname()))
	}
	return fmt.Errorf("%s must be an https URL", key)
}

// wireRequest is one request to a provider, built once and sent again as is
// on a retry.
type wireRequest struct {
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
}

// wireResponse is a provider's answer, read in full (up to maxBody).
type wireResponse struct {
	status  int
	header  http.Header
	body    []byte
	sentAt  time.Time // local clock when the request left
	latency time.Duration
}

// wireTrace follows one request: whether it got a connection (after which
// a finish request is committed) and whether its headers were written.
type wireTrace struct {
	mu        sync.Mutex
	committed bool
	abandoned bool // the caller gave up before the commit
	sent      atomic.Bool
}

// commit marks the request committed unless the caller gave up first, and
// reports whether it did.
func (w *wireTrace) commit() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.abandoned {
		w.committed = true
	}
	return w.committed
}

// abandon marks the request given up unless it is committed, and reports
// whether it was.
func (w *wireTrace) abandon() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.committed {
		w.abandoned = true
	}
	return w.abandoned
}

// send sends r once. It bounds the call by e.timeout when ctx has no
// deadline, reads at most maxBody bytes, and logs method, URL without query,
// status and latency at debug level, never a body or a header.
func (e *endpoint) send(ctx context.Context, r *wireRequest) (*wireResponse, error) {
	u, err := url.Parse(r.url)
	if err != nil {
		return nil, fmt.Errorf("%s is not a URL", r.key)
	}
	if err := checkWireURL(r.key, u); err != nil {
		return nil, err
	}
	wt := &wireTrace{}
	callerCtx := ctx
	if r.finish {
		// Its own deadline, and the caller's cancellation only until the
		// request has a connection.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), e.timeout)
		defer cancel()
		stop := context.AfterFunc(callerCtx, func() {
			if wt.abandon() {
				cancel()
			}
		})
		defer stop()
	} else if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.timeout)
		defer cancel()
	}
	onCommit := flows.Committed(callerCtx)
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) {
			if wt.commit() && r.finish && onCommit != nil {
				onCommit()
			}
		},
		WroteHeaders: func() { wt.sent.Store(true) },
	})
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.what, err)
	}
	for k, vs := range r.header {
		req.Header[k] = append([]string(nil), vs...)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "tokentop")
	}
	logURL := u.Scheme + "://" + u.Host + u.EscapedPath()
	sentAt := e.now()
	start := time.Now()
	resp, err := e.http.Do(req)
	if err != nil {
		e.log.Debug("http", "method", r.method, "url", logURL, "err", "no answer", "sent", wt.sent.Load(), "latency", time.Since(start))
		return nil, e.transportError(ctx, callerCtx, r.what, err, wt.sent.Load())
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	lat := time.Since(start)
	e.log.Debug("http", "method", r.method, "url", logURL, "status", resp.StatusCode, "latency", lat)
	if err != nil {
		return nil, e.transportError(ctx, callerCtx, r.what, err, true)
	}
	if len(b) > maxBody {
		return nil, fmt.Errorf("%s: response too large (over %d bytes, HTTP %d)", r.what, maxBody, resp.StatusCode)
	}
	return &wireResponse{status: resp.StatusCode, header: resp.Header, body: b, sentAt: sentAt, latency: lat}, nil
}

// transportError turns a failure to get an answer into one readable line.
// ctx is the request's context, callerCtx the caller's (the same unless the
// request is a finish one). A cancelled or expired ctx keeps its identity
// (errors.Is context.Canceled). sent says whether the request was written.
func (e *endpoint) transportError(ctx, callerCtx context.Context, what string, err error, sent bool) error {
	if ue, ok := err.(*url.Error); ok {
		err = ue.Err // its message repeats the URL, query included
	}
	msg := readableNetError(err)
	// Before the request was written, the caller giving up (or its
	// deadline) is the cause; after, only the request's own deadline is.
	cerr := callerCtx.Err()
	if cerr == nil || sent {
		cerr = ctx.Err()
	}
	if cerr != nil {
		if errors.Is(cerr, context.DeadlineExceeded) {
			msg = "timed out"
		} else {
			msg = "cancelled"
		}
		if sent && errors.Is(cerr, context.Canceled) {
			// Given up on after it was written: not a harmless
			// cancellation, the provider may have acted on it.
			return &flows.NoAnswerError{What: what, Msg: "abandoned after it was sent", Err: err, Sent: true}
		}
		return &flows.NoAnswerError{What: what, Msg: msg, Err: errors.Join(cerr, err), Sent: sent}
	}
	return &flows.NoAnswerError{What: what, Msg: msg, Err: err, Certificate: isCertificateError(err), Sent: sent}
}

// isCertificateError reports whether err is a failure to verify the
// server's certificate.
func isCertificateError(err error) bool {
	var ve *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &ve) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci)
}

// readableNetError names the usual TLS and network failures in words that
// say what to change.
func readableNetError(err error) string {
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	var ve *tls.CertificateVerificationError
	switch {
	case errors.As(err, &ua):
		return "certificate signed by unknown authority: set ca_file to the CA that signed it"
	case errors.As(err, &hn):
		return "certificate is not valid for this host name: check the URL (" + redact.Sanitize(hn.Error()) + ")"
	case errors.As(err, &ci):
		if ci.Reason == x509.Expired {
			return "certificate has expired or is not yet valid: check the server's certificate and this machine's clock"
		}
		return "invalid certificate: " + redact.Sanitize(ci.Error())
	case errors.As(err, &ve):
		return "certificate verification failed: " + redact.Sanitize(ve.Err.Error())
	case errors.Is(err, context.DeadlineExceeded), os.IsTimeout(err):
		return "timed out"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "connection closed before an answer"
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return "cannot connect: " + redact.Sanitize(oe.Err.Error())
	}
	return redact.Sanitize(err.Error())
}

// retryPolicy says which failures of a call may be retried.
type retryPolicy int

const (
	// noRetry: password and code exchange. A second request could spend a
	// one-time code twice or count twice against a lockout.
	noRetry retryPolicy = iota
	// retryIdempotent: client_credentials, health check, discovery. Up to
	// maxAttempts on no answer, 5xx or 429.
	retryIdempotent
	// retryNoAnswer: refresh. One more request, only when no answer came at
	// all, because a server that saw the first may have rotated the refresh
	// token (RFC 9700 §4.14.2).
	retryNoAnswer
)

// signInError is the error of a refresh that got no answer twice: it
// matches ErrSignInRequired and keeps the transport error as its cause.
type signInError struct {
	msg   string
	cause error
}

func (e *signInError) Error() string   { return e.msg }
func (e *signInError) Unwrap() []error { return []error{flows.ErrSignInRequired, e.cause} }

// do sends r under policy p and returns the final answer.
func (e *endpoint) do(ctx context.Context, p retryPolicy, r *wireRequest) (*wireResponse, error) {
	if _, ok := ctx.Deadline(); !ok && p == retryIdempotent {
		// One deadline for the call and all its retries, so a client
		// credentials grant or a health check ends within about 30 s
		// whatever the server does.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.timeout)
		defer cancel()
	}
	for attempt := 1; ; attempt++ {
		resp, err := e.send(ctx, r)
		var na *flows.NoAnswerError
		noAnswer := errors.As(err, &na) && !na.Certificate && ctx.Err() == nil
		switch p {
		case retryNoAnswer:
			if !noAnswer || !na.Sent {
				// An answer, or a request that never left: the refresh
				// token is as good as before, and the caller retries later.
				return resp, err
			}
			if attempt == 2 {
				return nil, &signInError{
					msg:   "the refresh request was sent twice and never answered (" + na.Msg + "); the provider may have rotated the refresh token",
					cause: err,
				}
			}
			e.log.Debug("retrying refresh once", "what", r.what)
			if e.sleep(ctx, backoff(1)) != nil {
				return nil, err
			}
			continue
		case retryIdempotent:
			if attempt >= maxAttempts {
				return resp, err
			}
			var wait time.Duration
			switch {
			case noAnswer:
				wait = backoff(attempt)
			case err == nil && (resp.status >= 500 || resp.status == http.StatusTooManyRequests):
				wait = retryAfter(resp.header.Get("Retry-After"), e.now())
				if wait <= 0 {
					wait = backoff(attempt)
				}
			default:
				return resp, err
			}
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
				// The wait would outlast the call's deadline: the answer
				// in hand is the answer.
				return resp, err
			}
			if serr := e.sleep(ctx, wait); serr != nil {
				if err == nil {
					return resp, nil
				}
				return nil, err
			}
		default:
			return resp, err
		}
	}
}

// backoff is the wait before attempt+1: 1 s, then 2 s.
func backoff(attempt int) time.Duration { return time.Duration(attempt) * time.Second }

// retryAfter reads a Retry-After header (RFC 9110 §10.2.3): seconds or an
// HTTP date, capped at maxRetryAfter. Zero means none usable.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}
