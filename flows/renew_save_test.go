package flows_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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

// TestRenewedButNotSaved: a renewal whose save fails hands out
// the token with a *NotSavedError, keeps handing it out from memory, renews
// a rotating grant with the refresh token only memory holds, and saves it
// as soon as the store works again.
func TestRenewedButNotSaved(t *testing.T) {
	e := newEnv(t, providertest.Options{}, aerionConf)
	e.signInPassword("aerion", providertest.AerionPassword)
	fs := &flakyStore{DB: e.db}
	svc := flows.NewService(e.svc.Config(), flows.Options{NewClient: oauth.New, Store: fs, Now: e.clock.Now, RenewalDeadline: 200 * time.Millisecond})

	e.clock.Advance(2 * time.Hour)
	fs.failSaves.Store(true)
	tok, err := svc.Token(e.ctx, "aerion", time.Minute)
	var ns *flows.NotSavedError
	if tok == nil || !errors.As(err, &ns) || !errors.Is(err, errDiskFull) {
		t.Fatalf("token %v, err %v: want a token and a *NotSavedError", tok, err)
	}
	if !strings.Contains(err.Error(), "renewed but not saved") || !strings.HasPrefix(err.Error(), "aerion: ") {
		t.Errorf("err = %q", err)
	}
	if n := e.fake.Count(providertest.Aerion, "refresh_token"); n != 1 {
		t.Fatalf("%d refresh requests, want 1", n)
	}
	// Still handed out, from memory, with no new request; State shows it.
	again, err := svc.Token(e.ctx, "aerion", time.Minute)
	if again == nil || again.AccessToken != tok.AccessToken || !errors.As(err, &ns) {
		t.Fatalf("second Token: %v, %v", again, err)
	}
	if st, err := svc.State("aerion"); err != nil || st.Token.AccessToken != tok.AccessToken {
		t.Fatalf("State does not show the unsaved token: %v", err)
	}
	if n := e.fake.Count(providertest.Aerion, "refresh_token"); n != 1 {
		t.Fatalf("%d refresh requests for a token held in memory", n)
	}

	// The unsaved token expires while the disk is still full: the next
	// renewal must send the rotated refresh token that only memory holds,
	// not the stored one the server has retired.
	e.clock.Advance(2 * time.Hour)
	tok2, err := svc.Token(e.ctx, "aerion", time.Minute)
	if tok2 == nil || !errors.As(err, &ns) {
		t.Fatalf("renewal from the unsaved token: %v, %v", tok2, err)
	}
	rr := e.lastRequest(providertest.Aerion, "refresh_token")
	if rr.Form.Get("refresh_token") != tok.RefreshToken {
		t.Fatal("the second renewal did not send the refresh token held in memory")
	}
	if rr.Status != http.StatusOK {
		t.Fatalf("second renewal answered %d", rr.Status)
	}

	// The store works again: the next call saves, and the file holds it.
	fs.failSaves.Store(false)
	if _, _, err := svc.Changed(0); err != nil {
		t.Fatal(err)
	}
	st := e.state("aerion")
	if st.Token == nil || st.Token.AccessToken != tok2.AccessToken || st.Token.RefreshToken != tok2.RefreshToken {
		t.Fatal("the unsaved token was not saved once the store worked")
	}
	if got, err := svc.Token(e.ctx, "aerion", time.Minute); err != nil || got.AccessToken != tok2.AccessToken {
		t.Fatalf("after saving: %v, %v", got, err)
	}
	// Saved through Token as well, not only Changed.
	e.clock.Advance(2 * time.Hour)
	fs.failSaves.Store(true)
	tok3, err := svc.Token(e.ctx, "aerion", time.Minute)
	if !errors.As(err, &ns) {
		t.Fatalf("err = %v", err)
	}
	fs.failSaves.Store(false)
	if got, err := svc.Token(e.ctx, "aerion", time.Minute); err != nil || got.AccessToken != tok3.AccessToken {
		t.Fatalf("Token after the store recovered: %v, %v", got, err)
	}
	if e.state("aerion").Token.AccessToken != tok3.AccessToken {
		t.Fatal("Token did not retry the save")
	}
}

// TestRenewedButNotSavedMaxSize: the real store's size cap
// (ErrMaxSizeReached) is a NotSavedError too.
func TestRenewedButNotSavedMaxSize(t *testing.T) {
	e := newEnv(t, providertest.Options{}, aikidoConf)
	path := filepath.Join(t.TempDir(), "small.db")
	db, err := store.Open(path, store.Options{MaxSize: 1})
	if err != nil {
		t.Fatalf("cannot open a capped store: %v", err)
	}
	svc := flows.NewService(e.svc.Config(), flows.Options{NewClient: oauth.New, Store: db, Now: e.clock.Now, RenewalDeadline: 200 * time.Millisecond})
	// Fill the file until a write is refused, then renew.
	big := strings.Repeat("x", 64<<10)
	for i := 0; ; i++ {
		err := db.Update("filler", func(st *flows.State) error {
			st.Record(e.clock.Now(), flows.EventCheck, big)
			return nil
		})
		if err != nil {
			break
		}
		if i > 200 {
			t.Fatal("MaxSize did not cap the file")
		}
	}
	tok, err := svc.Token(e.ctx, "aikido", time.Minute)
	var ns *flows.NotSavedError
	if tok == nil || !errors.As(err, &ns) || !strings.Contains(err.Error(), "renewed but not saved") {
		t.Fatalf("token %v err %v", tok, err)
	}
}

// TestRotationSurvivesRestart: after a renewal at a rotating
// server, a new Service on the same file sends only the new refresh token.
func TestRotationSurvivesRestart(t *testing.T) {
	e := newEnv(t, providertest.Options{}, aerionConf)
	first := e.signInPassword("aerion", providertest.AerionPassword)
	e.clock.Advance(2 * time.Hour)
	renewed, err := e.svc.Token(e.ctx, "aerion", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if renewed.RefreshToken == first.RefreshToken {
		t.Fatal("the fake did not rotate")
	}
	// Restart: a new store handle and a new Service on the same file.
	db2, err := store.Open(e.db.Path(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc2 := flows.NewService(e.svc.Config(), flows.Options{NewClient: oauth.New, Store: db2, Now: e.clock.Now})
	for range 3 {
		e.clock.Advance(2 * time.Hour)
		if _, err := svc2.Token(e.ctx, "aerion", time.Minute); err != nil {
			t.Fatalf("renewal after restart: %v", err)
		}
	}
	sent := map[string]int{}
	for _, r := range e.fake.Requests(providertest.Aerion) {
		if r.Grant != "refresh_token" {
			continue
		}
		if r.Status != http.StatusOK {
			t.Errorf("refresh answered %d", r.Status)
		}
		sent[r.Form.Get("refresh_token")]++
	}
	if len(sent) != 4 {
		t.Fatalf("%d distinct refresh tokens over 4 renewals", len(sent))
	}
	for rt, n := range sent {
		if n != 1 {
			t.Errorf("a refresh token was sent %d times", n)
		}
		_ = rt
	}
	if sent[renewed.RefreshToken] != 1 {
		t.Error("the restarted service did not send the rotated refresh token")
	}
}

// TestRefreshInvalidGrantLeavesConfig: invalid_grant on refresh
// is one request, sign-in required, and the configuration file is not
// touched.
func TestRefreshInvalidGrantLeavesConfig(t *testing.T) {
	fake := providertest.New(providertest.Options{})
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.toml")
	conf := []byte(strings.ReplaceAll(aerionConf, "{URL}", fake.URL))
	if err := os.WriteFile(cfgPath, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(cfgPath)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(dir, "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: db})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rt := fake.SeedRefreshToken(providertest.Aerion, providertest.AerionUser)
	if _, err := svc.SeedRefreshToken(ctx, "aerion", rt); err != nil {
		t.Fatal(err)
	}
	fake.FailNext(providertest.Aerion, 1, 400, `{"error":"invalid_grant","error_description":"refresh token expired"}`, nil)
	before := fake.Count(providertest.Aerion, "")
	for range 3 {
		if _, err := svc.Renew(ctx, "aerion"); !errors.Is(err, flows.ErrSignInRequired) {
			t.Fatalf("err = %v", err)
		}
	}
	if n := fake.Count(providertest.Aerion, "") - before; n != 1 {
		t.Fatalf("%d requests after invalid_grant, want 1", n)
	}
	if st, _ := svc.State("aerion"); !st.NeedsSignIn {
		t.Fatal("not marked sign-in required")
	}
	got, err := os.ReadFile(cfgPath)
	if err != nil || !bytes.Equal(got, conf) {
		t.Fatalf("config file changed: %v", err)
	}
	if info2, _ := os.Stat(cfgPath); !info2.ModTime().Equal(info.ModTime()) || info2.Mode() != info.Mode() {
		t.Fatal("config file rewritten")
	}
	if c := svc.Config().Connection("aerion"); c.ClientID != "tokentop-tests" || c.Username != providertest.AerionUser {
		t.Fatal("the connection's config changed in memory")
	}
}

// TestCheckInvalidTokenRenewsOnce: 401 invalid_token renews
// once and checks once more; 403 insufficient_scope says so with no
// renewal; a redirect to another host never carries the token.
func TestCheckInvalidTokenRenewsOnce(t *testing.T) {
	const checkPath = "/aerion/api/v1/me"
	checks := func(e *env) int {
		n := 0
		for _, r := range e.fake.Requests(providertest.Aerion) {
			if r.Path == checkPath {
				n++
			}
		}
		return n
	}
	t.Run("401 invalid_token", func(t *testing.T) {
		e := newEnv(t, providertest.Options{}, aerionConf)
		e.signInPassword("aerion", providertest.AerionPassword)
		// A minute later: a forced renewal in the same clock tick as the
		// sign-in would take the sign-in's token as another process's.
		e.clock.Advance(time.Minute)
		e.fake.FailNextPath(checkPath, 1, 401, `{"error":"invalid_token"}`,
			http.Header{"Www-Authenticate": {`Bearer realm="aerion", error="invalid_token", error_description="revoked"`}})
		chk, err := e.svc.Check(e.ctx, "aerion")
		if err != nil || !chk.OK() {
			t.Fatalf("check %+v err %v", chk, err)
		}
		if n := e.fake.Count(providertest.Aerion, "refresh_token"); n != 1 {
			t.Errorf("%d renewals, want 1", n)
		}
		if n := checks(e); n != 2 {
			t.Errorf("%d checks, want 2", n)
		}
	})
	t.Run("401 twice: one renewal only", func(t *testing.T) {
		e := newEnv(t, providertest.Options{}, aerionConf)
		e.signInPassword("aerion", providertest.AerionPassword)
		// A minute later: a forced renewal in the same clock tick as the
		// sign-in would take the sign-in's token as another process's.
		e.clock.Advance(time.Minute)
		e.fake.FailNextPath(checkPath, 5, 401, ``, http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}})
		chk, err := e.svc.Check(e.ctx, "aerion")
		if err == nil || chk == nil || chk.OK() || !errors.Is(err, fault.ErrInvalidToken) {
			t.Fatalf("check %+v err %v", chk, err)
		}
		if n := e.fake.Count(providertest.Aerion, "refresh_token"); n != 1 {
			t.Errorf("%d renewals, want 1", n)
		}
		if n := checks(e); n != 2 {
			t.Errorf("%d checks, want 2", n)
		}
	})
	t.Run("403 insufficient_scope", func(t *testing.T) {
		e := newEnv(t, providertest.Options{}, aerionConf)
		e.signInPassword("aerion", providertest.AerionPassword)
		e.fake.FailNextPath(checkPath, 1, 403, ``, http.Header{"Www-Authenticate": {`Bearer error="insufficient_scope", scope="admin"`}})
		chk, err := e.svc.Check(e.ctx, "aerion")
		if chk == nil || chk.OK() || !strings.Contains(chk.Err, "insufficient_scope") {
			t.Fatalf("check %+v err %v", chk, err)
		}
		if n := e.fake.Count(providertest.Aerion, "refresh_token"); n != 0 {
			t.Errorf("%d renewals for insufficient_scope", n)
		}
		if n := checks(e); n != 1 {
			t.Errorf("%d checks, want 1", n)
		}
		if st := e.state("aerion"); st.LastCheck == nil || !strings.Contains(st.LastCheck.Err, "insufficient_scope") {
			t.Errorf("last check %+v", st.LastCheck)
		}
	})
	t.Run("redirect to another host", func(t *testing.T) {
		var stolen atomic.Int32
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { stolen.Add(1) }))
		defer other.Close()
		var hops atomic.Int32
		redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hops.Add(1)
			http.Redirect(w, r, other.URL+"/collect", http.StatusTemporaryRedirect)
		}))
		defer redir.Close()
		e := newEnv(t, providertest.Options{}, strings.Replace(aerionConf, `check_url = "{URL}/aerion/api/v1/me"`, `check_url = "`+redir.URL+`/me"`, 1))
		e.signInPassword("aerion", providertest.AerionPassword)
		chk, _ := e.svc.Check(e.ctx, "aerion")
		if chk == nil || chk.OK() || !strings.Contains(chk.Err, "not followed") {
			t.Fatalf("check %+v", chk)
		}
		if stolen.Load() != 0 {
			t.Fatalf("the redirect target got %d requests", stolen.Load())
		}
		if hops.Load() != 1 || e.fake.Count(providertest.Aerion, "refresh_token") != 0 {
			t.Errorf("%d checks, %d renewals", hops.Load(), e.fake.Count(providertest.Aerion, "refresh_token"))
		}
	})
}

// TestRefusedTokenIsRenewed: once a tool reports the token refused, Token
// does not hand it out again but renews, once; the new token clears the mark.
func TestRefusedTokenIsRenewed(t *testing.T) {
	e := newEnv(t, providertest.Options{}, aerionConf)
	e.signInPassword("aerion", providertest.AerionPassword)
	e.clock.Advance(time.Minute)
	old, err := e.svc.Token(e.ctx, "aerion", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Refuse("aerion"); err != nil {
		t.Fatal(err)
	}
	tok, err := e.svc.Token(e.ctx, "aerion", 0)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == old.AccessToken {
		t.Fatal("the refused token was handed out again")
	}
	again, err := e.svc.Token(e.ctx, "aerion", 0)
	if err != nil || again.AccessToken != tok.AccessToken {
		t.Fatalf("after the renewal: %v, %v; want the renewed token", again, err)
	}
	if n := e.fake.Count(providertest.Aerion, "refresh_token"); n != 1 {
		t.Errorf("%d renewals, want 1", n)
	}
	if st, _ := e.svc.State("aerion"); st.Refused {
		t.Error("the new token is still marked refused")
	}
}
