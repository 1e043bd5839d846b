package flows

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Options configures a Service.
type Options struct {
	// Store keeps states between runs and processes. Required.
	Store Store
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives debug records; nil discards them. Give it a handler
	// wrapped by Redactor.Handler so no secret can reach it.
	Logger *slog.Logger
	// Redactor learns every secret the service handles; nil makes a new one.
	Redactor *Redactor
}

// Service gets, renews, checks and forgets the tokens of the connections of
// one Config, keeping their state in a Store. It is safe for concurrent use,
// and several processes may run one on the same Store: renewals of one
// connection are serialised by the store's lock, so a rotating refresh token
// is never sent twice.
type Service struct {
	cfg   *Config
	store Store
	now   func() time.Time
	log   *slog.Logger
	red   *Redactor

	renewals singleflight.Group

	mu        sync.Mutex
	endpoints map[string]*endpoint
	// unsaved holds tokens that were renewed but could not be saved, so
	// they are still handed out and saving is retried.
	unsaved map[string]*Token
}

// NewService returns a Service for cfg.
func NewService(cfg *Config, o Options) *Service {
	s := &Service{
		cfg:       cfg,
		store:     o.Store,
		now:       o.Now,
		log:       o.Logger,
		red:       o.Redactor,
		endpoints: make(map[string]*endpoint),
		unsaved:   make(map[string]*Token),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.red == nil {
		s.red = NewRedactor()
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return s
}

// Config returns the configuration the service runs.
func (s *Service) Config() *Config { return s.cfg }

// Now returns the service's clock reading.
func (s *Service) Now() time.Time { return s.now() }

// Redactor returns the redactor that knows the secrets handled so far.
func (s *Service) Redactor() *Redactor { return s.red }

// State returns what is stored for one connection.
func (s *Service) State(name string) (State, error) {
	if _, err := s.conn(name); err != nil {
		return State{}, err
	}
	st, err := s.store.Load(name)
	if err != nil {
		return State{}, &ConnError{name, err}
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
	if c := s.cfg.Connection(name); c != nil {
		return c, nil
	}
	return nil, &ConnError{name, fmt.Errorf("%w (configured: %d connections in %s)", ErrUnknownConnection, len(s.cfg.Connections), s.cfg.Path)}
}

func (s *Service) endpoint(c *Connection) (*endpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.endpoints[c.Name]; e != nil {
		return e, nil
	}
	e, err := newEndpoint(c, s.now, s.log.With("conn", c.Name), s.red)
	if err != nil {
		return nil, err
	}
	s.endpoints[c.Name] = e
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
		return mem, s.saveUnsaved(name)
	}
	st, err := s.load(name)
	if err != nil {
		return nil, &ConnError{name, err}
	}
	if st.Token.ValidFor(s.now(), minValid) {
		return st.Token, nil
	}
	if !c.Renewable(st) {
		return nil, &ConnError{name, signInReason(c, st)}
	}
	return s.renew(ctx, c, minValid, false, "")
}

// Renew gets a new token for connection name now, without a person.
func (s *Service) Renew(ctx context.Context, name string) (*Token, error) {
	c, err := s.conn(name)
	if err != nil {
		return nil, err
	}
	st, err := s.load(name)
	if err != nil {
		return nil, &ConnError{name, err}
	}
	if !c.Renewable(st) {
		return nil, &ConnError{name, signInReason(c, st)}
	}
	seen := ""
	if st.Token != nil {
		seen = st.Token.AccessToken
	}
	return s.renew(ctx, c, 0, true, seen)
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

func signInReason(c *Connection, st State) error {
	switch {
	case st.NeedsSignIn && st.LastError != "":
		return fmt.Errorf("%w: %s: run tokentop login %s", ErrSignInRequired, st.LastError, c.Name)
	case st.Token == nil:
		return fmt.Errorf("%w: run tokentop login %s", ErrSignInRequired, c.Name)
	default:
		return fmt.Errorf("%w: the token expired and cannot be renewed without a person: run tokentop login %s", ErrSignInRequired, c.Name)
	}
}

// renew obtains a new token under the connection's cross-process lock and
// saves it. Concurrent callers in this process share one renewal; callers in
// other processes wait for the lock, re-read the store and find the token
// renewed, so exactly one request reaches the provider.
//
// A forced renewal (force) renews even a valid token, unless the stored
// access token is no longer seen, the one its caller had: then another
// process renewed it meanwhile, and that result is the answer.
func (s *Service) renew(ctx context.Context, c *Connection, minValid time.Duration, force bool, seen string) (*Token, error) {
	ch := s.renewals.DoChan(c.Name, func() (any, error) {
		return s.renewLocked(ctx, c, minValid, force, seen)
	})
	select {
	case r := <-ch:
		tok, _ := r.Val.(*Token)
		if r.Err != nil {
			var ns *NotSavedError
			if errors.As(r.Err, &ns) && tok != nil {
				return tok.Clone(), r.Err
			}
			return nil, r.Err
		}
		return tok.Clone(), nil
	case <-ctx.Done():
		return nil, &ConnError{c.Name, fmt.Errorf("renewal cancelled: %w", ctx.Err())}
	}
}

func (s *Service) renewLocked(ctx context.Context, c *Connection, minValid time.Duration, force bool, seen string) (*Token, error) {
	unlock, err := s.store.Lock(ctx, c.Name)
	if err != nil {
		return nil, &ConnError{c.Name, fmt.Errorf("waiting for another tokentop to finish renewing: %w", err)}
	}
	defer unlock()

	// Another process may have renewed while this one waited for the lock.
	st, err := s.load(c.Name)
	if err != nil {
		return nil, &ConnError{c.Name, err}
	}
	if st.Token.ValidFor(s.now(), minValid) && (!force || st.Token.AccessToken != seen) {
		return st.Token, nil
	}
	if !c.Renewable(st) {
		return nil, &ConnError{c.Name, signInReason(c, st)}
	}
	s.log.Debug("renewing", "flow", string(c.Flow), "refresh_token", st.Token != nil && st.Token.RefreshToken != "")
	tok, err := s.obtain(ctx, c, st)
	if err != nil {
		// A caller who gave up (esc in the dashboard) is no failure of the
		// connection: nothing is recorded, so the dashboard's poll cannot
		// bring the cancelled result back.
		if !errors.Is(err, context.Canceled) {
			s.recordFailure(c.Name, err)
		}
		if IsInvalidGrant(err) && !errors.Is(err, ErrSignInRequired) {
			// The stored grant was refused (expired, revoked or already
			// used): only a person signing in again can help.
			err = fmt.Errorf("%w: %w", ErrSignInRequired, err)
		}
		return nil, &ConnError{c.Name, err}
	}
	return s.saveToken(c.Name, tok, EventRenewal, renewalDetail(tok, st))
}

func renewalDetail(tok *Token, old State) string {
	d := "renewed"
	if old.Token != nil && old.Token.RefreshToken != "" && tok.RefreshToken != old.Token.RefreshToken {
		d += "; refresh token rotated"
	}
	if tok.HasExpiry() {
		d += "; expires " + tok.Expiry.Local().Format("15:04:05")
	}
	return d
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
		tok, err = e.clientCredentials(ctx)
	case st.Token != nil && st.Token.RefreshToken != "" && !st.NeedsSignIn:
		tok, err = e.refresh(ctx, st.Token.RefreshToken)
		if err == nil {
			keepExtra(tok, st.Token)
		} else if IsInvalidGrant(err) && c.Flow == Password && !c.Password.IsZero() {
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
		tok, err = e.password(ctx, c.Username, pw)
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

// saveToken stores a new token in one transaction with its event. When the
// store fails, the token is kept in memory, handed out, and saved later.
func (s *Service) saveToken(name string, tok *Token, kind EventKind, detail string) (*Token, error) {
	now := s.now()
	err := s.store.Update(name, func(st *State) error {
		st.Token = tok.Clone()
		st.LastError, st.LastErrorAt, st.NeedsSignIn = "", time.Time{}, false
		st.LastRenewal = now
		st.Record(now, kind, detail)
		return nil
	})
	if err != nil {
		s.mu.Lock()
		s.unsaved[name] = tok.Clone()
		s.mu.Unlock()
		s.log.Warn("token not saved", "err", err)
		return tok, &ConnError{name, &NotSavedError{Err: err}}
	}
	s.mu.Lock()
	delete(s.unsaved, name)
	s.mu.Unlock()
	return tok, nil
}

// saveUnsaved retries saving a token that was renewed but not saved.
func (s *Service) saveUnsaved(name string) error {
	s.mu.Lock()
	tok := s.unsaved[name].Clone()
	s.mu.Unlock()
	if tok == nil {
		return nil
	}
	_, err := s.saveToken(name, tok, EventRenewal, "saved after an earlier failure")
	return err
}

func (s *Service) retryUnsaved() {
	s.mu.Lock()
	names := make([]string, 0, len(s.unsaved))
	for n := range s.unsaved {
		names = append(names, n)
	}
	s.mu.Unlock()
	for _, n := range names {
		_ = s.saveUnsaved(n)
	}
}

// recordFailure remembers a failed renewal or sign-in. A refused grant
// (invalid_grant, or a renewal that may have rotated the refresh token) marks
// the connection as needing a person, so nothing loops on it.
func (s *Service) recordFailure(name string, cause error) {
	now := s.now()
	msg := s.red.Redact(cause.Error())
	needsPerson := IsInvalidGrant(cause) || errors.Is(cause, ErrSignInRequired)
	err := s.store.Update(name, func(st *State) error {
		st.LastError, st.LastErrorAt = msg, now
		if needsPerson {
			st.NeedsSignIn = true
		}
		st.Record(now, EventFailure, msg)
		return nil
	})
	if err != nil {
		s.log.Warn("failure not recorded", "err", err)
	}
}

// Check runs the connection's health check: GET check_url with the bearer.
// An answer of 401 invalid_token renews the token once and checks once more.
func (s *Service) Check(ctx context.Context, name string) (*Check, error) {
	c, err := s.conn(name)
	if err != nil {
		return nil, err
	}
	if c.CheckURL == "" && c.Issuer == "" {
		return nil, &ConnError{name, errors.New("no check_url configured")}
	}
	tok, err := s.Token(ctx, name, 0)
	if err != nil && tok == nil {
		return nil, err
	}
	e, err := s.endpoint(c)
	if err != nil {
		return nil, &ConnError{name, err}
	}
	chk, err := e.check(ctx, tok)
	if errors.Is(err, ErrInvalidToken) && c.Renewable(State{Token: tok}) {
		s.log.Debug("check said invalid_token: renewing once")
		if tok, err = s.renew(ctx, c, 0, true, tok.AccessToken); err == nil {
			chk, err = e.check(ctx, tok)
		}
	}
	if chk == nil {
		chk = &Check{At: s.now()}
		if err != nil {
			chk.Err = s.red.Redact(err.Error())
		}
	}
	s.recordCheck(name, chk)
	if err != nil {
		return chk, &ConnError{name, err}
	}
	return chk, nil
}

func (s *Service) recordCheck(name string, chk *Check) {
	detail := fmt.Sprintf("HTTP %d in %s", chk.Status, chk.Latency.Round(time.Millisecond))
	if chk.Err != "" {
		detail = chk.Err
	}
	c := *chk
	err := s.store.Update(name, func(st *State) error {
		st.LastCheck = &c
		st.Record(c.At, EventCheck, detail)
		return nil
	})
	if err != nil {
		s.log.Warn("check not recorded", "err", err)
	}
}

// Logout revokes the connection's tokens where the provider offers RFC 7009
// revocation, then forgets them. Amino and Aha! have no revocation: logging
// out is forgetting. The tokens are forgotten even when revocation fails; the
// error says so.
func (s *Service) Logout(ctx context.Context, name string) error {
	c, err := s.conn(name)
	if err != nil {
		return err
	}
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
			err = e.revoke(ctx, tok)
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
