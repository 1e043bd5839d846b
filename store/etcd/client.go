package etcd

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// maxResponse caps what is read of one gateway answer. A state is a few
// KiB; a range of every state of a large team stays well under this.
const maxResponse = 4 << 20

// client speaks etcd's v3 JSON gateway (grpc-gateway over HTTP/1.1) with
// net/http alone: no etcd client library and no gRPC in the binary.
type client struct {
	endpoints []string
	http      *http.Client
	timeout   time.Duration
	now       func() time.Time
	user      string
	password  string

	mu    sync.Mutex
	first int    // index of the endpoint that answered last
	token string // etcd auth token, when user is set
	// down holds, per endpoint, the failure of a call that could not reach
	// it within its own timeout (refused, reset, no answer). Until the
	// time it holds, calls skip that endpoint and fail at once with the
	// same failure, so a command making several calls to an endpoint that
	// never answers waits one timeout, not one per call. Then it is tried
	// again: nothing needs a restart once etcd is back.
	down map[string]downMark
}

// downMark is an endpoint's failure and until when it stands for calls.
type downMark struct {
	until time.Time
	err   error
}

// gatewayError is an answer of etcd itself (not of the network): a
// failed request, a wrong password, an expired lease.
type gatewayError struct {
	Status  int
	Message string
}

func (e *gatewayError) Error() string { return e.Message }

// endpointError names the endpoint a call failed at, in one line:
// "etcd https://host:2379: connection refused".
type endpointError struct {
	Endpoint string
	Err      error
}

func (e *endpointError) Error() string { return "etcd " + e.Endpoint + ": " + e.Err.Error() }
func (e *endpointError) Unwrap() error { return e.Err }

// Unreachable reports whether the endpoint could not be reached at all
// (refused, reset, no answer in time), as opposed to an answer of etcd: a
// failed compare, a wrong password. store.ReadThrough serves its copy for
// these alone.
func (e *endpointError) Unreachable() bool {
	var u *unreachableError
	return errors.As(e.Err, &u)
}

// unreachableError is a network failure before any answer.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string { return e.err.Error() }
func (e *unreachableError) Unwrap() error { return e.err }

// netFailure is netCause marked unreachable, unless the caller cancelled.
func netFailure(ctx context.Context, err error) error {
	c := netCause(ctx, err)
	if errors.Is(ctx.Err(), context.Canceled) {
		return c
	}
	return &unreachableError{c}
}

func newClient(opts Options) (*client, error) {
	if len(opts.Endpoints) == 0 {
		return nil, errors.New("etcd: no endpoints")
	}
	eps := make([]string, len(opts.Endpoints))
	for i, e := range opts.Endpoints {
		u, err := url.Parse(e)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("etcd: endpoint %q is not an http:// or https:// URL", e)
		}
		eps[i] = strings.TrimRight(e, "/")
	}
	tr := &http.Transport{
		Proxy:                 nil, // etcd is reached directly, never through HTTP_PROXY
		DialContext:           (&net.Dialer{Timeout: opts.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   opts.Timeout,
		ResponseHeaderTimeout: 0, // lock/lock blocks until the lock is held; ctx bounds every call
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	if opts.CAFile != "" || opts.CertFile != "" || opts.KeyFile != "" {
		cfg, err := tlsConfig(opts)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = cfg
	}
	return &client{
		endpoints: eps,
		http:      &http.Client{Transport: tr},
		timeout:   opts.Timeout,
		now:       opts.Now,
		user:      opts.Username,
		password:  opts.Password,
	}, nil
}

func tlsConfig(opts Options) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("etcd: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("etcd: CA file %s holds no PEM certificate", opts.CAFile)
		}
		cfg.RootCAs = pool
	}
	if (opts.CertFile == "") != (opts.KeyFile == "") {
		return nil, errors.New("etcd: a client certificate needs both CertFile and KeyFile")
	}
	if opts.CertFile != "" {
		// The error of LoadX509KeyPair names files and PEM kinds, never key bytes.
		cert, err := tls.LoadX509KeyPair(opts.CertFile, opts.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("etcd: client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// call posts in to path and decodes the answer into out, within the
// per-call timeout.
func (c *client) call(path string, in, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	return c.send(ctx, true, path, in, out)
}

// callCtx is call bounded by ctx alone, for a call that waits (lock/lock):
// its running out of time says nothing of the endpoint.
func (c *client) callCtx(ctx context.Context, path string, in, out any) error {
	return c.send(ctx, false, path, in, out)
}

// send is call and callCtx; own says ctx's deadline is the per-call
// timeout, so that an endpoint not answering by then is marked down.
func (c *client) send(ctx context.Context, own bool, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("etcd: encoding %s: %w", path, err)
	}
	if own {
		ctx = context.WithValue(ctx, ownDeadline{}, true)
	}
	err = c.post(ctx, path, body, out, true)
	var ge *gatewayError
	if c.user != "" && errors.As(err, &ge) && strings.Contains(ge.Message, "invalid auth token") {
		// The token expired (etcd's simple tokens last 5 minutes idle) or
		// the server restarted: sign in once more and repeat the call.
		c.mu.Lock()
		c.token = ""
		c.mu.Unlock()
		err = c.post(ctx, path, body, out, true)
	}
	return err
}

// post sends body to path at each endpoint in turn, starting with the one
// that answered last, and moves on only when the connection fails: an
// answer of etcd, even an error, ends the call.
func (c *client) post(ctx context.Context, path string, body []byte, out any, auth bool) error {
	var token string
	if auth && c.user != "" {
		var err error
		if token, err = c.authToken(ctx); err != nil {
			return err
		}
	}
	c.mu.Lock()
	first := c.first
	c.mu.Unlock()
	var last error
	for i := range c.endpoints {
		n := (first + i) % len(c.endpoints)
		ep := c.endpoints[n]
		if err := c.isDown(ep); err != nil {
			last = &endpointError{Endpoint: ep, Err: err}
			continue
		}
		err := c.postTo(ctx, ep, path, body, token, out)
		c.markDown(ctx, ep, err)
		var ge *gatewayError
		if err == nil || errors.As(err, &ge) {
			c.mu.Lock()
			c.first = n
			c.mu.Unlock()
		}
		if err == nil {
			return nil
		}
		last = &endpointError{Endpoint: ep, Err: err}
		if errors.As(err, &ge) || ctx.Err() != nil {
			return last
		}
	}
	return last
}

// ownDeadline marks a ctx whose deadline is the per-call timeout.
type ownDeadline struct{}

// isDown returns the failure ep is marked down with, or nil.
func (c *client) isDown(ep string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.down[ep]; ok && c.now().Before(d.until) {
		return d.err
	}
	return nil
}

// markDown marks ep down for one timeout after it gave no answer within
// the per-call timeout (not a lock wait, not the caller giving up): the
// failure that costs a wait. A refused or reset connection costs none and
// is tried again at once. Any answer clears the mark.
func (c *client) markDown(ctx context.Context, ep string, err error) {
	var u *unreachableError
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case errors.As(err, &u) && errors.Is(err, context.DeadlineExceeded) && ctx.Value(ownDeadline{}) != nil:
		if c.down == nil {
			c.down = map[string]downMark{}
		}
		c.down[ep] = downMark{until: c.now().Add(c.timeout), err: err}
	case err == nil || !errors.As(err, &u):
		delete(c.down, ep)
	}
}

func (c *client) postTo(ctx context.Context, ep, path string, body []byte, token string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	if path == "/v3/kv/range" {
		// A read may be sent again on a fresh connection when a kept-alive
		// one turns out closed before any answer (net/http replays a POST
		// marked so; a nil value is not sent). Writes are not: a txn
		// applied twice is not the txn asked for.
		req.Header["X-Idempotency-Key"] = nil
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return netFailure(ctx, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return netFailure(ctx, err)
	}
	if len(b) > maxResponse {
		return fmt.Errorf("%s: answer larger than %d bytes", path, maxResponse)
	}
	if resp.StatusCode != http.StatusOK {
		return answerError(resp.StatusCode, b)
	}
	// A streamed answer (lease/keepalive) is {"result":…} or {"error":…}.
	var stream struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &stream) == nil {
		if stream.Error != nil {
			return &gatewayError{Status: resp.StatusCode, Message: oneLine(stream.Error.Message)}
		}
		if len(stream.Result) > 0 {
			b = stream.Result
		}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s: unreadable answer (%d bytes)", path, len(b))
	}
	return nil
}

// answerError reads grpc-gateway's error body: {"error": "...", "message":
// "...", "code": N}.
func answerError(status int, b []byte) error {
	var e struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(b, &e)
	msg := e.Message
	if msg == "" {
		msg = e.Error
	}
	if msg == "" {
		msg = fmt.Sprintf("HTTP %d", status)
	}
	return &gatewayError{Status: status, Message: oneLine(msg)}
}

// errNoAnswer is a call that got no answer before its deadline; it is
// context.DeadlineExceeded to errors.Is.
var errNoAnswer error = noAnswer{}

type noAnswer struct{}

func (noAnswer) Error() string        { return "no answer in time" }
func (noAnswer) Is(target error) bool { return target == context.DeadlineExceeded }

// netCause drops net/http's "Post \"URL\":" preamble, since endpointError
// names the endpoint already, and says "timed out" for a deadline.
func netCause(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return errNoAnswer
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return fmt.Errorf("%s: %w", oe.Op, oe.Err)
	}
	return err
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// authToken returns the current auth token, signing in first when there
// is none. The password travels only in the body of authenticate.
func (c *client) authToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	tok := c.token
	c.mu.Unlock()
	if tok != "" {
		return tok, nil
	}
	body, err := json.Marshal(struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}{c.user, c.password})
	if err != nil {
		return "", err
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := c.post(ctx, "/v3/auth/authenticate", body, &out, false); err != nil {
		var ee *endpointError
		var ge *gatewayError
		if errors.As(err, &ee) && errors.As(err, &ge) {
			return "", &endpointError{Endpoint: ee.Endpoint, Err: fmt.Errorf("signing in as %s: %s", c.user, ge.Message)}
		}
		return "", err
	}
	if out.Token == "" {
		return "", fmt.Errorf("etcd: signing in as %s: no token in the answer", c.user)
	}
	c.mu.Lock()
	c.token = out.Token
	c.mu.Unlock()
	return out.Token, nil
}
