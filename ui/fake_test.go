package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"tokentop/flows"
	"tokentop/flows/config"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeBackend is an in-memory Backend: states with revisions like the
// store's, renewals that succeed or fail as the test says, and sign-ins
// that return the fake pendings the test planted.
type fakeBackend struct {
	mu     sync.Mutex
	cfg    *flows.Config
	clock  *fakeClock
	states map[string]flows.State
	revs   map[string]uint64
	rev    uint64
	calls  []string
	seq    int

	renewErr map[string]error
	notSaved map[string]error // Renew succeeds but "cannot save"
	checks   map[string]*flows.Check
	logins   map[string]*fakePending
}

// productionMargin is the renewal margin the configuration gives a
// connection that sets none, read from a parsed configuration so that the
// tests run with the margin tokentop uses.
var productionMargin = sync.OnceValue(func() time.Duration {
	cfg, err := config.Parse("example.toml", []byte(exampleConfig))
	if err != nil || len(cfg.Connections) == 0 || cfg.Connections[0].RefreshBefore <= 0 {
		panic(fmt.Sprintf("the example configuration gives no renewal margin: %v", err))
	}
	return cfg.Connections[0].RefreshBefore
})

// newFakeBackend serves conns, each with the configuration's default
// renewal margin unless it sets its own, as a loaded configuration would.
func newFakeBackend(clock *fakeClock, conns ...*flows.Connection) *fakeBackend {
	margin := productionMargin()
	for _, c := range conns {
		if c.RefreshBefore == 0 {
			c.RefreshBefore = margin
		}
	}
	return &fakeBackend{
		cfg:      &flows.Config{Path: "/home/u/.config/tokentop/config.toml", RefreshBefore: margin, Connections: conns},
		clock:    clock,
		states:   map[string]flows.State{},
		revs:     map[string]uint64{},
		renewErr: map[string]error{},
		notSaved: map[string]error{},
		checks:   map[string]*flows.Check{},
		logins:   map[string]*fakePending{},
	}
}

func (f *fakeBackend) Config() *flows.Config {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cfg
}
func (f *fakeBackend) Now() time.Time { return f.clock.Now() }

// put writes a state as another process would.
func (f *fakeBackend) put(name string, st flows.State) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.putLocked(name, st)
}

func (f *fakeBackend) putLocked(name string, st flows.State) {
	f.rev++
	st.Rev = f.rev
	f.states[name] = st
	f.revs[name] = f.rev
}

func (f *fakeBackend) state(name string) flows.State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.states[name].Clone()
}

func (f *fakeBackend) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeBackend) Changed(mark uint64) (map[string]flows.State, uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]flows.State{}
	for name, r := range f.revs {
		if r > mark {
			out[name] = f.states[name].Clone()
		}
	}
	return out, f.rev, nil
}

// newToken is a fresh token valid for an hour.
func (f *fakeBackend) newToken(name string) *flows.Token {
	f.seq++
	now := f.clock.Now()
	return &flows.Token{
		AccessToken:  fmt.Sprintf("tok-%s-%d-SENTINELSECRETVALUE", name, f.seq),
		RefreshToken: "refresh-" + name,
		TokenType:    "Bearer",
		Expiry:       now.Add(time.Hour),
		ObtainedAt:   now,
	}
}

func (f *fakeBackend) Renew(ctx context.Context, name string) (*flows.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "renew "+name)
	st := f.states[name].Clone()
	if err := f.renewErr[name]; err != nil {
		st.LastError = err.Error()
		st.LastErrorAt = f.clock.Now()
		if errors.Is(err, flows.ErrSignInRequired) {
			st.NeedsSignIn = true
		}
		f.putLocked(name, st)
		return nil, err
	}
	st.Token = f.newToken(name)
	st.LastRenewal = f.clock.Now()
	st.LastError = ""
	st.Record(f.clock.Now(), flows.EventRenewal, "renewed")
	if err := f.notSaved[name]; err != nil {
		return st.Token.Clone(), &flows.NotSavedError{Err: err}
	}
	f.putLocked(name, st)
	return st.Token.Clone(), nil
}

func (f *fakeBackend) Token(ctx context.Context, name string, minValid time.Duration) (*flows.Token, error) {
	f.mu.Lock()
	st := f.states[name]
	f.calls = append(f.calls, fmt.Sprintf("token %s %s", name, minValid))
	f.mu.Unlock()
	if st.Token.ValidFor(f.clock.Now(), minValid) {
		return st.Token.Clone(), nil
	}
	return f.Renew(ctx, name)
}

func (f *fakeBackend) Check(ctx context.Context, name string) (*flows.Check, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "check "+name)
	c := f.checks[name]
	if c == nil {
		c = &flows.Check{Status: 200, Latency: 84 * time.Millisecond}
	}
	cc := *c
	cc.At = f.clock.Now()
	st := f.states[name].Clone()
	st.LastCheck = &cc
	f.putLocked(name, st)
	return &cc, nil
}

func (f *fakeBackend) Logout(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "logout "+name)
	f.putLocked(name, flows.State{})
	return nil
}

func (f *fakeBackend) BeginLogin(ctx context.Context, name string) (flows.Pending, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "login "+name)
	p := f.logins[name]
	if p == nil {
		return nil, errors.New(name + ": no sign-in planted")
	}
	p.b, p.name = f, name
	return p.asKind(), nil
}

// fakePending is a sign-in the test drives: it ends when a good paste or
// password arrives, when the test calls finish, or when it is cancelled.
type fakePending struct {
	kind            loginKind
	url, code, user string

	b    *fakeBackend
	name string

	mu        sync.Mutex
	pastes    []string
	passwords []string
	cancels   int
	done      chan error
	cancelled chan struct{}
	once      sync.Once
}

func newPending(kind loginKind) *fakePending {
	return &fakePending{
		kind:      kind,
		url:       "https://auth.example/authorize?client_id=abc&state=xyz",
		code:      "WDJB-MJHT",
		user:      "alice@example.com",
		done:      make(chan error, 1),
		cancelled: make(chan struct{}),
	}
}

// loginKind is what a planted sign-in needs, as the real ones tell it by
// their type.
type loginKind int

const (
	kindDirect loginKind = iota
	kindBrowser
	kindPassword
	kindDevice
)

// asKind is the sign-in as the dashboard sees it: a value of the kind's
// type only, as flows' sign-ins are, so the dashboard's type switches pick
// the kind.
func (p *fakePending) asKind() flows.Pending {
	switch p.kind {
	case kindBrowser:
		return fakeBrowser{fakeDirect{p}}
	case kindPassword:
		return fakePassword{fakeDirect{p}}
	case kindDevice:
		return fakeDevice{fakeDirect{p}}
	}
	return fakeDirect{p}
}

type fakeDirect struct{ p *fakePending }
type fakeBrowser struct{ fakeDirect }
type fakePassword struct{ fakeDirect }
type fakeDevice struct{ fakeDirect }

func (d fakeDirect) Wait(ctx context.Context) (*flows.Token, error) { return d.p.Wait(ctx) }
func (d fakeDirect) Cancel()                                        { d.p.Cancel() }
func (b fakeBrowser) URL() string                                   { return b.p.url }
func (b fakeBrowser) Paste(raw string) error                        { return b.p.Paste(raw) }
func (w fakePassword) Username() string                             { return w.p.user }
func (w fakePassword) SubmitPassword(pw string) error               { return w.p.SubmitPassword(pw) }
func (d fakeDevice) URL() string                                    { return d.p.url }
func (d fakeDevice) UserCode() string                               { return d.p.code }

func (p *fakePending) Paste(raw string) error {
	p.mu.Lock()
	p.pastes = append(p.pastes, raw)
	p.mu.Unlock()
	if !strings.Contains(raw, "state=xyz") {
		return errors.New(p.name + ": the pasted URL is not this sign-in's redirect (state mismatch)")
	}
	p.finish(nil)
	return nil
}

func (p *fakePending) SubmitPassword(pw string) error {
	p.mu.Lock()
	p.passwords = append(p.passwords, pw)
	p.mu.Unlock()
	if pw != "right" {
		return errors.New(p.name + ": invalid_grant: wrong password")
	}
	p.finish(nil)
	return nil
}

// finish ends the sign-in with err, or with a token when err is nil.
func (p *fakePending) finish(err error) {
	select {
	case p.done <- err:
	default:
	}
}

func (p *fakePending) Wait(ctx context.Context) (*flows.Token, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.cancelled:
		return nil, errors.New(p.name + ": sign-in cancelled")
	case err := <-p.done:
		if err != nil {
			return nil, err
		}
		p.b.mu.Lock()
		defer p.b.mu.Unlock()
		st := p.b.states[p.name].Clone()
		st.Token = p.b.newToken(p.name)
		st.NeedsSignIn = false
		st.LastError = ""
		p.b.putLocked(p.name, st)
		return st.Token.Clone(), nil
	}
}

func (p *fakePending) Cancel() {
	p.mu.Lock()
	p.cancels++
	p.mu.Unlock()
	p.once.Do(func() { close(p.cancelled) })
}

func (p *fakePending) cancelCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cancels
}

func (p *fakePending) submitted() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.passwords...)
}

// SetConfig replaces the configuration, as the Service's does on a reload.
func (f *fakeBackend) SetConfig(cfg *flows.Config) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cfg = cfg
}
