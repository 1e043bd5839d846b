package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/flows/oauth"
	"tokentop/flows/providertest"
)

// TestRunRenew: each name renewed now, a line each on stdout; a failure on
// stderr and exit 1; a name given twice renewed once.
func TestRunRenew(t *testing.T) {
	clk := newClock()
	svc, fake := newServiceAt(t, clk.Now)
	ctx := context.Background()
	first, err := svc.Token(ctx, "aikido", 0)
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err = RunRenew(ctx, RenewOptions{Service: svc, Names: []string{"aikido", "aikido"}, Out: &out, ErrOut: &errOut})
	if err != nil || out.String() != "aikido: renewed, valid for 1m 30s\n" || errOut.Len() != 0 {
		t.Fatalf("renew aikido: %v, stdout %q, stderr %q", err, out.String(), errOut.String())
	}
	if n := fake.Count(providertest.Aikido, "client_credentials"); n != 2 {
		t.Fatalf("%d token requests, want 2: a valid token is renewed all the same, once for a name given twice", n)
	}
	if st, _ := svc.State("aikido"); st.Token.AccessToken == first.AccessToken {
		t.Fatal("the stored token is the one before the renewal")
	}

	out.Reset()
	errOut.Reset()
	err = RunRenew(ctx, RenewOptions{Service: svc, Names: []string{"aerion", "aikido"}, Out: &out, ErrOut: &errOut})
	wantKind(t, err, Attention, false)
	if out.String() != "aikido: renewed, valid for 1m 30s\n" {
		t.Errorf("stdout %q", out.String())
	}
	if want := "tokentop: aerion: sign-in required: run tokentop login aerion\n"; errOut.String() != want {
		t.Errorf("stderr %q, want %q", errOut.String(), want)
	}
}

// TestRunRenewUsage: no names and no --all, both, or an unknown name are
// usage errors, said before anything is renewed.
func TestRunRenewUsage(t *testing.T) {
	cases := map[string]struct {
		opts RenewOptions
		want string
	}{
		"nothing":   {RenewOptions{}, "renew: name the connections to renew, or give --all"},
		"both":      {RenewOptions{Names: []string{"aikido"}, All: true}, "renew: give connection names or --all, not both"},
		"unknown":   {RenewOptions{Names: []string{"aikido", "nope"}}, "nope: unknown connection (configured: 2 connections in config.toml)"},
		"misspelt":  {RenewOptions{Names: []string{"aikido", "aikdo"}}, "aikdo: unknown connection; did you mean aikido?"},
		"misspelt2": {RenewOptions{Names: []string{"aerin"}}, "aerin: unknown connection; did you mean aerion?"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			svc, fake := newService(t)
			var out, errOut bytes.Buffer
			tc.opts.Service, tc.opts.Out, tc.opts.ErrOut = svc, &out, &errOut
			err := RunRenew(context.Background(), tc.opts)
			wantKind(t, err, Usage, true)
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %q, want it to start with %q", err, tc.want)
			}
			if out.Len() != 0 || errOut.Len() != 0 || len(fake.Requests(providertest.Aikido)) != 0 {
				t.Errorf("printed %q %q, %d requests", out.String(), errOut.String(), len(fake.Requests(providertest.Aikido)))
			}
		})
	}
}

// TestRunRenewAll: --all renews what can renew without a person and says
// what it skipped and why, on stderr; the skipped are no failure.
func TestRunRenewAll(t *testing.T) {
	clk := newClock()
	svc, fake := newServiceAt(t, clk.Now)
	var out, errOut bytes.Buffer
	if err := RunRenew(context.Background(), RenewOptions{Service: svc, All: true, Out: &out, ErrOut: &errOut}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "aikido: renewed, valid for 1m 30s\n" {
		t.Errorf("stdout %q", out.String())
	}
	if want := "tokentop: aerion: skipped: signed out; only a person can sign in: run tokentop login aerion\n"; errOut.String() != want {
		t.Errorf("stderr %q, want %q", errOut.String(), want)
	}
	if n := len(fake.Requests(providertest.Aerion)); n != 0 {
		t.Errorf("%d requests to the skipped provider", n)
	}
}

// TestRunRenewBounded: many renewals at once reach the provider at most
// renewalsAtOnce at a time, and print in the order named.
func TestRunRenewBounded(t *testing.T) {
	gate := make(chan struct{})
	var mu sync.Mutex
	active, peak := 0, 0
	svc := boundedService(t, 20, func() {
		mu.Lock()
		active++
		peak = max(peak, active)
		full := active == renewalsAtOnce
		mu.Unlock()
		if full {
			close(gate)
		}
		select {
		case <-gate:
		case <-time.After(10 * time.Second): // fewer at once than the bound: the test fails, without hanging
		}
		mu.Lock()
		active--
		mu.Unlock()
	})
	var out, errOut bytes.Buffer
	names := svc.Config().Names()
	if err := RunRenew(context.Background(), RenewOptions{Service: svc, Names: names, Out: &out, ErrOut: &errOut}); err != nil {
		t.Fatalf("%v: %s", err, errOut.String())
	}
	if peak != renewalsAtOnce {
		t.Errorf("%d renewals at once, want %d", peak, renewalsAtOnce)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	for i, n := range names {
		if i >= len(lines) || !strings.HasPrefix(lines[i], n+": renewed") {
			t.Fatalf("line %d of\n%s\nis not %s's", i, out.String(), n)
		}
	}
}

// TestRunTokenMinValid: an explicit --min-valid longer than the provider's
// token life renews any token older than a tenth of its life, and says so
// once; without the flag the half-life rule stays.
func TestRunTokenMinValid(t *testing.T) {
	clk := newClock()
	svc, fake := newServiceAt(t, clk.Now)
	fake.SetLifetime(providertest.Aikido, time.Hour)
	ctx := context.Background()
	get := func(given bool) (string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		err := RunToken(ctx, TokenOptions{Service: svc, Name: "aikido", MinValid: 2 * time.Hour, MinValidGiven: given, Out: &out, ErrOut: &errOut})
		if err != nil {
			t.Fatal(err)
		}
		return out.String(), errOut.String()
	}
	requests := func() int { return fake.Count(providertest.Aikido, "client_credentials") }
	first, _ := get(false)
	clk.Add(20 * time.Minute)
	if tok, said := get(false); tok != first || said != "" || requests() != 1 {
		t.Fatalf("without --min-valid, a token at a third of its life: renewed (%d requests), or said %q", requests(), said)
	}
	const note = "tokentop: aikido: the provider's tokens live 1h 00m, less than --min-valid 2h: renewing any older than 6m 00s\n"
	tok, said := get(true)
	if tok == first || requests() != 2 || said != note {
		t.Fatalf("--min-valid 2h, a token 20m old: %d requests; stderr %q, want %q", requests(), said, note)
	}
	clk.Add(5 * time.Minute)
	if again, said := get(true); again != tok || requests() != 2 || said != note {
		t.Fatalf("--min-valid 2h, a token 5m old: %d requests, stderr %q", requests(), said)
	}
	clk.Add(2 * time.Minute)
	// Concurrent callers who all found the token 7m old: one renewal.
	var wg sync.WaitGroup
	got := make([]string, 10)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out, errOut bytes.Buffer
			if err := RunToken(ctx, TokenOptions{Service: svc, Name: "aikido", MinValid: 2 * time.Hour, MinValidGiven: true, Out: &out, ErrOut: &errOut}); err != nil {
				t.Error(err)
			}
			got[i] = out.String()
		}()
	}
	wg.Wait()
	if requests() != 3 {
		t.Fatalf("10 concurrent callers: %d renewals, want 1", requests()-2)
	}
	for _, g := range got {
		if g != got[0] || g == tok {
			t.Fatalf("concurrent callers got different or old tokens")
		}
	}
}

// TestRunTokenMinValidFits: an explicit --min-valid within the token's
// life is the plain rule, with nothing said.
func TestRunTokenMinValidFits(t *testing.T) {
	clk := newClock()
	svc, fake := newServiceAt(t, clk.Now)
	fake.SetLifetime(providertest.Aikido, time.Hour)
	var out, errOut bytes.Buffer
	opts := TokenOptions{Service: svc, Name: "aikido", MinValid: 30 * time.Minute, MinValidGiven: true, Out: &out, ErrOut: &errOut}
	for range 2 {
		if err := RunToken(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
		clk.Add(20 * time.Minute)
	}
	if n := fake.Count(providertest.Aikido, "client_credentials"); n != 1 || errOut.Len() != 0 {
		t.Fatalf("%d requests, stderr %q", n, errOut.String())
	}
	if err := RunToken(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if n := fake.Count(providertest.Aikido, "client_credentials"); n != 2 {
		t.Fatalf("a token with 20m left of 1h, --min-valid 30m: %d requests, want a renewal", n)
	}
}

func TestShortDuration(t *testing.T) {
	cases := map[time.Duration]string{2 * time.Hour: "2h", 90 * time.Minute: "1h30m", 90 * time.Second: "1m30s", 5 * time.Minute: "5m", 45 * time.Second: "45s"}
	for d, want := range cases {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// hookedClient calls hook before each client-credentials request.
type hookedClient struct {
	flows.Client
	hook func()
}

func (h hookedClient) ClientCredentials(ctx context.Context) (*flows.Token, error) {
	h.hook()
	return h.Client.ClientCredentials(ctx)
}

// boundedService is a Service of n Aikido connections on one fake, whose
// every token request calls hook first.
func boundedService(t *testing.T, n int, hook func()) *flows.Service {
	t.Helper()
	fake := providertest.New(providertest.Options{})
	t.Cleanup(fake.Close)
	var conf strings.Builder
	for i := range n {
		fmt.Fprintf(&conf, "[connections.aikido-%02d]\nprovider = \"aikido\"\nclient_id = %q\nclient_secret = %q\ntoken_url = %q\n\n",
			i, providertest.AikidoClientID, providertest.AikidoClientSecret, fake.AikidoTokenURL())
	}
	cfg, err := config.Parse("config.toml", []byte(conf.String()))
	if err != nil {
		t.Fatal(err)
	}
	newClient := func(c *flows.Connection, o flows.ClientOptions) (flows.Client, error) {
		cl, err := oauth.New(c, o)
		return hookedClient{cl, hook}, err
	}
	return flows.NewService(cfg, flows.Options{NewClient: newClient, Store: mustOpen(t)})
}

// TestRenewFrom: a caller who decided to renew from a token that another
// caller has renewed since gets that renewal, not one more: what keeps
// concurrent token --min-valid callers to one renewal however they
// interleave. A nil from is the token stored now.
func TestRenewFrom(t *testing.T) {
	svc, fake := newService(t)
	ctx := context.Background()
	old, err := svc.Token(ctx, "aikido", 0)
	if err != nil {
		t.Fatal(err)
	}
	first, err := svc.RenewFrom(ctx, "aikido", old)
	if err != nil || first.AccessToken == old.AccessToken {
		t.Fatalf("renewing from the stored token: %v", err)
	}
	second, err := svc.RenewFrom(ctx, "aikido", old)
	if err != nil || second.AccessToken != first.AccessToken {
		t.Fatalf("renewing from a token renewed since: %v, a different token", err)
	}
	if n := fake.Count(providertest.Aikido, "client_credentials"); n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}
	if third, err := svc.RenewFrom(ctx, "aikido", nil); err != nil || third.AccessToken == first.AccessToken {
		t.Fatalf("renewing from the token stored now: %v", err)
	}
}

// TestRunTokenMinValidRenewalFails: when the renewal --min-valid asks for
// fails, a token the half-life rule accepts is handed out with a warning;
// one it does not accept is a failure.
func TestRunTokenMinValidRenewalFails(t *testing.T) {
	clk := newClock()
	svc, fake := newServiceAt(t, clk.Now)
	fake.SetLifetime(providertest.Aikido, time.Hour)
	ctx := context.Background()
	first, err := svc.Token(ctx, "aikido", 0)
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(20 * time.Minute)
	fake.FailNext(providertest.Aikido, 1, 400, `{"error":"invalid_client"}`, nil)
	var out, errOut bytes.Buffer
	opts := TokenOptions{Service: svc, Name: "aikido", MinValid: 2 * time.Hour, MinValidGiven: true, Out: &out, ErrOut: &errOut}
	if err := RunToken(ctx, opts); err != nil {
		t.Fatalf("a failed renewal with 40m of 1h left: %v", err)
	}
	if out.String() != first.AccessToken+"\n" || !strings.Contains(errOut.String(), "tokentop: warning: aikido: ") ||
		!strings.Contains(errOut.String(), "invalid_client: renewal failed, so the current token is handed out, valid for 40m 00s\n") {
		t.Fatalf("stdout is the current token: %v; stderr %q", out.String() == first.AccessToken+"\n", errOut.String())
	}
	clk.Add(15 * time.Minute) // 25m of 1h left: the half-life rule renews too
	fake.FailNext(providertest.Aikido, 1, 400, `{"error":"invalid_client"}`, nil)
	out.Reset()
	err = RunToken(ctx, opts)
	wantKind(t, err, Attention, true)
	if out.Len() != 0 {
		t.Fatalf("printed %q", out.String())
	}
}
