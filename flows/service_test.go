package flows_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/providertest"
)

const aikidoConf = `
[connections.aikido]
provider = "aikido"
client_id = "` + providertest.AikidoClientID + `"
client_secret = "` + providertest.AikidoClientSecret + `"
token_url = "{URL}/aikido/api/oauth/token"
auth_url = "{URL}/aikido/oauth/authorize"
check_url = "{URL}/aikido/api/public/v1/workspace"
`

func TestAikidoClientCredentials(t *testing.T) {
	e := newEnv(t, providertest.Options{}, aikidoConf)
	tok, err := e.svc.Token(e.ctx, "aikido", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	r := e.lastRequest(providertest.Aikido, "client_credentials")
	// seeds/000: id and secret in an HTTP Basic header, nothing in the body.
	if !r.Basic || r.BasicUser != providertest.AikidoClientID || r.BasicPassword != providertest.AikidoClientSecret {
		t.Fatalf("client auth not Basic with the form-encoded pair: basic=%v user=%q", r.Basic, r.BasicUser)
	}
	if r.Form.Has("client_secret") || r.Form.Has("client_id") {
		t.Fatal("client credentials also sent in the body")
	}
	if !tok.HasExpiry() || tok.Expiry.Sub(e.clock.Now()) != providertest.DefaultLifetime {
		t.Fatalf("expiry %v, want now+%v", tok.Expiry, providertest.DefaultLifetime)
	}
	// A valid token is handed out without a request.
	if _, err := e.svc.Token(e.ctx, "aikido", time.Minute); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.Count(providertest.Aikido, "client_credentials"); n != 1 {
		t.Fatalf("%d token requests for a valid token, want 1", n)
	}
	// Less than min-valid left: renewal is a new grant.
	e.clock.Advance(providertest.DefaultLifetime - 30*time.Second)
	tok2, err := e.svc.Token(e.ctx, "aikido", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if tok2.AccessToken == tok.AccessToken || e.fake.Count(providertest.Aikido, "client_credentials") != 2 {
		t.Fatal("no renewal when less than min-valid was left")
	}
	e.mustCheck("aikido")
	if st := e.state("aikido"); st.LastCheck == nil || st.LastCheck.Status != 200 {
		t.Fatalf("check not recorded: %+v", st.LastCheck)
	}
	if err := e.svc.Logout(e.ctx, "aikido"); err != nil {
		t.Fatal(err)
	}
	if st := e.state("aikido"); st.Token != nil || len(st.Events) == 0 || st.Events[len(st.Events)-1].Kind != flows.EventLogout {
		t.Fatalf("after logout: token %v, events %v", st.Token, st.Events)
	}
}

func TestAikidoAuthorizationCode(t *testing.T) {
	e := newEnv(t, providertest.Options{}, aikidoConf+`flow = "authorization_code"
redirect_uri = "http://127.0.0.1:0/callback"
`)
	tok := e.signInBrowser("aikido")
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token from the code exchange")
	}
	r := e.lastRequest(providertest.Aikido, "authorization_code")
	if !r.Basic || r.Form.Get("code") == "" || r.Form.Has("client_secret") {
		t.Fatalf("code exchange must use Basic auth (seeds/000): basic=%v", r.Basic)
	}
	if r.Form.Get("code_verifier") == "" {
		t.Fatal("no PKCE verifier sent")
	}
	// Renewal with the refresh token, Basic again, and rotation honoured.
	first := tok.RefreshToken
	e.clock.Advance(providertest.DefaultLifetime)
	tok2, err := e.svc.Token(e.ctx, "aikido", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	rr := e.lastRequest(providertest.Aikido, "refresh_token")
	if !rr.Basic || rr.Form.Get("refresh_token") != first {
		t.Fatal("refresh must send the stored refresh token with Basic auth")
	}
	if tok2.RefreshToken == first {
		t.Fatal("the rotated refresh token was not kept")
	}
	e.clock.Advance(providertest.DefaultLifetime)
	if _, err := e.svc.Token(e.ctx, "aikido", time.Minute); err != nil {
		t.Fatalf("second renewal (must send the rotated token): %v", err)
	}
	e.mustCheck("aikido")
}

const ahaConf = `
[connections.aha]
provider = "aha"
flow = "authorization_code"
subdomain = "secure"
base_url = "{URL}/aha/{subdomain}"
client_id = "` + providertest.AhaClientID + `"
client_secret = "` + providertest.AhaClientSecret + `"
redirect_uri = "http://127.0.0.1:0/callback"
`

func TestAhaAuthorizationCodeAccountSubdomain(t *testing.T) {
	e := newEnv(t, providertest.Options{}, ahaConf)
	tok := e.signInBrowser("aha")
	// seeds/001: the flow started at secure, so the redirect named the
	// account, and the code must be exchanged at that subdomain.
	if got := tok.Extra["account_subdomain"]; got != providertest.AhaAccount {
		t.Fatalf("account_subdomain = %q, want %q", got, providertest.AhaAccount)
	}
	r := e.lastRequest(providertest.Aha, "authorization_code")
	if r.Path != "/aha/"+providertest.AhaAccount+"/oauth/token" {
		t.Fatalf("code exchanged at %s, want the account's subdomain", r.Path)
	}
	if r.Basic || r.Form.Get("client_secret") != providertest.AhaClientSecret || r.Form.Get("client_id") != providertest.AhaClientID ||
		r.Form.Get("redirect_uri") == "" || r.Form.Get("grant_type") != "authorization_code" {
		t.Fatal("Aha! wants client_id, client_secret, code, grant_type and redirect_uri in the body")
	}
	// No expires_in: "no expiry", never "expired" nor "valid until 2262".
	if tok.HasExpiry() {
		t.Fatalf("Aha! token has expiry %v", tok.Expiry)
	}
	e.clock.Advance(24 * 365 * time.Hour)
	if a := flows.Assess(e.svc.Config().Connection("aha"), e.state("aha"), e.clock.Now()); a.Condition != flows.NoExpiry {
		t.Fatalf("condition after a year = %v, want no expiry", a.Condition)
	}
	if got := flows.TimeLeft(tok, e.clock.Now()); got != "no expiry" {
		t.Fatalf("time left %q", got)
	}
	// The API is called on the account's subdomain too.
	e.mustCheck("aha")
}

func TestAhaImplicit(t *testing.T) {
	e := newEnv(t, providertest.Options{}, strings.Replace(ahaConf, `flow = "authorization_code"`, `flow = "implicit"`, 1))
	tok := e.signInBrowser("aha")
	if tok.AccessToken == "" || tok.HasExpiry() || tok.Extra["account_subdomain"] != providertest.AhaAccount {
		t.Fatalf("implicit token: %v extra %v", tok, tok.Extra)
	}
	if n := e.fake.Count(providertest.Aha, ""); n != 0 {
		t.Fatalf("the implicit grant made %d token requests", n)
	}
	e.mustCheck("aha")
}

func TestAhaAPIKey(t *testing.T) {
	e := newEnv(t, providertest.Options{}, `
[connections.aha-key]
provider = "aha"
flow = "api_key"
subdomain = "acme"
base_url = "{URL}/aha/{subdomain}"
api_key = "`+providertest.AhaAPIKey+`"
`)
	tok, err := e.svc.Token(e.ctx, "aha-key", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != providertest.AhaAPIKey || tok.HasExpiry() {
		t.Fatal("an API key is a bearer with no expiry")
	}
	e.mustCheck("aha-key")
}

const aerionConf = `
[connections.aerion]
provider = "aerion"
company_url = "` + providertest.AerionTenant + `"
username = "` + providertest.AerionUser + `"
client_id = "tokentop-tests"
client_secret = "aerion-client-SENTINEL-31337"
token_url = "{URL}/aerion/oauth2/token"
check_url = "{URL}/aerion/api/v1/me"
`

func TestAerionPasswordAndRefresh(t *testing.T) {
	e := newEnv(t, providertest.Options{}, aerionConf)
	tok := e.signInPassword("aerion", providertest.AerionPassword)
	r := e.lastRequest(providertest.Aerion, "password")
	f := r.Form
	if f.Get("username") != providertest.AerionUser || f.Get("password") != providertest.AerionPassword ||
		f.Get("client_id") != "tokentop-tests" || f.Get("client_secret") == "" || r.Basic {
		t.Fatal("seeds/002: grant_type, username, password, client_id, client_secret form fields")
	}
	if r.Header.Get("companyurl") != providertest.AerionTenant {
		t.Fatal("no tenant header on the password grant")
	}
	if tok.Expiry.Sub(e.clock.Now()) != time.Hour {
		t.Fatalf("lifetime %v, want 3600 s", tok.Expiry.Sub(e.clock.Now()))
	}
	e.clock.Advance(time.Hour)
	if _, err := e.svc.Token(e.ctx, "aerion", time.Minute); err != nil {
		t.Fatal(err)
	}
	rr := e.lastRequest(providertest.Aerion, "refresh_token")
	if rr.Header.Get("companyurl") != providertest.AerionTenant || rr.Form.Get("client_id") == "" || rr.Form.Get("client_secret") == "" {
		t.Fatal("the refresh request needs the tenant header and the client fields too")
	}
	e.mustCheck("aerion")

	// The password and the client secret never reach the state file.
	b, err := os.ReadFile(e.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{providertest.AerionPassword, "aerion-client-SENTINEL-31337"} {
		if strings.Contains(string(b), secret) {
			t.Fatalf("the state file holds a secret")
		}
	}
}

func TestAerionSeedRefreshToken(t *testing.T) {
	e := newEnv(t, providertest.Options{}, aerionConf)
	rt := e.fake.SeedRefreshToken(providertest.Aerion, providertest.AerionUser)
	tok, err := e.svc.SeedRefreshToken(e.ctx, "aerion", rt+"\n")
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || e.fake.Count(providertest.Aerion, "refresh_token") != 1 {
		t.Fatal("seeding did not exchange the refresh token")
	}
	if _, err := e.svc.SeedRefreshToken(e.ctx, "aerion", "not-a-token"); err == nil {
		t.Fatal("a refused refresh token was accepted")
	}
}

func TestRefreshRefusedNeedsSignIn(t *testing.T) {
	e := newEnv(t, providertest.Options{}, aerionConf)
	e.signInPassword("aerion", providertest.AerionPassword)
	e.fake.RevokeAll(providertest.Aerion)
	e.clock.Advance(2 * time.Hour)
	before := e.fake.Count(providertest.Aerion, "")
	for range 3 {
		_, err := e.svc.Token(e.ctx, "aerion", time.Minute)
		if !errors.Is(err, flows.ErrSignInRequired) {
			t.Fatalf("err = %v, want sign-in required", err)
		}
		if !strings.HasPrefix(err.Error(), "aerion: ") {
			t.Fatalf("error does not name the connection: %v", err)
		}
	}
	if n := e.fake.Count(providertest.Aerion, "") - before; n != 1 {
		t.Fatalf("%d requests after invalid_grant, want exactly 1 (no loop)", n)
	}
	st := e.state("aerion")
	if !st.NeedsSignIn || !strings.Contains(st.LastError, "invalid_grant") {
		t.Fatalf("state: needs sign-in %v, last error %q", st.NeedsSignIn, st.LastError)
	}
	a := flows.Assess(e.svc.Config().Connection("aerion"), st, e.clock.Now())
	if a.Condition != flows.SignInRequired || !a.Condition.NeedsAttention() {
		t.Fatalf("condition %v", a.Condition)
	}
	// Signing in again clears it.
	e.signInPassword("aerion", providertest.AerionPassword)
	if st := e.state("aerion"); st.NeedsSignIn || st.LastError != "" {
		t.Fatal("a new sign-in did not clear the failure")
	}
}

const aminoConf = `
[connections.amino]
provider = "amino"
base_url = "{URL}/amino"
username = "` + providertest.AminoUser + `"
check_url = "{URL}/amino/api/v1/me"
`

func TestAminoJSONAPI(t *testing.T) {
	e := newEnv(t, providertest.Options{}, aminoConf)
	tok := e.signInPassword("amino", providertest.AminoPassword)
	r := e.lastRequest(providertest.Amino, "password")
	if r.Path != "/amino/api/auth/v1/access_tokens" || r.Header.Get("Content-Type") != providertest.AminoContentType {
		t.Fatalf("request %s %q", r.Path, r.Header.Get("Content-Type"))
	}
	var doc struct {
		Data struct {
			Type       string            `json:"type"`
			Attributes map[string]string `json:"attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(r.Body), &doc); err != nil || doc.Data.Type != "AuthenticationTokens" ||
		doc.Data.Attributes["username"] != providertest.AminoUser || doc.Data.Attributes["password"] != providertest.AminoPassword {
		t.Fatalf("body is not the JSON:API document the README specifies: %v", err)
	}
	// Expiry from expires_at_timestamp, not from the JWT's exp (seeds/003).
	if got := tok.Expiry.Sub(e.clock.Now()); got != providertest.DefaultLifetime {
		t.Fatalf("expiry in %v, want %v from expires_at_timestamp", got, providertest.DefaultLifetime)
	}
	if tok.Extra["user_id"] != fmt.Sprint(providertest.AminoUserID) {
		t.Fatalf("user_id not kept: %v", tok.Extra)
	}
	e.clock.Advance(providertest.DefaultLifetime)
	tok2, err := e.svc.Token(e.ctx, "amino", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if tok2.Extra["user_id"] == "" || e.fake.Count(providertest.Amino, "refresh_token") != 1 {
		t.Fatal("renewal with grant_type=refresh_token did not happen or lost user_id")
	}
	e.mustCheck("amino")
	// seeds/003: no revocation; logging out is deleting the tokens.
	before := len(e.fake.Requests(providertest.Amino))
	if err := e.svc.Logout(e.ctx, "amino"); err != nil {
		t.Fatal(err)
	}
	if n := len(e.fake.Requests(providertest.Amino)) - before; n != 0 {
		t.Fatalf("logout sent a request to Amino (%d requests)", n)
	}
	if e.state("amino").Token != nil {
		t.Fatal("tokens not forgotten")
	}
}

const idpConf = `
[connections.idp]
provider = "oauth2"
issuer = "{URL}/oauth2"
client_id = "` + providertest.OAuth2PublicClientID + `"
scopes = ["openid", "offline_access"]
`

func TestOAuth2DeviceCode(t *testing.T) {
	e := newEnv(t, providertest.Options{DevicePending: -1}, idpConf+`flow = "device_code"`)
	p, err := e.svc.BeginLogin(e.ctx, "idp")
	if err != nil {
		t.Fatal(err)
	}
	d, ok := p.(flows.DeviceSignIn)
	if !ok || d.UserCode() == "" || d.URL() == "" {
		t.Fatalf("device sign-in: %T", p)
	}
	tok, err := p.Wait(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || e.fake.Count(providertest.OAuth2, providertest.DeviceCodeGrant) == 0 {
		t.Fatal("no device token")
	}
	e.mustCheck("idp")
}

func TestOAuth2AuthorizationCodePKCEAndRevocation(t *testing.T) {
	e := newEnv(t, providertest.Options{}, idpConf+`flow = "authorization_code"`)
	tok := e.signInBrowser("idp")
	r := e.lastRequest(providertest.OAuth2, "authorization_code")
	if r.Form.Get("code_verifier") == "" {
		t.Fatal("public client without PKCE verifier")
	}
	e.mustCheck("idp")
	if err := e.svc.Logout(e.ctx, "idp"); err != nil {
		t.Fatal(err)
	}
	var revoked int
	for _, r := range e.fake.Requests(providertest.OAuth2) {
		if strings.HasSuffix(r.Path, "/revoke") {
			revoked++
		}
	}
	if revoked == 0 {
		t.Fatal("logout did not revoke (RFC 7009)")
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token")
	}
	if _, err := e.svc.Token(e.ctx, "idp", 0); !errors.Is(err, flows.ErrSignInRequired) {
		t.Fatalf("token after logout: %v", err)
	}
}

func TestConcurrentTokenRequestsRenewOnce(t *testing.T) {
	e := newEnv(t, providertest.Options{}, aerionConf)
	e.signInPassword("aerion", providertest.AerionPassword)
	e.clock.Advance(2 * time.Hour)
	before := e.fake.Count(providertest.Aerion, "refresh_token")
	var wg sync.WaitGroup
	toks := make([]string, 20)
	errs := make([]error, 20)
	start := make(chan struct{})
	for i := range toks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			tok, err := e.svc.Token(e.ctx, "aerion", time.Minute)
			errs[i] = err
			if tok != nil {
				toks[i] = tok.AccessToken
			}
		}()
	}
	close(start)
	wg.Wait()
	for i := range toks {
		if errs[i] != nil || toks[i] == "" || toks[i] != toks[0] {
			t.Fatalf("goroutine %d: err %v, same token %v", i, errs[i], toks[i] == toks[0])
		}
	}
	if n := e.fake.Count(providertest.Aerion, "refresh_token") - before; n != 1 {
		t.Fatalf("%d refresh requests for 20 callers, want 1", n)
	}
}

func TestUnknownConnection(t *testing.T) {
	e := newEnv(t, providertest.Options{}, aikidoConf)
	_, err := e.svc.Token(e.ctx, "nope", 0)
	if !errors.Is(err, flows.ErrUnknownConnection) || !strings.HasPrefix(err.Error(), "nope: ") {
		t.Fatalf("err = %v", err)
	}
}

// A forced renewal renews even when the clock has not moved since the last
// one: only another process's new token may stand in for it.
func TestForcedRenewalAtTheSameInstant(t *testing.T) {
	e := newEnv(t, providertest.Options{}, aikidoConf)
	first, err := e.svc.Token(e.ctx, "aikido", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.svc.Renew(e.ctx, "aikido")
	if err != nil {
		t.Fatal(err)
	}
	if second.AccessToken == first.AccessToken || e.fake.Count(providertest.Aikido, "client_credentials") != 2 {
		t.Fatal("a forced renewal at the same instant handed back the old token")
	}
}
