package flows

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
	"tokentop/flows/fault"
	"tokentop/flows/redact"
	"tokentop/flows/suggest"
)

// Options configures a Service.
type Options struct {
	// Store keeps states between runs and processes. Required.
	Store Store
	// NewClient makes the provider client of a connection: oauth.New.
	// Required.
	NewClient NewClientFunc
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives debug records; nil discards them. Give it a handler
	// wrapped by Redactor.Handler so no secret can reach it.
	Logger *slog.Logger
	// Redactor learns every secret the service handles; nil makes a new one.
	Redactor *redact.Redactor
	// RenewalDeadline bounds one renewal once started: its request, and
	// the retries of saving its result. A wait for another process's
	// renewal gives up a little after it. Zero means DefaultRenewalDeadline.
	RenewalDeadline time.Duration
}

// DefaultRenewalDeadline is how long a renewal may take, request and saving
// included, unless Options.RenewalDeadline says otherwise.
const DefaultRenewalDeadline = 30 * time.Second

// lockMargin is how much longer than a renewal's deadline a waiter waits for
// another process to finish one.
const lockMargin = 5 * time.Second

// Service gets, renews, checks and forgets the tokens of the connections of
// one Config, keeping their state in a Store. It is safe for concurrent use,
// and several processes may run one on the same Store: renewals of one
// connection are serialised by the store's lock, so a rotating refresh token
// is never sent twice.
type Service struct {
	cfg   atomic.Pointer[Config] // read through config
	store Store
	now   func() time.Time
	log   *slog.Logger
	red   *redact.Redactor

	// renewalDeadline bounds one renewal: its request, and the retries of
	// saving its result.
	renewalDeadline time.Duration
	flights         flights

	mu        sync.Mutex
	endpoints map[string]cachedClient // by connection name
	newClient NewClientFunc
	// unsaved holds tokens that were renewed but could not be saved, so
	// they are still handed out and saving is retried.
	unsaved map[string]*Token
}

// cachedClient is a connection's Client and the Connection it was made for.
type cachedClient struct {
	conn   *Connection
	client Client
}

// NewService returns a Service for cfg.
func NewService(cfg *Config, o Options) *Service {
	s := &Service{
		store:     o.Store,
		now:       o.Now,
		log:       o.Logger,
		red:       o.Redactor,
		endpoints: make(map[string]cachedClient),
		newClient: o.NewClient,
		unsaved:   make(map[string]*Token),

		renewalDeadline: o.RenewalDeadline,
	}
	s.cfg.Store(cfg)
	if s.renewalDeadline <= 0 {
		s.renewalDeadline = DefaultRenewalDeadline
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.red == nil {
		s.red = redact.New()
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return s
}

// Config returns the configuration the service runs now.
func (s *Service) Config() *Config { return s.config() }

// config is the one read of s.cfg.
func (s *Service) config() *Config { return s.cfg.Load() }

// SetConfig replaces the configuration, as the dashboard does when the file
// changes. What is under way (a renewal, a sign-in) finishes with the
// Connection it started with; the next call uses cfg. The provider clients
// of connections that are gone or changed are dropped, so that a new
// token_url or check_url takes effect.
func (s *Service) SetConfig(cfg *Config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.Store(cfg)
	for name, e := range s.endpoints {
		c := cfg.Connection(name)
		if c == nil || !sameConnection(c, e.conn) {
			delete(s.endpoints, name)
			continue
		}
		s.endpoints[name] = cachedClient{c, e.client}
	}
}

// sameConnection reports whether a and b make the same client: equal but
// for where the file writes them.
func sameConnection(a, b *Connection) bool {
	x, y := *a, *b
	x.Line, y.Line = 0, 0
	return reflect.DeepEqual(x, y)
}

// Now returns the service's clock reading.
func (s *Service) Now() time.Time { return s.now() }

// Redactor returns the redactor that knows the secrets handled so far.
func (s *Service) Redactor() *redact.Redactor { return s.red }

// State returns what is stored for one connection.
func (s *Service) State(name string) (State, error) {
	if _, err := s.conn(name); err != nil {
		return State{}, err
	}
	st, err := s.store.Load(name)
	if err != nil {
		return State{}, &ConnError{name, loadErr(err)}
	}
	s.mu.Lock()
	if t := s.unsaved[name]; t != nil {
		st.Token = t.Clone()
	}
	s.mu.Unlock()
	return st, nil
}

// Changed returns the states written since mark, as Store.Changed does.
func (s *Service) Changed(mark uint64) (map[string]State, uint64, error) {
	s.retryUnsaved()
	return s.store.Changed(mark)
}

func (s *Service) conn(name string) (*Connection, error) {
	cfg := s.config()
	if c := cfg.Connection(name); c != nil {
		return c, nil
	}
	if near := suggest.Nearest(name, cfg.Names()); near != "" {
		return nil, &ConnError{name, fmt.Errorf("%w; did you mean %s?", ErrUnknownConnection, near)}
	}
	noun := "connections"
	if len(cfg.Connections) == 1 {
		noun = "connection"
	}
	return nil, &ConnError{name, fmt.Errorf("%w (configured: %d %s in %s)", ErrUnknownConnection, len(cfg.Connections), noun, cfg.Path)}
}

// endpoint returns the Client of connection c, made once while c is in
// the configuration. A c that SetConfig replaced (a renewal that started
// before) gets a client of its own, kept by nobody.
func (s *Service) endpoint(c *Connection) (Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.endpoints[c.Name]; ok && e.conn == c {
		return e.client, nil
	}
	if s.newClient == nil {
		return nil, errors.New("no provider client configured (Options.NewClient)")
	}
	e, err := s.newClient(c, ClientOptions{
		Now:      s.now,
		Logger:   slog.New(s.red.Handler(s.log.With("conn", c.Name).Handler())),
		Redactor: s.red,
		Timeout:  s.renewalDeadline,
		Subject:  func(ctx context.Context, n string) (*Token, error) { return s.Token(ctx, n, 0) },
	})
	if err != nil {
		return nil, err
	}
	if s.config().Connection(c.Name) == c {
		s.endpoints[c.Name] = cachedClient{c, e}
	}
	return e, nil
}

// Token returns an access token of connection name that stays valid for at
// least minValid, renewing it first without a person when needed. It fails
// with an error matching ErrSignInRequired when only a person can help. A
// *NotSavedError comes with a usable token.
func (s *Service) Token(ctx context.Context, name string, minValid time.Duration) (*Token, error) {
	c, err := s.conn(name)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	mem := s.unsaved[name].Clone()
	s.mu.Unlock()
	if mem.ValidFor(s.now(), minValid) {
		return mem, s.saveUnsaved(ctx, name, s.lockWait())
	}
	st, err := s.load(name)
	if valid := !st.Refused && st.Token.ValidFor(s.now(), minValid); err != nil && Usable(err) && valid {
		return st.Token, &ConnError{name, err} // a store's copy (store.StaleError)
	} else if err != nil {
		return nil, &ConnError{name, loadErr(err)}
	}
	if !st.Refused && st.Token.ValidFor(s.now(), minValid) {
		return st.Token, nil
	}
	if !c.Renewable(st) {
		return nil, &ConnError{name, signInReason(c, st)}
	}
	if st.Refused {
		return s.renew(ctx, c, minValid, true, st.Token.AccessToken)
	}
	return s.renew(ctx, c, minValid, false, "")
}

// Refuse records that a tool had connection name's token refused, so that
// the next Token renews rather than hand it out again.
func (s *Service) Refuse(name string) error {
	return s.store.Update(name, func(st *State) error { st.Refused = st.Token != nil; return nil })
}

// Renew gets a new token for connection name now, without a person.
func (s *Service) Renew(ctx context.Context, name string) (*Token, error) {
	return s.RenewFrom(ctx, name, nil)
}

// RenewFrom is Renew by a caller who found token from wanting (nil: the one
// stored now): when the stored token is no longer from, another caller has
// renewed it, and that is the answer.
func (s *Service) RenewFrom(ctx context.Context, name string, from *Token) (*Token, error) {
	c, err := s.conn(name)
	if err != nil {
		return nil, err
	}
	st, err := s.load(name)
	if err != nil {
		return nil, &ConnError{name, loadErr(err)}
	}
	if !c.Renewable(st) {
		return nil, &ConnError{name, signInReason(c, st)}
	}
	from = cmp.Or(from, st.Token, &Token{}) // the first that is not nil
	return s.renew(ctx, c, 0, true, from.AccessToken)
}

// load returns the stored state of one connection with a renewed token that
// could not be saved in place of the stored one, unless the file holds a
// newer one. Renewal must start from it: a rotating server has retired the
// refresh token the file still holds (RFC 9700 §4.14.2).
func (s *Service) load(name string) (State, error) {
	st, err := s.store.Load(name)
	if err != nil {
		return st, err
	}
	s.mu.Lock()
	if t := s.unsaved[name]; t != nil && (st.Token == nil || !t.ObtainedAt.Before(st.Token.ObtainedAt)) {
		st.Token = t.Clone()
	}
	s.mu.Unlock()
	return st, nil
}

// loadErr is a failed Load's error; a store's copy, of no use here, says its failure alone.
func loadErr(err error) error {
	if Usable(err) {
		return cmp.Or(errors.Unwrap(err), err)
	}
	return err
}

func signInReason(c *Connection, st State) error {
	switch {
	case st.NeedsSignIn && st.LastError != "":
		return fmt.Errorf("%w (%s)", ErrSignInRequired, st.LastError)
	case st.Token == nil:
		return ErrSignInRequired
	case st.Refused:
		return fmt.Errorf("%w (the token was refused, by the provider's introspection or a tool, and cannot be renewed without a person)", ErrSignInRequired)
	default:
		return fmt.Errorf("%w (the token expired and cannot be renewed without a person)", ErrSignInRequired)
	}
}

// inConn ties err to connection name, unless a lower layer already did:
// the name is added once ("cc: invalid_client: …", never "cc: cc: …").
func inConn(name string, err error) error {
	var ce *ConnError
	if errors.As(err, &ce) && ce.Conn == name {
		return err
	}
	return &ConnError{name, err}
}

// bare is err without its connection name, for what is stored per
// connection (a check's error, a failure's message).
func bare(err error) error {
	var ce *ConnError
	if errors.As(err, &ce) {
		return ce.Err
	}
	return err
}

// obtain asks the provider for a new token without a person.
func (s *Service) obtain(ctx context.Context, c *Connection, st State) (*Token, error) {
	e, err := s.endpoint(c)
	if err != nil {
		return nil, err
	}
	var tok *Token
	switch {
	case c.Flow == APIKey:
		tok, err = s.apiKeyToken(ctx, c)
	case c.Flow == ClientCredentials:
		tok, err = e.ClientCredentials(ctx)
	case c.Flow == TokenExchange: // never a refresh: the subject is read afresh
		tok, err = e.TokenExchange(ctx)
	case st.Token != nil && st.Token.RefreshToken != "" && !st.NeedsSignIn:
		tok, err = e.Refresh(ctx, st.Token.RefreshToken)
		if err == nil {
			if err = sameIdentity(st.Token, tok); err != nil {
				_ = e.Revoke(ctx, tok) // best effort: issued to another identity
			}
		}
		if err == nil {
			keepExtra(tok, st.Token)
		} else if fault.IsInvalidGrant(err) && c.Flow == Password && !c.Password.IsZero() {
			// A configured password can sign in again without a person.
			s.log.Debug("refresh token refused: signing in with the configured password")
			return s.obtain(ctx, c, State{})
		}
	case c.Flow == Password && !c.Password.IsZero():
		var pw string
		pw, err = c.Password.Resolve(ctx)
		if err != nil {
			return nil, fmt.Errorf("password: %w", err)
		}
		s.red.Add(pw)
		tok, err = e.Password(ctx, c.Username, pw)
	default:
		return nil, signInReason(c, st)
	}
	return tok, err
}

// keepExtra carries provider extras (Aha!'s account_subdomain, Amino's
// user_id) over a renewal whose answer does not repeat them.
func keepExtra(tok, old *Token) {
	for k, v := range old.Extra {
		if _, ok := tok.Extra[k]; !ok {
			if tok.Extra == nil {
				tok.Extra = make(map[string]string)
			}
			tok.Extra[k] = v
		}
	}
}

func (s *Service) apiKeyToken(ctx context.Context, c *Connection) (*Token, error) {
	key, err := c.APIKey.Resolve(ctx)
	if err != nil {
		return nil, fmt.Errorf("api_key: %w", err)
	}
	s.red.Add(key)
	return &Token{AccessToken: key, TokenType: "Bearer", ObtainedAt: s.now()}, nil
}

// Logout revokes the connection's tokens where the provider offers RFC 7009
// revocation, then forgets them. It holds the connection's renewal lock
// meanwhile, so no renewal elsewhere can save a token it did not revoke. Amino and Aha! have no revocation: logging
// out is forgetting. The tokens are forgotten even when revocation fails; the
// error says so.
func (s *Service) Logout(ctx context.Context, name string) error {
	c, err := s.conn(name)
	if err != nil {
		return err
	}
	// Under the renewal lock: a renewal in flight elsewhere finishes first
	// and its result is what is revoked, and one that starts later finds
	// the connection signed out.
	unlock, err := s.lock(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := s.store.Load(name)
	if err != nil {
		return &ConnError{name, err}
	}
	// A token renewed but not saved is live too (with rotation, the only
	// live one): revoke it as well as the stored one.
	toks := []*Token{st.Token}
	s.mu.Lock()
	if t := s.unsaved[name]; t != nil && (st.Token == nil || t.AccessToken != st.Token.AccessToken) {
		toks = append(toks, t.Clone())
	}
	s.mu.Unlock()
	var revokeErr error
	for _, tok := range toks {
		if tok == nil || (c.RevokeURL == "" && c.Issuer == "") {
			continue
		}
		e, err := s.endpoint(c)
		if err == nil {
			err = e.Revoke(ctx, tok)
		}
		if revokeErr == nil {
			revokeErr = err
		}
	}
	s.mu.Lock()
	delete(s.unsaved, name)
	s.mu.Unlock()
	if err := s.store.Forget(name); err != nil {
		return &ConnError{name, fmt.Errorf("forgetting tokens: %w", err)}
	}
	now := s.now()
	detail := "signed out; tokens forgotten"
	if revokeErr != nil {
		detail = "signed out; revocation failed: " + s.red.Redact(revokeErr.Error())
	}
	events := st.Events
	_ = s.store.Update(name, func(ns *State) error {
		ns.Events = events
		ns.Record(now, EventLogout, detail)
		return nil
	})
	if revokeErr != nil {
		return &ConnError{name, fmt.Errorf("tokens forgotten, but revocation failed: %w", revokeErr)}
	}
	return nil
}
