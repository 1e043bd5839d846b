package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/flows/oauth"
	"tokentop/flows/providertest"
	"tokentop/store"
)

// newService is a Service on fake providers and a state file in a
// temporary directory: aikido (client credentials, fetched without a
// person) and aerion (a password sign-in, signed out).
func newService(t *testing.T) (*flows.Service, *providertest.Server) {
	t.Helper()
	return newServiceAt(t, nil)
}

// newServiceAt is newService with the clock now (time.Now when nil) for
// the service and the fake providers both.
func newServiceAt(t *testing.T, now func() time.Time) (*flows.Service, *providertest.Server) {
	t.Helper()
	fake := providertest.New(providertest.Options{Now: now})
	t.Cleanup(fake.Close)
	conf := fmt.Sprintf(`
[connections.aikido]
provider = "aikido"
client_id = %q
client_secret = %q
token_url = "%s"
check_url = "%s"

[connections.aerion]
provider = "aerion"
company_url = %q
username = %q
client_id = "tokentop-cli-test"
client_secret = "aerion-client-secret"
token_url = "%s"
check_url = "%s"
`, providertest.AikidoClientID, providertest.AikidoClientSecret, fake.AikidoTokenURL(), fake.AikidoCheckURL(),
		providertest.AerionTenant, providertest.AerionUser, fake.AerionTokenURL(), fake.AerionCheckURL())
	cfg, err := config.Parse("config.toml", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	return flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: mustOpen(t), Now: now}), fake
}

// mustOpen opens a state file in a temporary directory.
func mustOpen(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "tokentop.db"), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

// wantKind fails the test unless err is an *Error of kind want with an
// error to print exactly when print is true.
func wantKind(t *testing.T, err error, want Kind, print bool) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *cli.Error", err, err)
	}
	if e.Kind != want || (e.Err != nil) != print {
		t.Fatalf("error %+v: want kind %d, an error to print: %v", e, want, print)
	}
}

// clock is a time a test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
