package flows_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/flows/oauth"
	"tokentop/flows/providertest"
	"tokentop/store"
)

// memStore is an in-memory Store, for tests that need a store to behave in
// ways the real one cannot be made to.
type memStore struct {
	mu    sync.Mutex
	m     map[string]flows.State
	rev   uint64
	locks sync.Map // name → chan struct{} of capacity 1
}

func newMemStore() *memStore { return &memStore{m: map[string]flows.State{}} }

func (s *memStore) Load(name string) (flows.State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[name].Clone(), nil
}

func (s *memStore) Update(name string, fn func(*flows.State) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.m[name].Clone()
	if err := fn(&st); err != nil {
		return err
	}
	s.rev++
	st.Rev = s.rev
	s.m[name] = st
	return nil
}

func (s *memStore) Forget(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, name)
	s.rev++
	return nil
}

func (s *memStore) Lock(ctx context.Context, name string) (func(), error) {
	v, _ := s.locks.LoadOrStore(name, make(chan struct{}, 1))
	ch := v.(chan struct{})
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *memStore) Changed(mark uint64) (map[string]flows.State, uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]flows.State{}
	for k, v := range s.m {
		if v.Rev > mark {
			out[k] = v.Clone()
		}
	}
	return out, s.rev, nil
}

// silentTLS is a TCP listener on loopback that accepts connections and
// never says a word: a TLS handshake with it hangs, so a request to it never
// leaves the machine.
func silentTLS(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return "https://" + ln.Addr().String() + "/token"
}

// clock is a settable clock shared by the fakes and the service, so expiry
// is tested without waiting.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testRenewalDeadline bounds the renewals of the tests' services: a request
// left hanging by a test's server ends this long after it was sent.
const testRenewalDeadline = 3 * time.Second

// env is one test's fakes, config, store and service.
type env struct {
	t     *testing.T
	fake  *providertest.Server
	clock *clock
	db    *store.DB
	svc   *flows.Service
	ctx   context.Context
}

// newEnv starts the fakes with opts and a service over the connections in
// conf, a TOML text in which {URL} stands for the fakes' base URL.
func newEnv(t *testing.T, opts providertest.Options, conf string) *env {
	t.Helper()
	clk := newClock()
	opts.Now = clk.Now
	fake := providertest.New(opts)
	t.Cleanup(fake.Close)
	conf = strings.ReplaceAll(conf, "{URL}", fake.URL)
	cfg, err := config.Parse("test.toml", []byte(conf))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return &env{t: t, fake: fake, clock: clk, db: db, ctx: ctx,
		svc: flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: db, Now: clk.Now, RenewalDeadline: testRenewalDeadline})}
}

// signInBrowser runs a browser sign-in with the fake browser.
func (e *env) signInBrowser(name string) *flows.Token {
	e.t.Helper()
	p, err := e.svc.BeginLogin(e.ctx, name)
	if err != nil {
		e.t.Fatalf("begin: %v", err)
	}
	b, ok := p.(flows.BrowserSignIn)
	if !ok {
		e.t.Fatalf("sign-in %T, want a browser sign-in", p)
	}
	browsed := make(chan error, 1)
	go func() { browsed <- providertest.Browse(e.ctx, b.URL()) }()
	tok, err := p.Wait(e.ctx)
	if err != nil {
		e.t.Fatalf("wait: %v", err)
	}
	if err := <-browsed; err != nil {
		e.t.Fatalf("browser: %v", err)
	}
	return tok
}

func (e *env) signInPassword(name, password string) *flows.Token {
	e.t.Helper()
	p, err := e.svc.BeginLogin(e.ctx, name)
	if err != nil {
		e.t.Fatalf("begin: %v", err)
	}
	pw, ok := p.(flows.PasswordSignIn)
	if !ok {
		e.t.Fatalf("sign-in %T, want a password sign-in", p)
	}
	if err := pw.SubmitPassword(password); err != nil {
		e.t.Fatal(err)
	}
	tok, err := p.Wait(e.ctx)
	if err != nil {
		e.t.Fatalf("wait: %v", err)
	}
	return tok
}

func (e *env) lastRequest(provider, grant string) providertest.Recorded {
	e.t.Helper()
	reqs := e.fake.Requests(provider)
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Grant == grant {
			return reqs[i]
		}
	}
	e.t.Fatalf("no %s request with grant %q", provider, grant)
	return providertest.Recorded{}
}

func (e *env) state(name string) flows.State {
	e.t.Helper()
	st, err := e.db.Load(name)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func (e *env) mustCheck(name string) {
	e.t.Helper()
	chk, err := e.svc.Check(e.ctx, name)
	if err != nil || !chk.OK() {
		e.t.Fatalf("check %s: %v %+v", name, err, chk)
	}
}

// flakyStore is a Store whose writes fail while failing is set, as on a full
// disk or a read-only file system. With failSaves set, only the writes that
// do not mark a renewal in flight fail: the disk filled up while the request
// was on its way.
type flakyStore struct {
	*store.DB
	failing   atomic.Bool
	failSaves atomic.Bool
	writes    atomic.Int32 // Update calls that got through
}

var errDiskFull = errors.New("write state.db: no space left on device")

func (f *flakyStore) Update(name string, fn func(*flows.State) error) error {
	if f.failing.Load() {
		return errDiskFull
	}
	if f.failSaves.Load() {
		probe, err := f.DB.Load(name)
		if err != nil {
			return err
		}
		if fn(&probe) != nil || probe.InFlight == nil {
			return errDiskFull
		}
	}
	f.writes.Add(1)
	return f.DB.Update(name, fn)
}

// gatedEnv is newEnv with the connections' URLs going through a Gate that
// the test can shut, as a network blip does.
func gatedEnv(t *testing.T, opts providertest.Options, conf string) (*env, *providertest.Gate) {
	t.Helper()
	e := newEnv(t, opts, "")
	u, err := url.Parse(e.fake.URL)
	if err != nil {
		t.Fatal(err)
	}
	gate, err := providertest.NewGate(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gate.Close)
	cfg, err := config.Parse("test.toml", []byte(strings.ReplaceAll(conf, "{URL}", "http://"+gate.Addr())))
	if err != nil {
		t.Fatal(err)
	}
	e.svc = flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: e.db, Now: e.clock.Now, RenewalDeadline: testRenewalDeadline})
	return e, gate
}

// countedStore fails the next failNext writes that are not renewal marks.
type countedStore struct {
	flakyStore
	failNext atomic.Int32
}

func (c *countedStore) Update(name string, fn func(*flows.State) error) error {
	probe, err := c.DB.Load(name)
	if err != nil {
		return err
	}
	if fn(&probe) == nil && probe.InFlight == nil && c.failNext.Add(-1) >= 0 {
		return errDiskFull
	}
	return c.DB.Update(name, fn)
}
