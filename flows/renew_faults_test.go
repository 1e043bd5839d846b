package flows_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/flows/fault"
	"tokentop/flows/oauth"
	"tokentop/flows/providertest"
	"tokentop/store"
)

// TestBlipKeepsRefreshToken (point 1): with the provider unreachable
// (connection refused), a renewal fails without reaching it: the refresh
// token is intact, the connection reads "renewal failing … retrying in 5s"
// and needs attention but not a person, and once the network is back the
// same refresh token renews it.
func TestBlipKeepsRefreshToken(t *testing.T) {
	e, gate := gatedEnv(t, providertest.Options{}, aerionConf)
	first := e.signInPassword("aerion", providertest.AerionPassword)
	e.clock.Advance(2 * time.Hour)

	gate.Down()
	for range 3 {
		_, err := e.svc.Token(e.ctx, "aerion", time.Minute)
		if err == nil || errors.Is(err, flows.ErrSignInRequired) || !fault.NotSent(err) {
			t.Fatalf("err = %v: want a renewal that was not sent, not a sign-in", err)
		}
		if !strings.HasPrefix(err.Error(), "aerion: token endpoint: not sent: cannot connect") {
			t.Errorf("err = %q", err)
		}
	}
	if n := e.fake.Count(providertest.Aerion, "refresh_token"); n != 0 {
		t.Fatalf("%d refresh requests reached the provider through a shut gate", n)
	}
	st := e.state("aerion")
	if st.NeedsSignIn || st.Token.RefreshToken != first.RefreshToken {
		t.Fatalf("after the blip: needs sign-in %v, refresh token kept %v", st.NeedsSignIn, st.Token.RefreshToken == first.RefreshToken)
	}
	as := flows.Assess(e.svc.Config().Connection("aerion"), st, e.clock.Now())
	if as.Condition != flows.Failing || !as.Condition.NeedsAttention() {
		t.Fatalf("condition %v", as.Condition)
	}
	if want := "token endpoint: not sent: cannot connect"; !strings.HasPrefix(as.Reason, want) || !strings.HasSuffix(as.Reason, "; retrying in 20s") {
		t.Errorf("reason %q, want %q… and the retry after 3 failures", as.Reason, want)
	}

	if err := gate.Up(); err != nil {
		t.Fatal(err)
	}
	tok, err := e.svc.Token(e.ctx, "aerion", time.Minute)
	if err != nil {
		t.Fatalf("after the blip: %v", err)
	}
	if rr := e.lastRequest(providertest.Aerion, "refresh_token"); rr.Form.Get("refresh_token") != first.RefreshToken || rr.Status != http.StatusOK {
		t.Fatalf("the renewal after the blip did not use the kept refresh token (status %d)", rr.Status)
	}
	st = e.state("aerion")
	if st.LastError != "" || st.Failures != 0 || st.Token.AccessToken != tok.AccessToken {
		t.Fatalf("a success did not clear the failures: %q %d", st.LastError, st.Failures)
	}
}

// TestSentUnansweredNamesWhatHappened (point 1): a refresh sent and never
// answered twice needs a person, and the reason says it was sent and not
// answered, not that the provider refused it.
func TestSentUnansweredNamesWhatHappened(t *testing.T) {
	release := make(chan struct{})
	var hits atomic.Int32
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(silent.Close)
	t.Cleanup(func() { close(release) })
	e := newEnv(t, providertest.Options{}, "")
	cfg, err := config.Parse("test.toml", []byte(strings.ReplaceAll(aerionConf, "{URL}", silent.URL)))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.Update("aerion", func(st *flows.State) error {
		st.Token = &flows.Token{AccessToken: "old-access", RefreshToken: "old-refresh", TokenType: "Bearer",
			ObtainedAt: e.clock.Now().Add(-2 * time.Hour), Expiry: e.clock.Now().Add(-time.Hour)}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	svc := flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: e.db, Now: e.clock.Now, RenewalDeadline: 200 * time.Millisecond})
	_, err = svc.Token(e.ctx, "aerion", time.Minute)
	if !errors.Is(err, flows.ErrSignInRequired) || !strings.Contains(err.Error(), "sent twice and never answered (timed out)") {
		t.Fatalf("err = %v", err)
	}
	if hits.Load() != 2 {
		t.Errorf("%d requests, want 2", hits.Load())
	}
	as := flows.Assess(cfg.Connection("aerion"), e.state("aerion"), e.clock.Now())
	if as.Condition != flows.SignInRequired || !strings.Contains(as.Reason, "never answered") {
		t.Errorf("condition %v, reason %q", as.Condition, as.Reason)
	}
}

// TestNoRotatingRefreshWithoutWritableState (point 3): when the state file
// cannot be written, a refresh token is never sent: the current token is
// handed out while it is valid, with the reason, and nothing reaches the
// provider.
func TestNoRotatingRefreshWithoutWritableState(t *testing.T) {
	e := newEnv(t, providertest.Options{}, aerionConf)
	first := e.signInPassword("aerion", providertest.AerionPassword)
	fs := &flakyStore{DB: e.db}
	svc := flows.NewService(e.svc.Config(), flows.Options{NewClient: oauth.New, Store: fs, Now: e.clock.Now, RenewalDeadline: testRenewalDeadline})
	fs.failing.Store(true)

	// Within the margin, still valid: the current token, and why.
	e.clock.Advance(first.Expiry.Sub(e.clock.Now()) - 30*time.Second)
	tok, err := svc.Token(e.ctx, "aerion", time.Minute)
	var nw *flows.NotWritableError
	if tok == nil || tok.AccessToken != first.AccessToken || !errors.As(err, &nw) || !flows.Usable(err) {
		t.Fatalf("token %v, err %v: want the current token and a *NotWritableError", tok, err)
	}
	if want := "aerion: state file cannot be written (" + errDiskFull.Error() + "): not renewing, so the refresh token is not lost"; err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err, want)
	}
	// Expired: no token, the same reason.
	e.clock.Advance(time.Hour)
	tok, err = svc.Token(e.ctx, "aerion", time.Minute)
	if tok != nil || !errors.As(err, &nw) {
		t.Fatalf("expired: token %v, err %v", tok, err)
	}
	if n := e.fake.Count(providertest.Aerion, "refresh_token"); n != 0 {
		t.Fatalf("%d refresh requests sent while the state could not be written", n)
	}
	// Writable again: the same refresh token renews.
	fs.failing.Store(false)
	if _, err := svc.Token(e.ctx, "aerion", time.Minute); err != nil {
		t.Fatal(err)
	}
	if rr := e.lastRequest(providertest.Aerion, "refresh_token"); rr.Form.Get("refresh_token") != first.RefreshToken || rr.Status != http.StatusOK {
		t.Fatal("the refresh token kept was not the one used")
	}
}

// TestSaveRetriedUntilTheDiskTakesIt (point 3): a save that fails after the
// answer arrived is retried within the renewal's deadline; one that never
// succeeds says plainly that the rotated refresh token was not kept.
func TestSaveRetriedUntilTheDiskTakesIt(t *testing.T) {
	e := newEnv(t, providertest.Options{}, aerionConf)
	e.signInPassword("aerion", providertest.AerionPassword)
	fs := &countedStore{flakyStore: flakyStore{DB: e.db}}
	svc := flows.NewService(e.svc.Config(), flows.Options{NewClient: oauth.New, Store: fs, Now: e.clock.Now, RenewalDeadline: testRenewalDeadline})

	e.clock.Advance(2 * time.Hour)
	fs.failNext.Store(3) // the disk is full for three tries
	tok, err := svc.Token(e.ctx, "aerion", time.Minute)
	if err != nil {
		t.Fatalf("err = %v: the save was not retried", err)
	}
	if st := e.state("aerion"); st.Token.RefreshToken != tok.RefreshToken || st.InFlight != nil {
		t.Fatal("the renewed token is not in the file")
	}

	svc = flows.NewService(e.svc.Config(), flows.Options{NewClient: oauth.New, Store: fs, Now: e.clock.Now, RenewalDeadline: 200 * time.Millisecond})
	e.clock.Advance(2 * time.Hour)
	fs.failNext.Store(1 << 30)
	tok, err = svc.Token(e.ctx, "aerion", time.Minute)
	var ns *flows.NotSavedError
	if tok == nil || !errors.As(err, &ns) || !ns.RotatedLost {
		t.Fatalf("token %v, err %v", tok, err)
	}
	if !strings.Contains(err.Error(), "the rotated refresh token could not be kept, so the next renewal will need a sign-in") {
		t.Errorf("err = %q", err)
	}
}

// TestLogoutWaitsForRenewalInFlight (point 4): logout while another process
// is renewing waits for that renewal, then revokes its result, so no token
// pair outlives the sign-out; a renewal that waited for logout's lock finds
// the connection signed out and sends nothing.
func TestLogoutWaitsForRenewalInFlight(t *testing.T) {
	e := newEnv(t, providertest.Options{}, "")
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	var held atomic.Bool
	held.Store(true)
	target, _ := url.Parse(e.fake.URL)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if form, _ := url.ParseQuery(string(body)); strings.HasSuffix(r.URL.Path, "/token") && held.Load() && form.Get("grant_type") == "refresh_token" {
			arrived <- struct{}{}
			<-release
		}
		r.URL.Scheme, r.URL.Host, r.Host = target.Scheme, target.Host, target.Host
		r.RequestURI = ""
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(proxy.Close)
	conf := strings.ReplaceAll(`
[connections.idp]
provider = "oauth2"
flow = "authorization_code"
client_id = "`+providertest.OAuth2PublicClientID+`"
scopes = ["openid", "offline_access"]
auth_url = "{URL}/oauth2/authorize"
token_url = "{URL}/oauth2/token"
revoke_url = "{URL}/oauth2/revoke"
`, "{URL}", proxy.URL)
	cfg, err := config.Parse("test.toml", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	// Two processes: two stores and services on one file.
	db2, err := store.Open(e.db.Path(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	renewer := flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: e.db, Now: e.clock.Now, RenewalDeadline: testRenewalDeadline})
	leaver := flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: db2, Now: e.clock.Now, RenewalDeadline: testRenewalDeadline})
	e.svc = renewer
	held.Store(false)
	e.signInBrowser("idp")
	held.Store(true)
	e.clock.Advance(2 * time.Hour)

	renewed := make(chan *flows.Token, 1)
	go func() {
		tok, err := renewer.Token(e.ctx, "idp", time.Minute)
		if err != nil {
			t.Errorf("renewal: %v", err)
		}
		renewed <- tok
	}()
	<-arrived
	loggedOut := make(chan error, 1)
	go func() { loggedOut <- leaver.Logout(e.ctx, "idp") }()
	select {
	case err := <-loggedOut:
		t.Fatalf("logout did not wait for the renewal in flight: %v", err)
	case <-time.After(100 * time.Millisecond):
		// Still waiting, as it should: the renewal holds the lock. (A
		// bounded look, not a synchronisation: the assertions below
		// hold whatever the timing.)
	}
	close(release)
	tok := <-renewed
	if err := <-loggedOut; err != nil {
		t.Fatal(err)
	}
	if tok == nil {
		t.Fatal("the renewal in flight failed")
	}
	revoked := map[string]bool{}
	for _, r := range e.fake.Requests(providertest.OAuth2) {
		if strings.HasSuffix(r.Path, "/revoke") {
			revoked[r.Form.Get("token")] = true
		}
	}
	if !revoked[tok.RefreshToken] {
		t.Fatal("logout did not revoke the refresh token the renewal in flight obtained")
	}
	if st := e.state("idp"); st.Token != nil {
		t.Fatal("the renewal in flight saved a token after logout")
	}
	before := e.fake.Count(providertest.OAuth2, "refresh_token")
	if _, err := renewer.Token(e.ctx, "idp", time.Minute); !errors.Is(err, flows.ErrSignInRequired) {
		t.Fatalf("after logout: %v", err)
	}
	if n := e.fake.Count(providertest.OAuth2, "refresh_token"); n != before {
		t.Fatal("a renewal after logout sent a refresh token")
	}
}

// TestLockWaitBoundedAndNamed (point 5): waiting for another process's
// renewal gives up after the renewal deadline plus a margin, naming the
// process and when it started.
func TestLockWaitBoundedAndNamed(t *testing.T) {
	e := newEnv(t, providertest.Options{}, aerionConf)
	e.signInPassword("aerion", providertest.AerionPassword)
	other, err := store.Open(e.db.Path(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := other.Lock(e.ctx, "aerion")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	svc := flows.NewService(e.svc.Config(), flows.Options{NewClient: oauth.New, Store: e.db, Now: e.clock.Now, RenewalDeadline: 100 * time.Millisecond})
	e.clock.Advance(2 * time.Hour)
	start := time.Now()
	_, err = svc.Token(e.ctx, "aerion", time.Minute)
	var held *flows.LockHeldError
	if !errors.As(err, &held) {
		t.Fatalf("err = %v, want a *LockHeldError", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("gave up after %v", d)
	}
	want := fmt.Sprintf("aerion is being renewed by process %d (since ", os.Getpid())
	if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "); gave up after ") {
		t.Errorf("err = %q, want %q…", err, want)
	}
}

// TestTokenStaysWithItsOrigin (point 6): a refresh token is never sent to a
// token endpoint, issuer or client other than the one that issued it.
func TestTokenStaysWithItsOrigin(t *testing.T) {
	tests := map[string]struct {
		edit func(string) string
		want string
	}{
		"token_url": {
			func(c string) string { return strings.Replace(c, "/aerion/oauth2/token", "/aerion/oauth2/token2", 1) },
			"aerion: sign-in required: token_url changed since sign-in (was http://127.0.0.1:",
		},
		"client_id": {
			func(c string) string {
				return strings.Replace(c, `client_id = "tokentop-tests"`, `client_id = "someone-else"`, 1)
			},
			"aerion: sign-in required: client_id changed since sign-in (was tokentop-tests)",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, providertest.Options{}, aerionConf)
			e.signInPassword("aerion", providertest.AerionPassword)
			if e.state("aerion").Token.Origin.IsZero() {
				t.Fatal("the sign-in recorded no origin")
			}
			cfg, err := config.Parse("test.toml", []byte(strings.ReplaceAll(tc.edit(aerionConf), "{URL}", e.fake.URL)))
			if err != nil {
				t.Fatal(err)
			}
			svc := flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: e.db, Now: e.clock.Now})
			e.clock.Advance(2 * time.Hour)
			before := len(e.fake.Requests(providertest.Aerion))
			_, err = svc.Token(e.ctx, "aerion", time.Minute)
			if !errors.Is(err, flows.ErrSignInRequired) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant %s…", err, tc.want)
			}
			if n := len(e.fake.Requests(providertest.Aerion)); n != before {
				t.Fatalf("%d requests sent with a token of another origin", n-before)
			}
		})
	}
}

// TestFailingRenewalNeedsAttention (point 7): a client-credentials
// connection whose renewals fail (invalid_client) needs attention, with or
// without a token stored.
func TestFailingRenewalNeedsAttention(t *testing.T) {
	e := newEnv(t, providertest.Options{}, strings.Replace(aikidoConf, providertest.AikidoClientSecret, "wrong-secret-value", 1))
	c := e.svc.Config().Connection("aikido")
	if as := flows.Assess(c, e.state("aikido"), e.clock.Now()); as.Condition.NeedsAttention() {
		t.Fatalf("before any attempt: %v", as.Condition)
	}
	if _, err := e.svc.Token(e.ctx, "aikido", time.Minute); err == nil {
		t.Fatal("a wrong secret got a token")
	}
	as := flows.Assess(c, e.state("aikido"), e.clock.Now())
	if as.Condition != flows.Failing || !as.Condition.NeedsAttention() || !strings.Contains(as.Reason, "invalid_client") {
		t.Fatalf("condition %v (%q)", as.Condition, as.Reason)
	}
}
