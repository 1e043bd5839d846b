package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// BeginLogin starts a sign-in of connection name and returns what the person
// must do. The caller presents it, then calls Pending.Wait, which saves the
// token. ctx bounds the preparation only (OIDC discovery, the device
// authorization request); Wait takes its own.
func (s *Service) BeginLogin(ctx context.Context, name string) (Pending, error) {
	c, err := s.conn(name)
	if err != nil {
		return nil, err
	}
	e, err := s.endpoint(c)
	if err != nil {
		return nil, &ConnError{name, err}
	}
	if err := e.Discover(ctx); err != nil {
		return nil, &ConnError{name, err}
	}
	switch c.Flow {
	case ClientCredentials, APIKey, TokenExchange:
		return s.directLogin(c, func(ctx context.Context) (*Token, error) {
			return s.obtain(ctx, c, State{})
		}), nil
	case Password:
		if !c.Password.IsZero() {
			return s.directLogin(c, func(ctx context.Context) (*Token, error) {
				return s.obtain(ctx, c, State{})
			}), nil
		}
		return &passwordLogin{s: s, c: c, e: e, pw: make(chan string, 1)}, nil
	case AuthorizationCode, Implicit:
		return s.browserLogin(c, e)
	case DeviceCode:
		da, err := e.DeviceAuth(ctx)
		if err != nil {
			return nil, &ConnError{name, err}
		}
		return &deviceLogin{s: s, c: c, e: e, da: da}, nil
	}
	return nil, &ConnError{name, fmt.Errorf("flow %q cannot sign in", c.Flow)}
}

// SeedRefreshToken signs connection name in with a refresh token obtained
// elsewhere (Aerion: one issued by a web SSO login): it is exchanged at once,
// and stored only if the provider accepts it.
func (s *Service) SeedRefreshToken(ctx context.Context, name, refreshToken string) (*Token, error) {
	c, err := s.conn(name)
	if err != nil {
		return nil, err
	}
	refreshToken = strings.TrimSpace(refreshToken)
	if refreshToken == "" {
		return nil, &ConnError{name, errors.New("the refresh token is empty")}
	}
	s.red.Add(refreshToken)
	e, err := s.endpoint(c)
	if err != nil {
		return nil, &ConnError{name, err}
	}
	unlock, err := s.lock(ctx, name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// The provider may rotate it: prove the state can take the new one.
	if err := s.markInFlight(name, nil); err != nil {
		return nil, &ConnError{name, &NotWritableError{Err: err}}
	}
	tok, err := e.Refresh(ctx, refreshToken)
	if err != nil {
		if isCancel(err) {
			s.clearInFlight(name)
			return nil, &ConnError{name, err}
		}
		s.recordFailure(name, err)
		return nil, &ConnError{name, err}
	}
	return s.saveRetrying(c, tok, State{}, EventSignIn, "signed in with a refresh token")
}

// finishLogin saves the token of a completed sign-in, or records its failure.
func (s *Service) finishLogin(c *Connection, tok *Token, err error, how string) (*Token, error) {
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			s.recordFailure(c.Name, err)
		}
		return nil, &ConnError{c.Name, err}
	}
	return s.saveRetrying(c, tok, State{}, EventSignIn, how)
}

// withLoginTimeout bounds a sign-in by the connection's login_timeout.
func withLoginTimeout(ctx context.Context, c *Connection) (context.Context, context.CancelFunc) {
	if c.LoginTimeout > 0 {
		return context.WithTimeoutCause(ctx, c.LoginTimeout, fmt.Errorf("sign-in timed out after %s", c.LoginTimeout))
	}
	return context.WithCancel(ctx)
}

// loginBase is what every kind of sign-in shares: its cancellation.
type loginBase struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	closed bool
}

// start derives Wait's context and remembers how to cancel it.
func (b *loginBase) start(ctx context.Context, c *Connection) (context.Context, context.CancelFunc, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, nil, fmt.Errorf("sign-in cancelled: %w", context.Canceled)
	}
	ctx, cancel := withLoginTimeout(ctx, c)
	b.cancel = cancel
	return ctx, cancel, nil
}

func (b *loginBase) Cancel() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	if b.cancel != nil {
		b.cancel()
	}
}

// ctxErr explains why a sign-in context ended.
func ctxErr(ctx context.Context) error {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
		return cause
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return errors.New("sign-in timed out")
	}
	return fmt.Errorf("sign-in cancelled: %w", context.Canceled)
}

// directLogin is a sign-in that needs nobody.
type directLogin struct {
	loginBase
	s   *Service
	c   *Connection
	run func(context.Context) (*Token, error)
}

func (s *Service) directLogin(c *Connection, run func(context.Context) (*Token, error)) *directLogin {
	return &directLogin{s: s, c: c, run: run}
}

func (d *directLogin) Wait(ctx context.Context) (*Token, error) {
	ctx, cancel, err := d.start(ctx, d.c)
	if err != nil {
		return nil, &ConnError{d.c.Name, err}
	}
	defer cancel()
	tok, err := d.run(ctx)
	if err != nil && ctx.Err() != nil {
		err = ctxErr(ctx)
	}
	return d.s.finishLogin(d.c, tok, err, "signed in ("+string(d.c.Flow)+")")
}

// passwordLogin waits for the person's password (Aerion, Amino, oauth2).
type passwordLogin struct {
	loginBase
	s    *Service
	c    *Connection
	e    Client
	pw   chan string
	once sync.Once
}

func (p *passwordLogin) Username() string { return p.c.Username }

func (p *passwordLogin) SubmitPassword(pw string) error {
	if pw == "" {
		return errors.New("the password is empty")
	}
	sent := false
	p.once.Do(func() {
		p.s.red.Add(pw)
		p.pw <- pw
		sent = true
	})
	if !sent {
		return errors.New("a password was already submitted")
	}
	return nil
}

func (p *passwordLogin) Wait(ctx context.Context) (*Token, error) {
	ctx, cancel, err := p.start(ctx, p.c)
	if err != nil {
		return nil, &ConnError{p.c.Name, err}
	}
	defer cancel()
	var pw string
	select {
	case pw = <-p.pw:
	case <-ctx.Done():
		return nil, &ConnError{p.c.Name, ctxErr(ctx)}
	}
	tok, err := p.e.Password(ctx, p.c.Username, pw)
	return p.s.finishLogin(p.c, tok, err, "signed in with a password")
}

// ErrAccessDenied means the person refused the authorization request of a
// browser sign-in (RFC 6749 §4.1.2.1); Pending.Wait returns an error that
// wraps it.
var ErrAccessDenied = errors.New("you declined access")

// browserLogin is the authorization code or implicit grant: the browser
// visits the authorize URL and comes back to a loopback listener.
type browserLogin struct {
	loginBase
	s        *Service
	c        *Connection
	e        Client
	cb       Redirect
	url      string
	verifier string
	state    string
	nonce    string // OIDC Core §3.1.2.1; "" without the openid scope
}

func (s *Service) browserLogin(c *Connection, e Client) (Pending, error) {
	state := newState()
	fragment, responseType := false, "code"
	if c.Flow == Implicit {
		fragment, responseType = true, "token"
	}
	verifier := ""
	if c.PKCE && c.Flow == AuthorizationCode {
		verifier = newVerifier()
	}
	nonce := ""
	if slices.Contains(c.Scopes, "openid") {
		nonce = random256()
	}
	s.red.Add(state, verifier, nonce)
	cb, err := e.ListenRedirect(state, fragment)
	if err != nil {
		return nil, &ConnError{c.Name, fmt.Errorf("%w (connections.%s.redirect_uri)", err, c.Name)}
	}
	ec := e.Connection()
	authURL := ec.ExpandURL(ec.AuthURL, c.Subdomain)
	if authURL == "" {
		cb.Close()
		return nil, &ConnError{c.Name, errors.New("auth_url is not set or its subdomain is invalid")}
	}
	u := e.AuthorizeURL(authURL, responseType, cb.RedirectURI(), state, verifier, nonce)
	return &browserLogin{s: s, c: c, e: e, cb: cb, url: u, verifier: verifier, state: state, nonce: nonce}, nil
}

func (b *browserLogin) URL() string { return b.url }

func (b *browserLogin) Paste(raw string) error {
	if err := b.cb.Paste(strings.TrimSpace(raw)); err != nil {
		return &ConnError{b.c.Name, err}
	}
	return nil
}

func (b *browserLogin) Cancel() {
	b.loginBase.Cancel()
	_ = b.cb.Close()
}

func (b *browserLogin) Wait(ctx context.Context) (*Token, error) {
	defer b.cb.Close()
	ctx, cancel, err := b.start(ctx, b.c)
	if err != nil {
		return nil, &ConnError{b.c.Name, err}
	}
	defer cancel()
	v, err := b.cb.Wait(ctx)
	if err != nil {
		if ctx.Err() != nil {
			err = ctxErr(ctx)
		}
		return b.s.finishLogin(b.c, nil, err, "")
	}
	// Aha!: when the flow started at secure.aha.io the redirect names the
	// account; the code is exchanged at, and the API called on, that
	// subdomain.
	sub := b.c.Subdomain
	if as := v.Get("account_subdomain"); as != "" {
		if err := CheckSubdomain(as); err != nil {
			return b.s.finishLogin(b.c, nil, fmt.Errorf("the redirect named an invalid account_subdomain: %w", err), "")
		}
		sub = as
	}
	var tok *Token
	if b.c.Flow == Implicit {
		tok, err = b.e.ImplicitToken(ctx, v, b.nonce)
		if err == nil {
			b.s.red.Add(tok.AccessToken)
		}
	} else {
		code := v.Get("code")
		b.s.red.Add(code)
		ec := b.e.Connection()
		tokenURL := ec.ExpandURL(ec.TokenURL, sub)
		tok, err = b.e.ExchangeCode(ctx, tokenURL, code, b.cb.RedirectURI(), b.verifier, b.nonce)
	}
	if err == nil && v.Get("account_subdomain") != "" {
		if tok.Extra == nil {
			tok.Extra = make(map[string]string)
		}
		tok.Extra["account_subdomain"] = sub
	}
	how := "signed in in the browser"
	if err == nil && sub != b.c.Subdomain {
		how += " (account " + sub + ")"
	}
	return b.s.finishLogin(b.c, tok, err, how)
}

// deviceLogin is the device authorization grant (RFC 8628).
type deviceLogin struct {
	loginBase
	s  *Service
	c  *Connection
	e  Client
	da *DeviceAuth
}

func (d *deviceLogin) UserCode() string { return d.da.UserCode }
func (d *deviceLogin) URL() string {
	if d.da.VerificationURIComplete != "" {
		return d.da.VerificationURIComplete
	}
	return d.da.VerificationURI
}

func (d *deviceLogin) Wait(ctx context.Context) (*Token, error) {
	ctx, cancel, err := d.start(ctx, d.c)
	if err != nil {
		return nil, &ConnError{d.c.Name, err}
	}
	defer cancel()
	tok, err := d.e.DevicePoll(ctx, d.da)
	if err != nil && ctx.Err() != nil {
		err = ctxErr(ctx)
	}
	return d.s.finishLogin(d.c, tok, err, "signed in with a device code")
}
