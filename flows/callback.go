package flows

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"tokentop/flows/redact"
	"unicode"
	"unicode/utf8"
)

// callbackMode says where the redirect of a browser sign-in carries its
// result.
type callbackMode int

const (
	// callbackCode is the authorization code grant (response_type=code):
	// code and state come in the query (RFC 6749 §4.1.2).
	callbackCode callbackMode = iota
	// callbackToken is the implicit grant (response_type=token): the token
	// and state come in the fragment (RFC 6749 §4.2.2), which the browser
	// keeps to itself, so a relay page posts it back (see cbRelayScript).
	callbackToken
)

// ErrAccessDenied means the person refused the authorization request: the
// redirect carried error=access_denied with this sign-in's state (RFC 6749
// §4.1.2.1).
var ErrAccessDenied = errors.New("you declined access")

// errCallbackClosed ends Wait when the listener was closed under it. It
// wraps context.Canceled, so callers treat it as any cancellation.
var errCallbackClosed = fmt.Errorf("sign-in listener closed: %w", context.Canceled)

// The listener's limits. A redirect is a single small request, so they are
// tight: a slow or endless client is cut off instead of holding the sign-in
// (slow loris), and the browser's answer never needs more than a few KiB.
const (
	cbDefaultPath       = "/callback"
	cbReadHeaderTimeout = 5 * time.Second
	cbReadTimeout       = 10 * time.Second
	cbWriteTimeout      = 10 * time.Second
	cbIdleTimeout       = 5 * time.Second
	cbMaxHeaderBytes    = 16 << 10
	// cbMaxBody bounds the relayed fragment of the implicit grant; a JWT
	// access token with its extras stays well under it.
	cbMaxBody = 16 << 10
	// cbShutdownGrace lets the answer to the accepted request reach the
	// browser before the listener goes; after it, connections are cut.
	cbShutdownGrace = time.Second
)

// cbLimits are the http.Server timeouts; tests shorten them.
type cbLimits struct {
	readHeader, read, write, idle, grace time.Duration
}

var cbDefaultLimits = cbLimits{
	readHeader: cbReadHeaderTimeout,
	read:       cbReadTimeout,
	write:      cbWriteTimeout,
	idle:       cbIdleTimeout,
	grace:      cbShutdownGrace,
}

// callbackServer is the loopback listener of one browser sign-in (RFC 8252
// §7.3). It accepts exactly one redirect that carries this sign-in's state,
// from the browser or pasted by the person, and then stops listening.
type callbackServer struct {
	redirect *url.URL     // the redirect URI with the real port
	bound    *net.TCPAddr // the address listened on
	handler  *callbackHandler
	srv      *http.Server
	grace    time.Duration

	closed    chan struct{} // closed by Close
	serveDone chan struct{} // closed when Serve has returned
	closeOnce sync.Once
}

// listenCallback starts the loopback listener of a browser sign-in for the
// connection conn. redirectURI is the connection's configured redirect URI;
// empty means http://127.0.0.1:<ephemeral port>/callback (RFC 8252 §7.3). It
// must name a loopback host over http: 127.0.0.1, [::1], or localhost. The
// browser may send localhost to either loopback address, whichever it tries
// first, so localhost is listened on at both 127.0.0.1 and ::1 on the same
// port, and nothing else on the machine can take the redirect at either
// (RFC 8252 §8.3); only a machine with no IPv6 loopback at all gets
// 127.0.0.1 alone. A redirect URI without a port, or with port 0, gets an
// ephemeral port, which RFC 8252 §7.3 asks authorization servers to allow.
// An address that another program holds is reported at once, naming it and
// the config key, rather than at the end of a sign-in the browser cannot
// finish.
func listenCallback(conn, redirectURI, state string, mode callbackMode) (*callbackServer, error) {
	return listenCallbackWith(conn, redirectURI, state, mode, cbDefaultLimits)
}

func listenCallbackWith(conn, redirectURI, state string, mode callbackMode, lim cbLimits) (*callbackServer, error) {
	if state == "" {
		return nil, errors.New("sign-in listener needs a state")
	}
	u, binds, err := cbParseRedirect(redirectURI)
	if err != nil {
		return nil, fmt.Errorf("redirect_uri %w (connections.%s.redirect_uri)", err, conn)
	}
	lns, err := cbListen(binds)
	if err != nil {
		return nil, fmt.Errorf("%w (connections.%s.redirect_uri)", err, conn)
	}
	bound := lns[0].Addr().(*net.TCPAddr)
	u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(bound.Port))

	s := &callbackServer{
		redirect:  u,
		bound:     bound,
		handler:   newCallbackHandler(u.Path, state, mode),
		grace:     lim.grace,
		closed:    make(chan struct{}),
		serveDone: make(chan struct{}),
	}
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: lim.readHeader,
		ReadTimeout:       lim.read,
		WriteTimeout:      lim.write,
		IdleTimeout:       lim.idle,
		MaxHeaderBytes:    cbMaxHeaderBytes,
		// The server's own complaints (bad requests, timeouts) must not
		// reach the terminal the dashboard draws on, and they could quote
		// a request line that holds a code.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	// One request per connection: nothing lingers after the answer, and
	// Close does not wait on a browser's idle keep-alive connection.
	s.srv.SetKeepAlivesEnabled(false)
	var serving sync.WaitGroup
	for _, ln := range lns {
		serving.Go(func() { _ = s.srv.Serve(ln) })
	}
	go func() {
		serving.Wait()
		close(s.serveDone)
	}()
	return s, nil
}

// cbListenAttempts is how many ephemeral ports localhost tries: the one
// 127.0.0.1 got may be taken on ::1.
const cbListenAttempts = 5

// cbListen listens on the addresses of cbParseRedirect. With two (localhost)
// the first picks the port, ephemeral or not, and the second must get the
// same one, unless the machine has no such address at all.
func cbListen(binds []string) ([]net.Listener, error) {
	for attempt := 1; ; attempt++ {
		ln, err := net.Listen("tcp", binds[0])
		if err != nil {
			return nil, cbListenError(binds[0], err)
		}
		if len(binds) == 1 {
			return []net.Listener{ln}, nil
		}
		host, want, _ := net.SplitHostPort(binds[1])
		addr := net.JoinHostPort(host, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
		second, err := net.Listen("tcp", addr)
		switch {
		case err == nil:
			return []net.Listener{ln, second}, nil
		case errors.Is(err, syscall.EADDRNOTAVAIL), errors.Is(err, syscall.EAFNOSUPPORT):
			// No IPv6 loopback here: no browser can try it either.
			return []net.Listener{ln}, nil
		}
		ln.Close()
		if want == "0" && errors.Is(err, syscall.EADDRINUSE) && attempt < cbListenAttempts {
			continue
		}
		return nil, cbListenError(addr, err)
	}
}

// cbListenError names the address that could not be listened on.
func cbListenError(addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%s is in use by another program", addr)
	}
	return fmt.Errorf("listening on %s: %w", addr, err)
}

// cbParseRedirect checks a redirect URI and returns it, with the default
// filled in, and the addresses to listen on: one, or for localhost both
// loopback addresses (see listenCallback). It is the one check of a
// redirect URI: sign-in uses it, and so does loading the configuration
// (cfgRedirectProblem), so that config check accepts exactly what a
// sign-in can listen on. Its messages complete "redirect_uri …" and never
// repeat the URI.
func cbParseRedirect(raw string) (*url.URL, []string, error) {
	if raw == "" {
		return &url.URL{Scheme: "http", Host: "127.0.0.1:0", Path: cbDefaultPath}, []string{"127.0.0.1:0"}, nil
	}
	if strings.ContainsAny(raw, " \t\r\n\x00") {
		return nil, nil, errors.New("must not contain spaces or control characters")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, nil, errors.New("is not a valid URL")
	}
	if u.User != nil {
		return nil, nil, errors.New("must not contain a user name or password")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return nil, nil, errors.New("must not contain a fragment (#…) (RFC 6749 §3.1.2)")
	}
	if u.Scheme != "http" || u.Host == "" {
		return nil, nil, errors.New("must be an http:// loopback URL such as http://127.0.0.1:8766/callback (RFC 8252 §7.3)")
	}
	if u.RawQuery != "" || u.ForceQuery {
		// The redirect's query is the authorization response's.
		return nil, nil, errors.New("must not have a query")
	}
	var ips []string
	switch h := strings.ToLower(u.Hostname()); {
	case h == "127.0.0.1":
		ips = []string{"127.0.0.1"}
	case h == "localhost":
		// RFC 8252 §8.3: the browser may try either address of
		// localhost; both are taken, so no other program gets it.
		ips = []string{"127.0.0.1", "::1"}
	case h == "::1" && strings.HasPrefix(u.Host, "["):
		ips = []string{"::1"}
	default:
		return nil, nil, errors.New("must be on 127.0.0.1, [::1] or localhost (RFC 8252 §7.3)")
	}
	port := u.Port()
	if port == "" {
		port = "0"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return nil, nil, errors.New("has an invalid port (0 to 65535)")
	}
	if u.Path == "" {
		u.Path = "/"
	}
	u.RawPath = ""
	binds := make([]string, len(ips))
	for i, ip := range ips {
		binds[i] = net.JoinHostPort(ip, port)
	}
	return u, binds, nil
}

// RedirectURI returns the redirect URI to put in the authorization request,
// with the port actually bound.
func (s *callbackServer) RedirectURI() string { return s.redirect.String() }

// Wait blocks until one redirect with this sign-in's state is accepted and
// returns its parameters: for callbackCode the query (code, state and what
// else the provider added, such as Aha!'s account_subdomain); for
// callbackToken the fragment (access_token, token_type, expires_in, scope,
// state, …). Every value is single and free of control characters; the caller
// still checks the values' meaning (token_type, expires_in).
//
// A redirect with error=access_denied ends it with ErrAccessDenied, any other
// error=… with "authorization failed: <code>: <description>". It also ends
// when ctx is done (the caller's login timeout) or Close is called, with an
// error that wraps context.Canceled or context.DeadlineExceeded. In every case
// the listener is closed when Wait returns.
func (s *callbackServer) Wait(ctx context.Context) (url.Values, error) {
	defer s.Close()
	// A result that is already there wins over a ctx that ended at the
	// same time.
	select {
	case r := <-s.handler.result:
		return r.vals, r.err
	default:
	}
	select {
	case r := <-s.handler.result:
		return r.vals, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the browser: %w", context.Cause(ctx))
	case <-s.closed:
		return nil, errCallbackClosed
	}
}

// Paste hands over a redirect URL the person copied from the address bar,
// for when the browser runs where the loopback listener cannot be reached.
// The URL must point at this listener's redirect URI (scheme, host, port and
// path) and passes the same checks as a request: for callbackToken the
// parameters come from the fragment (or, like a request, from the query). A
// URL that does not belong to this sign-in returns an error and the sign-in
// goes on waiting; a redirect that ends it (success, error=…) ends Wait too,
// and Paste returns the same error Wait does.
func (s *callbackServer) Paste(raw string) error {
	select {
	case <-s.closed:
		return errors.New("this sign-in is no longer waiting")
	default:
	}
	raw = strings.TrimSpace(raw)
	// The URL holds a code or a token: errors never quote it.
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return errors.New("the pasted text is not a URL")
	}
	want := s.redirect
	if !strings.EqualFold(u.Scheme, want.Scheme) || !strings.EqualFold(u.Hostname(), want.Hostname()) ||
		u.Port() != want.Port() || cbPathOf(u) != want.Path {
		return fmt.Errorf("the pasted URL is not this sign-in's redirect (it should start with %s)", s.RedirectURI())
	}
	rawParams := u.RawQuery
	if s.handler.mode == callbackToken && u.Fragment != "" {
		rawParams = u.EscapedFragment()
	}
	if rawParams == "" {
		return errors.New("the pasted URL has no sign-in parameters: copy the whole address")
	}
	v := s.handler.consider(cbParseParams(rawParams))
	if v.kind.final() {
		return v.err
	}
	return v.kind.pasteError()
}

func cbPathOf(u *url.URL) string {
	if u.Path == "" {
		return "/"
	}
	return u.Path
}

// Close stops the listener: the answer in flight gets a short grace, then
// every connection is cut. It is safe to call more than once and from any
// goroutine; a Wait in progress ends with a cancellation error.
func (s *callbackServer) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		ctx, cancel := context.WithTimeout(context.Background(), s.grace)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			// A connection would not finish in time (a slow client):
			// cut it.
			_ = s.srv.Close()
		}
		<-s.serveDone
	})
	return nil
}

// callbackHandler answers the browser's requests to the redirect URI. It is
// an http.Handler of its own so that it can be tested and fuzzed without a
// listener.
type callbackHandler struct {
	path  string
	state string
	mode  callbackMode

	mu   sync.Mutex
	done bool // a redirect ended the sign-in: the state is spent
	// result receives the one redirect that ends the sign-in.
	result chan cbResult
}

type cbResult struct {
	vals url.Values
	err  error
}

func newCallbackHandler(path, state string, mode callbackMode) *callbackHandler {
	return &callbackHandler{path: path, state: state, mode: mode, result: make(chan cbResult, 1)}
}

// cbKind is what one redirect amounts to.
type cbKind int

const (
	cbAccepted  cbKind = iota // right state and a code or token: the sign-in succeeded
	cbDenied                  // error=access_denied
	cbFailed                  // another error=…
	cbEmpty                   // right state but no code or token
	cbMismatch                // state missing or wrong: not this sign-in's redirect
	cbMalformed               // repeated parameters, control characters, bad encoding
	cbUsed                    // right state, but a redirect already ended the sign-in
)

// final reports whether the redirect ends the sign-in. Only a redirect that
// carries the state can: one stray or forged request cannot (RFC 6749 §10.12).
func (k cbKind) final() bool { return k <= cbEmpty }

// cbMessages are the sentences the browser shows. None of them quotes the
// request.
var cbMessages = map[cbKind]string{
	cbAccepted:  "Signed in. You can close this tab and return to tokentop.",
	cbDenied:    "Sign-in failed: you declined access.",
	cbFailed:    "Sign-in failed: the provider reported an error.",
	cbEmpty:     "Sign-in failed: the provider's answer holds no code or token.",
	cbMismatch:  "This sign-in link is not valid (state mismatch).",
	cbMalformed: "This sign-in link is not valid (malformed parameters).",
	cbUsed:      "This sign-in link was already used.",
}

func (k cbKind) pasteError() error {
	switch k {
	case cbMismatch:
		return errors.New("the pasted URL belongs to another sign-in (state mismatch)")
	case cbMalformed:
		return errors.New("the pasted URL has malformed parameters")
	case cbUsed:
		return errors.New("this sign-in already finished")
	}
	return nil
}

// cbVerdict is the listener's decision on one redirect.
type cbVerdict struct {
	kind   cbKind
	detail string // the provider's error, made safe; empty otherwise
	err    error  // what Wait returns when kind is final
}

var (
	errCbMalformed = errors.New("malformed parameters")
	errCbNoCode    = errors.New("authorization failed: the redirect has no code")
	errCbNoToken   = errors.New("authorization failed: the redirect has no access token")
)

// cbParseParams parses a query or a relayed fragment strictly: a parameter
// given twice is refused rather than guessed at (RFC 6749 §3.1: parameters
// must not be included more than once), and so is a name or value with a
// control character, a NUL or invalid UTF-8, which no provider sends and
// which could confuse what the values are later written to.
func cbParseParams(raw string) (url.Values, error) {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return nil, errCbMalformed
	}
	for k, vs := range vals {
		if len(vs) != 1 || !cbClean(k) || !cbClean(vs[0]) {
			return nil, errCbMalformed
		}
	}
	return vals, nil
}

func cbClean(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// consider decides on one redirect's parameters and, when they end the
// sign-in, hands the result to Wait. The state is single-use: after one
// redirect ended the sign-in, a replay is refused.
func (h *callbackHandler) consider(vals url.Values, parseErr error) cbVerdict {
	if parseErr != nil {
		return cbVerdict{kind: cbMalformed}
	}
	// Constant time: the answer must not tell a guesser how much of the
	// state was right.
	if got := vals.Get("state"); got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(h.state)) != 1 {
		return cbVerdict{kind: cbMismatch}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done {
		return cbVerdict{kind: cbUsed}
	}
	v := cbJudge(vals, h.mode)
	h.done = true
	res := cbResult{err: v.err}
	if v.kind == cbAccepted {
		res.vals = vals
	}
	select {
	case h.result <- res: // done makes this the only send
	default:
	}
	return v
}

// cbJudge reads a redirect whose state is right.
func cbJudge(vals url.Values, mode callbackMode) cbVerdict {
	if code, ok := vals["error"]; ok {
		// RFC 6749 §4.1.2.1 and §4.2.2.1.
		if code[0] == "access_denied" {
			return cbVerdict{kind: cbDenied, err: ErrAccessDenied}
		}
		detail := redact.Sanitize(code[0])
		if desc := redact.Sanitize(vals.Get("error_description")); desc != "" {
			detail += ": " + desc
		}
		return cbVerdict{kind: cbFailed, detail: detail, err: errors.New("authorization failed: " + detail)}
	}
	if mode == callbackToken {
		if vals.Get("access_token") == "" {
			return cbVerdict{kind: cbEmpty, err: errCbNoToken}
		}
		return cbVerdict{kind: cbAccepted}
	}
	if vals.Get("code") == "" {
		return cbVerdict{kind: cbEmpty, err: errCbNoCode}
	}
	return cbVerdict{kind: cbAccepted}
}

func (v cbVerdict) status() int {
	if v.kind == cbAccepted {
		return http.StatusOK
	}
	return http.StatusBadRequest
}

// ServeHTTP serves only the redirect URI's path. In code mode that is
// GET ?code=…&state=…. In token mode a GET without the token serves the relay
// page, whose script POSTs the fragment to the same path as an
// application/x-www-form-urlencoded body; the answer is plain text the page
// shows.
//
// In token mode a GET whose query carries access_token or error is judged
// like a fragment: RFC 6749 §4.2.2 puts the token in the fragment, but Aha!'s
// document only says the redirect "will include a parameter named
// access_token". Accepting it costs nothing: the same state check applies,
// nothing is logged, and the page never shows it.
//
// It never redirects, and no answer quotes the request.
func (h *callbackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cbSetSecurityHeaders(w.Header())
	// DNS rebinding: a page of another site whose name now resolves to
	// 127.0.0.1 sends its own Host.
	if !cbLoopbackHost(r.Host) {
		cbWritePage(w, http.StatusMisdirectedRequest, cbPageData{Message: "Not found."})
		return
	}
	if r.URL.Path != h.path {
		cbWritePage(w, http.StatusNotFound, cbPageData{Message: "Not found."})
		return
	}
	switch {
	case r.Method == http.MethodGet && h.mode == callbackCode:
		h.serveRedirect(w, r.URL.RawQuery)
	case r.Method == http.MethodGet:
		vals, err := cbParseParams(r.URL.RawQuery)
		if err != nil || vals.Has("access_token") || vals.Has("error") {
			h.serveRedirect(w, r.URL.RawQuery)
			return
		}
		cbWritePage(w, http.StatusOK, cbPageData{Message: "Finishing sign-in…", Relay: true})
	case r.Method == http.MethodPost && h.mode == callbackToken:
		h.serveRelay(w, r)
	default:
		if h.mode == callbackToken {
			w.Header().Set("Allow", "GET, POST")
		} else {
			w.Header().Set("Allow", "GET")
		}
		cbWritePage(w, http.StatusMethodNotAllowed, cbPageData{Message: "Method not allowed."})
	}
}

// serveRedirect judges a redirect that carries its parameters in the query.
func (h *callbackHandler) serveRedirect(w http.ResponseWriter, rawQuery string) {
	v := h.consider(cbParseParams(rawQuery))
	cbWritePage(w, v.status(), cbPageData{Message: cbMessages[v.kind], Detail: v.detail})
}

// serveRelay judges the fragment the relay page posts.
func (h *callbackHandler) serveRelay(w http.ResponseWriter, r *http.Request) {
	// Only the relay page of this listener posts here: a page of another
	// origin (which would still need the state) is turned away.
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Scheme != "http" || !cbLoopbackHost(u.Host) {
			cbWriteText(w, http.StatusForbidden, "Forbidden.")
			return
		}
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		cbWriteText(w, http.StatusUnsupportedMediaType, "Unsupported content type.")
		return
	}
	if r.URL.RawQuery != "" {
		cbWriteText(w, http.StatusBadRequest, cbMessages[cbMalformed])
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, cbMaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			cbWriteText(w, http.StatusRequestEntityTooLarge, "Request too large.")
			return
		}
		cbWriteText(w, http.StatusBadRequest, cbMessages[cbMalformed])
		return
	}
	v := h.consider(cbParseParams(string(body)))
	cbWriteText(w, v.status(), cbMessages[v.kind])
}

// cbLoopbackHost reports whether a Host header (or host:port) names this
// machine's loopback: localhost, 127.0.0.0/8 or ::1.
func cbLoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	} else {
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	}
	return IsLoopbackHost(host)
}
