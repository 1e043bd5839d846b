// Package proxy provides the reverse proxy of tokentop proxy: an
// http.Handler that forwards every request to one connection's API with a
// fresh bearer token of that connection in place of any Authorization the
// client sent.
//
// Tokens come from a [Tokens] (a *flows.Service) through a cache in memory,
// so a request costs no read of the state file while the cached token stays
// valid for the margin, and one renewal serves every request waiting for it.
package proxy

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"tokentop/flows"
	"tokentop/flows/oauth"
	"tokentop/flows/redact"
)

// Tokens is where the proxy gets its tokens: *flows.Service.
type Tokens interface {
	// Token returns a token valid for at least minValid, renewing first.
	Token(ctx context.Context, name string, minValid time.Duration) (*flows.Token, error)
	// Renew gets a new token now; a renewal another caller made after
	// the token it saw is shared.
	Renew(ctx context.Context, name string) (*flows.Token, error)
}

// Defaults of Options.
const (
	// DefaultMaxReplayBody is the largest request body kept in memory so
	// that the request can be sent again after a 401 invalid_token.
	DefaultMaxReplayBody = 1 << 20
	// DefaultUpstreamTimeout bounds the wait for the API's response
	// headers; a response body may stream for longer.
	DefaultUpstreamTimeout = 60 * time.Second
	// tokenWait bounds the wait for a token (a renewal included).
	tokenWait = 2 * time.Minute
	// maxErrorBody is how much of a 401 body is kept to pass it through
	// when no renewed token can be had.
	maxErrorBody = 64 << 10
)

// Options configures a Handler.
type Options struct {
	// Name is the connection whose tokens are sent.
	Name string
	// Target is the API: scheme://host[:port] and an optional base path
	// that request paths are appended to.
	Target *url.URL
	Tokens Tokens
	// MinValid is the connection's refresh_before: a cached token is sent
	// while it stays valid this long (flows.Token.ValidFor), else renewed.
	MinValid time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Redactor learns every token sent and cleans the access log; nil
	// makes a new one.
	Redactor *redact.Redactor
	// Log receives one line per request (method, path with query values
	// hidden, status, duration) and the proxy's warnings, already through
	// Redactor; nil discards them.
	Log func(line string)
	// Transport sends the requests upstream; nil makes one for Conn.
	Transport http.RoundTripper
	// Conn is the connection, for its ca_file and insecure_skip_verify
	// when Transport is nil.
	Conn *flows.Connection
	// UpstreamTimeout bounds the wait for response headers when Transport
	// is nil; zero means DefaultUpstreamTimeout.
	UpstreamTimeout time.Duration
	// MaxReplayBody is the largest body buffered for a retry; zero means
	// DefaultMaxReplayBody, negative buffers none.
	MaxReplayBody int64
}

// Handler is the reverse proxy of one connection.
type Handler struct {
	o     Options
	cache *cache
	rp    *httputil.ReverseProxy
}

// New returns the proxy of o.Name to o.Target. It fails only when
// Transport is nil and the connection's ca_file cannot be read.
func New(o Options) (*Handler, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Redactor == nil {
		o.Redactor = redact.New()
	}
	if o.Log == nil {
		o.Log = func(string) {}
	}
	if o.MaxReplayBody == 0 {
		o.MaxReplayBody = DefaultMaxReplayBody
	}
	if o.UpstreamTimeout <= 0 {
		o.UpstreamTimeout = DefaultUpstreamTimeout
	}
	if o.Transport == nil {
		tr, err := newTransport(o.Conn, o.UpstreamTimeout)
		if err != nil {
			return nil, err
		}
		o.Transport = tr
	}
	h := &Handler{o: o}
	h.cache = &cache{tokens: o.Tokens, name: o.Name, minValid: o.MinValid, now: o.Now, red: o.Redactor, warn: o.Log}
	target := o.Target
	h.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			// The client's credentials are never forwarded: the
			// bearer is added by the transport, per attempt.
			pr.Out.Header.Del("Authorization")
			pr.Out.Header.Del("Proxy-Authorization")
		},
		Transport:     &bearerTransport{next: o.Transport, cache: h.cache},
		FlushInterval: -1, // stream answers (server-sent events) as they come
		ErrorHandler:  h.fail,
		ErrorLog:      LineLogger(o.Redactor, o.Log),
	}
	return h, nil
}

// ServeHTTP forwards r with a fresh bearer token and logs one line.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	if err := h.replayable(r); err != nil {
		http.Error(sw, "tokentop proxy: reading the request body: "+h.o.Redactor.Redact(err.Error()), http.StatusBadRequest)
	} else {
		h.rp.ServeHTTP(sw, r)
	}
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	h.o.Log(h.o.Redactor.Redact(fmt.Sprintf("%s %s %d %s", r.Method, logPath(r.URL), status, roundDuration(time.Since(start)))))
}

// replayable buffers a body of known length up to the cap, and gives r a
// GetBody, so that it can be sent again. A body of unknown length (chunked,
// streaming) is forwarded as it comes, and not retried.
func (h *Handler) replayable(r *http.Request) error {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		r.Body, r.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
		return nil
	}
	if r.ContentLength < 0 || r.ContentLength > h.o.MaxReplayBody {
		r.GetBody = nil
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, r.ContentLength))
	if err != nil {
		return err
	}
	if int64(len(b)) != r.ContentLength {
		return io.ErrUnexpectedEOF
	}
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return nil
}

// tokenError is a request that got no token: no upstream request was made.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// fail answers a request that got no answer from the API: 503 when no
// token could be had (sign-in required), 504 on a timeout, 502 otherwise,
// with the cause in one line.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusBadGateway
	var te *tokenError
	var ne net.Error
	switch {
	case errors.As(err, &te):
		status = http.StatusServiceUnavailable
	case errors.Is(err, context.Canceled):
		status = 499 // the client went away; nobody reads this
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		status = http.StatusGatewayTimeout
	}
	msg := h.o.Redactor.Redact(err.Error())
	h.o.Log(h.o.Name + ": " + msg)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "tokentop proxy: %s: %s\n", h.o.Name, msg)
}

// bearerTransport adds the bearer to each attempt and retries once, with a
// renewed token, after a 401 invalid_token (RFC 6750 §3.1) when the
// request can be sent again.
type bearerTransport struct {
	next  http.RoundTripper
	cache *cache
}

func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.cache.get(req.Context(), "")
	if err != nil {
		return nil, &tokenError{err}
	}
	resp, err := t.next.RoundTrip(withBearer(req, tok))
	if err != nil || !invalidToken(resp) {
		return resp, err
	}
	if req.GetBody == nil && req.Body != nil && req.Body != http.NoBody {
		// A streamed body is gone: the 401 goes to the client, and the
		// next request renews.
		t.cache.refuse(tok)
		return resp, nil
	}
	// Keep the 401 to pass it through if no renewed token can be had.
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody+1))
	resp.Body.Close()
	if rerr != nil || len(body) > maxErrorBody {
		return nil, fmt.Errorf("reading the API's 401 answer: %v", rerr)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	fresh, err := t.cache.get(req.Context(), tok.AccessToken)
	if err != nil {
		t.cache.warn(t.cache.name + ": the API refused the token (invalid_token) and no new one could be had: " + t.cache.red.Redact(err.Error()))
		return resp, nil
	}
	retry := req.Clone(req.Context())
	if req.GetBody != nil {
		if retry.Body, err = req.GetBody(); err != nil {
			return resp, nil
		}
	}
	return t.next.RoundTrip(withBearer(retry, fresh))
}

// withBearer is a copy of req carrying tok. The transport must not change
// the request it is given (http.RoundTripper).
func withBearer(req *http.Request, tok *flows.Token) *http.Request {
	out := req.Clone(req.Context())
	out.Body = req.Body
	out.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return out
}

// invalidToken reports whether resp is a 401 whose WWW-Authenticate says
// error="invalid_token" (RFC 6750 §3.1): the token, not the request, was
// refused.
func invalidToken(resp *http.Response) bool {
	if resp.StatusCode != http.StatusUnauthorized {
		return false
	}
	for _, v := range resp.Header.Values("WWW-Authenticate") {
		if strings.Contains(strings.ToLower(v), `error="invalid_token"`) || strings.Contains(strings.ToLower(v), "error=invalid_token") {
			return true
		}
	}
	return false
}

// logPath is the path and the query's keys, never its values: an API key
// or a signature in a query must not reach the log.
func logPath(u *url.URL) string {
	p := u.EscapedPath()
	if u.RawQuery == "" {
		return p
	}
	var keys []string
	for _, kv := range strings.Split(u.RawQuery, "&") {
		k, _, _ := strings.Cut(kv, "=")
		keys = append(keys, k+"=…")
	}
	return p + "?" + strings.Join(keys, "&")
}

func roundDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// statusWriter records the status written, for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
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

// Unwrap lets http.ResponseController flush through the writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// newTransport is the upstream transport of connection c: no redirects
// are followed by a ReverseProxy anyway (it passes them to the client);
// ca_file's certificates are trusted on top of the system's, verification
// skipped only on insecure_skip_verify, as flows/oauth does.
func newTransport(c *flows.Connection, timeout time.Duration) (*http.Transport, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c != nil {
		var err error
		if tc, err = oauth.TLSConfig(c); err != nil {
			return nil, err
		}
	}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		TLSClientConfig:       tc,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
	}, nil
}

// LineLogger is a *log.Logger for http.Server.ErrorLog and
// ReverseProxy.ErrorLog that hands each message, through red, to logf.
func LineLogger(red *redact.Redactor, logf func(string)) *log.Logger {
	return log.New(lineWriter(func(b []byte) {
		logf(red.Redact(strings.TrimRight(string(b), "\n")))
	}), "", 0)
}

type lineWriter func([]byte)

func (w lineWriter) Write(b []byte) (int, error) { w(b); return len(b), nil }

// Prime gets a token into the cache before the first request, so that a
// connection that needs a person is said at start rather than per request.
func (h *Handler) Prime(ctx context.Context) error {
	_, err := h.cache.get(ctx, "")
	return err
}
