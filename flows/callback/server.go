// Package callback receives an OAuth redirect on a loopback address (RFC 8252 §7.3).
package callback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Mode says what the redirect of a browser sign-in carries, and where.
type Mode int

const (
	// Code is the authorization code grant (response_type=code): code and
	// state come in the query (RFC 6749 §4.1.2).
	Code Mode = iota
	// Fragment is the implicit grant (response_type=token): the token and
	// state come in the fragment (RFC 6749 §4.2.2), which the browser keeps
	// to itself, so the listener serves a page whose script posts it back.
	Fragment
)

// ErrAccessDenied means the person refused the authorization request: the
// redirect carried error=access_denied with this sign-in's state (RFC 6749
// §4.1.2.1).
var ErrAccessDenied = errors.New("you declined access")

// errClosed ends Wait when the listener was closed under it. It wraps
// context.Canceled, so callers treat it as any cancellation.
var errClosed = fmt.Errorf("sign-in listener closed: %w", context.Canceled)

// A redirect is a single small request, so the listener's limits are tight:
// a slow or endless client is cut off instead of holding the sign-in (slow
// loris), and the browser's answer never needs more than a few KiB.
const (
	maxHeaderBytes = 16 << 10
	// maxBody bounds the relayed fragment of the implicit grant; a JWT
	// access token with its extras stays well under it.
	maxBody = 16 << 10
)

// limits are the http.Server timeouts; tests shorten them.
type limits struct {
	readHeader, read, write, idle time.Duration
	// grace lets the answer to the accepted request reach the browser
	// before the listener goes; after it, connections are cut.
	grace time.Duration
}

var defaultLimits = limits{
	readHeader: 5 * time.Second,
	read:       10 * time.Second,
	write:      10 * time.Second,
	idle:       5 * time.Second,
	grace:      time.Second,
}

// Server is the loopback listener of one browser sign-in (RFC 8252 §7.3). It
// accepts exactly one redirect that carries this sign-in's state, from the
// browser or pasted by the person, and then stops listening.
type Server struct {
	redirect *url.URL     // the redirect URI with the real port
	bound    *net.TCPAddr // the address listened on
	handler  *handler
	srv      *http.Server
	grace    time.Duration

	closed    chan struct{} // closed by Close
	serveDone chan struct{} // closed when Serve has returned
	closeOnce sync.Once
}

// Listen starts the loopback listener of a browser sign-in whose
// authorization request carries state. redirectURI is the connection's
// configured redirect URI, checked with ParseRedirect; empty means
// http://127.0.0.1:<ephemeral port>/callback (RFC 8252 §7.3).
//
// The browser may send localhost to either loopback address, whichever it
// tries first, so localhost is listened on at both 127.0.0.1 and ::1 on the
// same port, and nothing else on the machine can take the redirect at either
// (RFC 8252 §8.3); only a machine with no IPv6 loopback at all gets 127.0.0.1
// alone. A redirect URI without a port, or with port 0, gets an ephemeral
// port, which RFC 8252 §7.3 asks authorization servers to allow. An address
// that another program holds is reported at once, naming it, rather than at
// the end of a sign-in the browser cannot finish. The errors never quote the
// redirect URI; the caller adds where it came from.
//
// iss is the authorization server's issuer for the mix-up defence of RFC
// 9207: a redirect with the right state but another iss (or none, when
// iss.Required) ends the sign-in with an *IssuerError; the zero Issuer checks
// nothing.
func Listen(redirectURI, state string, mode Mode, iss Issuer) (*Server, error) {
	return listen(redirectURI, state, mode, iss, defaultLimits, io.Discard)
}

// listen is Listen with the server's limits and the writer its log goes to.
// Nothing the listener logs reaches the standard logger, the terminal the
// dashboard draws on: tokentop discards it, and tests read it.
func listen(redirectURI, state string, mode Mode, iss Issuer, lim limits, logTo io.Writer) (*Server, error) {
	if state == "" {
		return nil, errors.New("sign-in listener needs a state")
	}
	u, err := ParseRedirect(redirectURI)
	if err != nil {
		return nil, fmt.Errorf("redirect_uri %w", err)
	}
	lns, err := listenAll(bindAddrs(u))
	if err != nil {
		return nil, err
	}
	bound := lns[0].Addr().(*net.TCPAddr)
	u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(bound.Port))

	// The server's own complaints (bad requests, timeouts) and the
	// handler's refusals share one logger; neither ever quotes a request.
	logger := log.New(logTo, "sign-in listener: ", 0)
	s := &Server{
		redirect:  u,
		bound:     bound,
		handler:   newHandler(u.Path, state, mode, iss),
		grace:     lim.grace,
		closed:    make(chan struct{}),
		serveDone: make(chan struct{}),
	}
	s.handler.log = logger
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: lim.readHeader,
		ReadTimeout:       lim.read,
		WriteTimeout:      lim.write,
		IdleTimeout:       lim.idle,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          logger,
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

// listenAttempts is how many ephemeral ports localhost tries: the one
// 127.0.0.1 got may be taken on ::1.
const listenAttempts = 5

// listenAll listens on the addresses of bindAddrs. With two (localhost) the
// first picks the port, ephemeral or not, and the second must get the same
// one, unless the machine has no such address at all.
func listenAll(binds []string) ([]net.Listener, error) {
	for attempt := 1; ; attempt++ {
		ln, err := net.Listen("tcp", binds[0])
		if err != nil {
			return nil, listenError(binds[0], err)
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
		if want == "0" && errors.Is(err, syscall.EADDRINUSE) && attempt < listenAttempts {
			continue
		}
		return nil, listenError(addr, err)
	}
}

// listenError names the address that could not be listened on.
func listenError(addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%s is in use by another program", addr)
	}
	return fmt.Errorf("listening on %s: %w", addr, err)
}

// RedirectURI returns the redirect URI to put in the authorization request,
// with the port actually bound.
func (s *Server) RedirectURI() string { return s.redirect.String() }

// Wait blocks until one redirect with this sign-in's state is accepted and
// returns its parameters: for Code the query (code, state and what else the
// provider added, such as Aha!'s account_subdomain); for Fragment the
// fragment (access_token, token_type, expires_in, scope, state, …). Every
// value is single and free of control characters; the caller still checks
// the values' meaning (token_type, expires_in).
//
// A redirect with error=access_denied ends it with ErrAccessDenied, any other
// error=… with "authorization failed: <code>: <description>", one whose iss
// fails the issuer check with an *IssuerError (and no values). It also ends
// when ctx is done (the caller's login timeout) or Close is called, with an
// error that wraps context.Canceled or context.DeadlineExceeded. In every case
// the listener is closed when Wait returns.
func (s *Server) Wait(ctx context.Context) (url.Values, error) {
	defer s.Close()
	// A result that is already there wins over a ctx that ended at the
	// same time.
	select {
	case r := <-s.handler.results:
		return r.vals, r.err
	default:
	}
	select {
	case r := <-s.handler.results:
		return r.vals, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the browser: %w", context.Cause(ctx))
	case <-s.closed:
		return nil, errClosed
	}
}

// Paste hands over a redirect URL the person copied from the address bar,
// for when the browser runs where the loopback listener cannot be reached.
// The URL must point at this listener's redirect URI (scheme, host, port and
// path) and passes the same checks as a request: for Fragment the parameters
// come from the fragment (or, like a request, from the query). A URL that
// does not belong to this sign-in returns an error and the sign-in goes on
// waiting; a redirect that ends it (success, error=…) ends Wait too, and
// Paste returns the same error Wait does.
func (s *Server) Paste(raw string) error {
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
		u.Port() != want.Port() || pathOf(u) != want.Path {
		return fmt.Errorf("the pasted URL is not this sign-in's redirect (it should start with %s)", s.RedirectURI())
	}
	rawParams := u.RawQuery
	if s.handler.mode == Fragment && u.Fragment != "" {
		rawParams = u.EscapedFragment()
	}
	if rawParams == "" {
		return errors.New("the pasted URL has no sign-in parameters: copy the whole address")
	}
	v := s.handler.consider(parseParams(rawParams))
	if v.kind.final() {
		return v.err
	}
	return v.kind.pasteError()
}

// Close stops the listener: the answer in flight gets a short grace, then
// every connection is cut. It is safe to call more than once and from any
// goroutine; a Wait in progress ends with a cancellation error.
func (s *Server) Close() error {
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
