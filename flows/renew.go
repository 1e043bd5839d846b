package flows

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
	"tokentop/flows/fault"
	"tokentop/flows/redact"
)

// A renewal is shared by every caller in this process that wants the same
// connection renewed, and runs under the connection's cross-process lock, so
// exactly one request reaches the provider. It runs on a context of its own:
// a caller who gives up stops waiting, and the renewal stops only when no
// caller is left and its request has not got a connection yet. Once the
// request is on its way, its answer is read and saved whatever the callers
// do, because the provider may already have retired the refresh token that
// was sent (RFC 9700 §4.14.2).

// flight is one renewal in progress.
type flight struct {
	done   chan struct{} // closed when tok and err are set
	tok    *Token
	err    error
	cancel context.CancelFunc

	// Guarded by flights.mu.
	waiters   int
	committed bool // its request got a connection: it is no longer stopped
}

// flights are the renewals in progress, by connection name.
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
}

// join returns the renewal of name in progress, or starts one running fn,
// and counts the caller as one of its waiters.
func (s *Service) join(caller context.Context, name string, fn func(context.Context) (*Token, error)) *flight {
	fl := &s.flights
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if f := fl.m[name]; f != nil {
		f.waiters++
		return f
	}
	if fl.m == nil {
		fl.m = make(map[string]*flight)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(caller)) // its values, not its end
	f := &flight{done: make(chan struct{}), cancel: cancel, waiters: 1}
	ctx = fault.WithCommit(ctx, func() {
		fl.mu.Lock()
		f.committed = true
		fl.mu.Unlock()
	})
	fl.m[name] = f
	go func() {
		defer cancel()
		tok, err := fn(ctx)
		fl.mu.Lock()
		f.tok, f.err = tok, err
		if fl.m[name] == f {
			delete(fl.m, name)
		}
		fl.mu.Unlock()
		close(f.done)
	}()
	return f
}

// leave uncounts a waiter. The last one to leave stops the renewal unless
// its request is already on its way; leave reports whether it is.
func (s *Service) leave(f *flight) (committed bool) {
	s.flights.mu.Lock()
	defer s.flights.mu.Unlock()
	f.waiters--
	if f.waiters == 0 && !f.committed {
		f.cancel()
	}
	return f.committed
}

// Drain stops the renewals that have not sent their request yet and waits,
// until ctx is done, for the others to be answered and saved. A process
// calls it before it exits, so that a Ctrl+C, a SIGTERM or quitting the
// dashboard never drops an answer already on its way. notify, if not nil,
// is called once when a request is in flight and the wait lasts more than a
// moment. Drain reports whether every renewal finished.
func (s *Service) Drain(ctx context.Context, notify func()) bool {
	s.flights.mu.Lock()
	var dones []chan struct{}
	inFlight := false
	for _, f := range s.flights.m {
		if !f.committed {
			f.cancel()
		} else {
			inFlight = true
		}
		dones = append(dones, f.done)
	}
	s.flights.mu.Unlock()
	var moment <-chan time.Time
	if inFlight && notify != nil {
		t := time.NewTimer(250 * time.Millisecond)
		defer t.Stop()
		moment = t.C
	}
	for _, d := range dones {
	wait:
		for {
			select {
			case <-d:
				break wait
			case <-moment:
				notify()
				moment = nil
			case <-ctx.Done():
				return false
			}
		}
	}
	return true
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
	f := s.join(ctx, c.Name, func(ctx context.Context) (*Token, error) {
		return s.renewLocked(ctx, c, minValid, force, seen)
	})
	select {
	case <-f.done:
		s.leave(f)
		if f.tok != nil {
			return f.tok.Clone(), f.err
		}
		return nil, f.err
	case <-ctx.Done():
		if s.leave(f) {
			return nil, &ConnError{c.Name, fmt.Errorf("renewal cancelled; the request already sent is answered and saved in the background: %w", context.Cause(ctx))}
		}
		return nil, &ConnError{c.Name, fmt.Errorf("renewal cancelled: %w", context.Cause(ctx))}
	}
}

// lockWait is how long a renewal waits for another process's: its deadline
// and a margin (35 s by default).
func (s *Service) lockWait() time.Duration {
	return s.renewalDeadline + min(lockMargin, s.renewalDeadline)
}

// lock takes the renewal lock of name, waiting at most lockWait.
func (s *Service) lock(ctx context.Context, name string) (unlock func(), err error) {
	lctx, cancel := context.WithTimeout(ctx, s.lockWait())
	defer cancel()
	unlock, err = s.store.Lock(lctx, name)
	if err == nil {
		return unlock, nil
	}
	var held *LockHeldError
	switch {
	case errors.As(err, &held):
		return nil, &ConnError{name, held}
	case ctx.Err() != nil:
		return nil, &ConnError{name, fmt.Errorf("cancelled while waiting for another tokentop's renewal: %w", context.Cause(ctx))}
	}
	// The lock lives beside the state file: a full or read-only disk
	// refuses both.
	return nil, &ConnError{name, &NotWritableError{Err: err}}
}

func (s *Service) renewLocked(ctx context.Context, c *Connection, minValid time.Duration, force bool, seen string) (*Token, error) {
	unlock, err := s.lock(ctx, c.Name)
	if err != nil {
		var nw *NotWritableError
		if errors.As(err, &nw) {
			// Nothing can be saved: the current token, while it lasts.
			if st, lerr := s.load(c.Name); lerr == nil && s.stillUsable(st.Token, minValid) {
				return st.Token, err
			}
		}
		return nil, err
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
	if usesRefreshToken(c, st) {
		if err := checkOrigin(c, st.Token); err != nil {
			s.recordFailure(c.Name, err)
			return nil, &ConnError{c.Name, err}
		}
		if fi := st.InFlight; fi != nil {
			s.log.Warn("an earlier renewal ended before saving its result", "pid", fi.PID, "since", fi.Since)
		}
		// Prove the rotated refresh token can be kept before sending the
		// one that the provider will retire.
		if err := s.markInFlight(c.Name, st.InFlight); err != nil {
			nw := &NotWritableError{Err: err}
			if s.stillUsable(st.Token, minValid) {
				return st.Token, &ConnError{c.Name, nw}
			}
			return nil, &ConnError{c.Name, nw}
		}
	}
	s.log.Debug("renewing", "flow", string(c.Flow), "refresh_token", st.Token != nil && st.Token.RefreshToken != "")
	tok, err := s.obtain(ctx, c, st)
	if err != nil {
		if isCancel(err) {
			// A caller who gave up before anything was sent (esc in the
			// dashboard) is no failure of the connection: nothing is
			// recorded, so the dashboard's poll cannot bring the cancelled
			// result back.
			s.clearInFlight(c.Name)
			return nil, &ConnError{c.Name, err}
		}
		s.recordFailure(c.Name, err)
		if fault.IsInvalidGrant(err) && !errors.Is(err, ErrSignInRequired) {
			// The stored grant was refused (expired, revoked or already
			// used): only a person signing in again can help.
			err = fmt.Errorf("%w: %w", ErrSignInRequired, err)
		}
		return nil, &ConnError{c.Name, err}
	}
	return s.saveRetrying(c, tok, st, EventRenewal, renewalDetail(tok, st))
}

// stillUsable reports whether tok, which should have been renewed but could
// not be, is worth handing out all the same: valid for minValid, or for a
// second when minValid asks more. A token about to expire is no use to the
// script that asked.
func (s *Service) stillUsable(tok *Token, minValid time.Duration) bool {
	return tok.ValidFor(s.now(), min(minValid, time.Second))
}

// usesRefreshToken reports whether renewing c from st sends its refresh
// token, as obtain decides.
func usesRefreshToken(c *Connection, st State) bool {
	return c.Flow != APIKey && c.Flow != ClientCredentials && c.Flow != TokenExchange &&
		st.Token != nil && st.Token.RefreshToken != "" && !st.NeedsSignIn
}

// originOf is where a token of c is issued now: its issuer, else its token
// endpoint on the token's account subdomain (Aha!) or the configured one.
func originOf(c *Connection, tok *Token) Origin {
	if c.Issuer != "" {
		return Origin{Issuer: c.Issuer, ClientID: c.ClientID}
	}
	sub := ""
	if tok != nil {
		sub = tok.Extra["account_subdomain"]
	}
	return Origin{TokenURL: c.ExpandURL(c.TokenURL, sub), ClientID: c.ClientID}
}

// checkOrigin refuses to send tok's refresh token anywhere but where it was
// issued: a config edited to another token endpoint, issuer or client must
// not receive the old one (RFC 9700 §4.14: refresh tokens are bound to their
// client).
func checkOrigin(c *Connection, tok *Token) error {
	was := tok.Origin
	if was.IsZero() {
		return nil // saved before tokentop recorded origins
	}
	now := originOf(c, tok)
	switch {
	case was.Issuer != now.Issuer && was.Issuer != "":
		return fmt.Errorf("%w: issuer changed since sign-in (was %s)", ErrSignInRequired, redact.Sanitize(was.Issuer))
	case was.TokenURL != now.TokenURL && was.TokenURL != "":
		return fmt.Errorf("%w: token_url changed since sign-in (was %s)", ErrSignInRequired, redact.Sanitize(was.TokenURL))
	case was.Issuer != now.Issuer || was.TokenURL != now.TokenURL:
		return fmt.Errorf("%w: the token endpoint changed since sign-in", ErrSignInRequired)
	case was.ClientID != now.ClientID:
		return fmt.Errorf("%w: client_id changed since sign-in (was %s)", ErrSignInRequired, redact.Sanitize(was.ClientID))
	}
	return nil
}

// markInFlight records that this process is about to send the refresh
// token. Its error means the state file cannot be written.
func (s *Service) markInFlight(name string, earlier *InFlight) error {
	now := s.now()
	return s.store.Update(name, func(st *State) error {
		st.InFlight = &InFlight{PID: os.Getpid(), Since: now}
		if earlier != nil {
			st.Record(now, EventFailure, fmt.Sprintf("an earlier renewal (process %d, %s) ended before saving its result", earlier.PID, earlier.Since.Local().Format("15:04:05")))
		}
		return nil
	})
}

// clearInFlight undoes markInFlight after a renewal that sent nothing.
func (s *Service) clearInFlight(name string) {
	err := s.store.Update(name, func(st *State) error {
		if st.InFlight == nil {
			return errNothingToDo
		}
		st.InFlight = nil
		return nil
	})
	if err != nil && !errors.Is(err, errNothingToDo) {
		s.log.Warn("renewal mark not cleared", "err", err)
	}
}

var errNothingToDo = errors.New("nothing to do")

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

// saveRetrying saves a renewal's result, trying again for as long as the
// renewal's deadline allows: a disk that was full a moment ago may take it
// now, and the rotated refresh token exists nowhere else.
func (s *Service) saveRetrying(c *Connection, tok *Token, old State, kind EventKind, detail string) (*Token, error) {
	deadline := time.Now().Add(s.renewalDeadline)
	delay := 50 * time.Millisecond
	for {
		saved, err := s.saveToken(c.Name, c, tok, kind, detail)
		if err == nil {
			return saved, nil
		}
		if time.Now().Add(delay).After(deadline) {
			var ns *NotSavedError
			if errors.As(err, &ns) && old.Token != nil && old.Token.RefreshToken != "" && tok.RefreshToken != old.Token.RefreshToken {
				ns.RotatedLost = true
			}
			return saved, err
		}
		time.Sleep(delay)
		delay = min(2*delay, time.Second)
	}
}

// saveToken stores a new token in one transaction with its event. When the
// store fails, the token is kept in memory, handed out, and saved later. The
// token's origin is that of c, the connection that obtained it, even when
// the configuration changed meanwhile; a nil c keeps the origin it has.
func (s *Service) saveToken(name string, c *Connection, tok *Token, kind EventKind, detail string) (*Token, error) {
	now := s.now()
	if c != nil {
		tok.Origin = originOf(c, tok)
	}
	err := s.store.Update(name, func(st *State) error {
		st.Token, st.Refused = tok.Clone(), false
		st.LastError, st.LastErrorAt, st.NeedsSignIn = "", time.Time{}, false
		st.Failures, st.RetryAt, st.InFlight = 0, time.Time{}, nil
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

// saveUnsaved retries saving a token that was renewed but not saved. It
// takes the renewal lock, waiting at most wait, so that it cannot race a
// logout: a connection forgotten meanwhile is not brought back, and the
// token is revoked instead.
func (s *Service) saveUnsaved(ctx context.Context, name string, wait time.Duration) error {
	s.mu.Lock()
	tok := s.unsaved[name].Clone()
	s.mu.Unlock()
	if tok == nil {
		return nil
	}
	lctx, cancel := context.WithTimeout(ctx, wait)
	unlock, err := s.store.Lock(lctx, name)
	cancel()
	if err != nil {
		return &ConnError{name, &NotSavedError{Err: err}}
	}
	defer unlock()
	st, err := s.store.Load(name)
	if err != nil {
		return &ConnError{name, &NotSavedError{Err: err}}
	}
	if forgottenSince(st, tok.ObtainedAt) {
		s.mu.Lock()
		delete(s.unsaved, name)
		s.mu.Unlock()
		s.revokeQuietly(ctx, name, tok)
		return nil
	}
	_, err = s.saveToken(name, nil, tok, EventRenewal, "saved after an earlier failure")
	return err
}

// forgottenSince reports whether the connection was signed out at or after t.
func forgottenSince(st State, t time.Time) bool {
	for i := len(st.Events) - 1; i >= 0; i-- {
		if e := st.Events[i]; e.Kind == EventLogout && !e.At.Before(t) {
			return true
		}
	}
	return false
}

// revokeQuietly revokes a token nobody will keep, where the provider can.
func (s *Service) revokeQuietly(ctx context.Context, name string, tok *Token) {
	c := s.config().Connection(name)
	if c == nil || (c.RevokeURL == "" && c.Issuer == "") {
		return
	}
	e, err := s.endpoint(c)
	if err == nil {
		err = e.Revoke(ctx, tok)
	}
	if err != nil {
		s.log.Warn("revoking a token renewed after sign-out", "err", err)
	}
}

func (s *Service) retryUnsaved() {
	s.mu.Lock()
	names := make([]string, 0, len(s.unsaved))
	for n := range s.unsaved {
		names = append(names, n)
	}
	s.mu.Unlock()
	for _, n := range names {
		_ = s.saveUnsaved(context.Background(), n, 50*time.Millisecond)
	}
}

// RetryBackoff is the wait before the next automatic renewal after n
// failures in a row (n ≥ 1): 5 s, doubling up to 5 min, so a provider that
// is down is not hammered and one that comes back is used again soon.
func RetryBackoff(n int) time.Duration {
	const base, most = 5 * time.Second, 5 * time.Minute
	if n < 1 {
		n = 1
	}
	if n > 16 {
		return most
	}
	return min(base<<(n-1), most)
}

// recordFailure remembers a failed renewal or sign-in. A refused grant
// (invalid_grant, or a renewal that may have rotated the refresh token) marks
// the connection as needing a person, so nothing loops on it; any other
// failure counts towards the backoff of the next automatic attempt.
func (s *Service) recordFailure(name string, cause error) {
	now := s.now()
	msg := s.red.Redact(cause.Error())
	needsPerson := fault.IsInvalidGrant(cause) || errors.Is(cause, ErrSignInRequired)
	err := s.store.Update(name, func(st *State) error {
		st.LastError, st.LastErrorAt = msg, now
		st.InFlight = nil
		if needsPerson {
			st.NeedsSignIn = true
			st.Failures, st.RetryAt = 0, time.Time{}
		} else {
			st.Failures++
			st.RetryAt = now.Add(RetryBackoff(st.Failures))
		}
		st.Record(now, EventFailure, msg)
		return nil
	})
	if err != nil {
		s.log.Warn("failure not recorded", "err", err)
	}
}
