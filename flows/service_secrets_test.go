package flows_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/oauth"
	"tokentop/flows/providertest"
	"tokentop/flows/redact"
)

// sentinel is in every secret the configuration holds; the secrets the
// providers hand out (codes, verifiers, tokens) are collected as they pass.
const sentinel = "SENTINEL"

const (
	sentAikidoSecret  = "SENTINEL-aikido-secret-0001"
	sentAhaSecret     = "SENTINEL-aha-secret-0001"
	sentOAuth2Secret  = "SENTINEL-oauth2-secret-0001"
	sentAerionPass    = "SENTINEL-aerion-password-1"
	sentAminoPass     = "SENTINEL-amino-password-1"
	sentEchoSecret    = "SENTINEL-echo:secret%+ 0001"
	sentEchoPassword  = "SENTINEL-echo-password-0001"
	sentEchoRefresh   = "SENTINEL-echo-refresh-token-0001"
	sentAerionClient  = "aerion-client-SENTINEL-31337"
	sentHTMLSecret    = "SENTINEL-html-secret-0001"
	sentHangingSecret = "SENTINEL-hang-secret-0001"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// secretsConf holds one connection per flow of the fakes, plus connections
// whose token endpoint echoes the request in a 500, answers with an HTML
// page quoting the request, or never answers. {URL}, {ECHO}, {HTML} and
// {HANG} stand for the servers' base URLs.
const secretsConf = `
[connections.aikido-cc]
provider = "aikido"
client_id = "` + providertest.AikidoClientID + `"
client_secret = "` + sentAikidoSecret + `"
token_url = "{URL}/aikido/api/oauth/token"
auth_url = "{URL}/aikido/oauth/authorize"
check_url = "{URL}/aikido/api/public/v1/workspace"

[connections.aikido-code]
provider = "aikido"
flow = "authorization_code"
client_id = "` + providertest.AikidoClientID + `"
client_secret = "` + sentAikidoSecret + `"
token_url = "{URL}/aikido/api/oauth/token"
auth_url = "{URL}/aikido/oauth/authorize"
check_url = "{URL}/aikido/api/public/v1/workspace"
redirect_uri = "http://127.0.0.1:0/callback"

[connections.aha-code]
provider = "aha"
flow = "authorization_code"
subdomain = "secure"
base_url = "{URL}/aha/{subdomain}"
client_id = "` + providertest.AhaClientID + `"
client_secret = "` + sentAhaSecret + `"
redirect_uri = "http://127.0.0.1:0/callback"

[connections.aha-implicit]
provider = "aha"
flow = "implicit"
subdomain = "secure"
base_url = "{URL}/aha/{subdomain}"
client_id = "` + providertest.AhaClientID + `"
client_secret = "` + sentAhaSecret + `"
redirect_uri = "http://127.0.0.1:0/callback"

[connections.aerion]
provider = "aerion"
company_url = "` + providertest.AerionTenant + `"
username = "` + providertest.AerionUser + `"
client_id = "tokentop-tests"
client_secret = "` + sentAerionClient + `"
token_url = "{URL}/aerion/oauth2/token"
check_url = "{URL}/aerion/api/v1/me"

[connections.amino]
provider = "amino"
base_url = "{URL}/amino"
username = "` + providertest.AminoUser + `"
check_url = "{URL}/amino/api/v1/me"

[connections.idp-device]
provider = "oauth2"
flow = "device_code"
issuer = "{URL}/oauth2"
client_id = "` + providertest.OAuth2PublicClientID + `"
scopes = ["openid", "offline_access"]

[connections.idp-code]
provider = "oauth2"
flow = "authorization_code"
issuer = "{URL}/oauth2"
client_id = "` + providertest.OAuth2ClientID + `"
client_secret = "` + sentOAuth2Secret + `"
scopes = ["openid", "offline_access"]

[connections.echo-cc]
provider = "oauth2"
flow = "client_credentials"
client_id = "echo-client"
client_secret = "` + sentEchoSecret + `"
token_url = "{ECHO}/token"
check_url = "{ECHO}/me"

[connections.echo-password]
provider = "oauth2"
flow = "password"
client_auth = "body"
username = "me"
password = "` + sentEchoPassword + `"
client_id = "echo-client"
client_secret = "` + sentEchoSecret + `"
token_url = "{ECHO}/token"

[connections.echo-refresh]
provider = "oauth2"
flow = "authorization_code"
client_id = "echo-client"
client_secret = "` + sentEchoSecret + `"
auth_url = "{ECHO}/authorize"
token_url = "{ECHO}/token"
redirect_uri = "http://127.0.0.1:0/callback"

[connections.html]
provider = "oauth2"
flow = "client_credentials"
client_id = "html-client"
client_secret = "` + sentHTMLSecret + `"
token_url = "{HTML}/token"

[connections.hang]
provider = "oauth2"
flow = "client_credentials"
client_id = "hang-client"
client_secret = "` + sentHangingSecret + `"
token_url = "{HANG}/token"
`

// TestNoSecretLeaks: every flow and every failure, at debug
// level, with a 500 that echoes the request: no secret in the log, in any
// error, or in what the store keeps for display (LastError, events, checks).
func TestNoSecretLeaks(t *testing.T) {
	// The echo server answers 500 with the request body and headers.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(500)
		w.Write(body)
		io.WriteString(w, "\n")
		r.Header.Write(w)
	}))
	defer echo.Close()
	// The HTML server answers a login page whose title quotes the request
	// (HTTP 200, so that it is not retried like a 502 and the test is quick).
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><head><title>Bad gateway for "+r.Header.Get("Authorization")+" "+string(body)+"</title></head><body>"+string(body)+"</body></html>")
	}))
	defer html.Close()
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hang.Close()
	defer close(release)

	conf := strings.NewReplacer("{ECHO}", echo.URL, "{HTML}", html.URL, "{HANG}", hang.URL).Replace(secretsConf)
	e := newEnv(t, providertest.Options{
		DevicePending: -1,
		AikidoClients: map[string]string{providertest.AikidoClientID: sentAikidoSecret},
		AhaClients:    map[string]string{providertest.AhaClientID: sentAhaSecret},
		AerionUsers:   map[string]string{providertest.AerionUser: sentAerionPass},
		AminoUsers:    map[string]string{providertest.AminoUser: sentAminoPass},
		OAuth2Clients: map[string]string{providertest.OAuth2ClientID: sentOAuth2Secret, providertest.OAuth2PublicClientID: ""},
	}, conf)
	var logBuf syncBuffer
	red := redact.New()
	logger := slog.New(red.Handler(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	e.svc = flows.NewService(e.svc.Config(), flows.Options{NewClient: oauth.New, Store: e.db, Now: e.clock.Now, Logger: logger, Redactor: red, RenewalDeadline: testRenewalDeadline})

	var errs []error
	var toks []*flows.Token
	keep := func(tok *flows.Token, err error) {
		if tok != nil {
			toks = append(toks, tok)
		}
		errs = append(errs, err)
	}

	// Every flow, successfully.
	keep(e.svc.Token(e.ctx, "aikido-cc", time.Minute))
	toks = append(toks, e.signInBrowser("aikido-code"), e.signInBrowser("aha-code"), e.signInBrowser("aha-implicit"),
		e.signInBrowser("idp-code"))
	toks = append(toks, e.signInPassword("aerion", sentAerionPass), e.signInPassword("amino", sentAminoPass))
	p, err := e.svc.BeginLogin(e.ctx, "idp-device")
	if err != nil {
		t.Fatal(err)
	}
	keep(p.Wait(e.ctx))
	// Refresh of every renewable connection, then checks.
	e.clock.Advance(2 * time.Hour)
	for _, name := range []string{"aikido-cc", "aikido-code", "aerion", "amino", "idp-device", "idp-code"} {
		keep(e.svc.Token(e.ctx, name, time.Minute))
	}
	for _, name := range []string{"aikido-cc", "aikido-code", "aha-code", "aha-implicit", "aerion", "amino", "idp-device", "idp-code"} {
		chk, err := e.svc.Check(e.ctx, name)
		errs = append(errs, err)
		if chk == nil || !chk.OK() {
			t.Errorf("check %s: %+v %v", name, chk, err)
		}
	}

	// The failures: invalid_grant on refresh, a 500 echoing the request,
	// an HTML page quoting it, a check refused, and a server that never
	// answers.
	e.fake.RevokeAll(providertest.Aerion)
	e.fake.FailNext(providertest.Amino, 1, 400, `{"errors":[{"status":"400","code":"invalid_grant","detail":"bad"}]}`, nil)
	e.fake.FailNextPath("/aikido/api/public/v1/workspace", 3, 401, ``, http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}})
	e.clock.Advance(2 * time.Hour)
	if err := e.db.Update("echo-refresh", func(st *flows.State) error {
		st.Token = &flows.Token{AccessToken: "SENTINEL-echo-access-token-1", RefreshToken: sentEchoRefresh,
			ObtainedAt: e.clock.Now().Add(-2 * time.Hour), Expiry: e.clock.Now().Add(-time.Hour)}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"aerion", "amino", "echo-cc", "echo-password", "echo-refresh", "html"} {
		tok, err := e.svc.Token(e.ctx, name, time.Minute)
		if err == nil {
			t.Errorf("%s: no error (token %v)", name, tok)
		}
		errs = append(errs, err)
	}
	_, err = e.svc.Renew(e.ctx, "aikido-cc")
	errs = append(errs, err)
	chk, err := e.svc.Check(e.ctx, "aikido-cc")
	errs = append(errs, err)
	if chk != nil {
		errs = append(errs, errors.New(chk.Err))
	}
	short, cancel := context.WithTimeout(e.ctx, 300*time.Millisecond)
	_, err = e.svc.Token(short, "hang", time.Minute)
	cancel()
	if err == nil {
		t.Error("hang: no error")
	}
	errs = append(errs, err)
	// The renewal records its failure after the caller was let go; wait
	// for it, so that its LastError is checked too.
	for deadline := time.Now().Add(10 * time.Second); e.state("hang").LastError == ""; {
		if time.Now().After(deadline) {
			t.Fatal("the timed-out renewal was never recorded")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, name := range []string{"aikido-code", "aha-code", "idp-code", "idp-device", "amino"} {
		errs = append(errs, e.svc.Logout(e.ctx, name))
	}

	// What the providers saw: codes, verifiers, refresh tokens, bearers.
	secrets := []string{sentinel}
	for _, tok := range toks {
		secrets = append(secrets, tok.AccessToken, tok.RefreshToken)
	}
	for _, prov := range []string{providertest.Aikido, providertest.Aha, providertest.Aerion, providertest.Amino, providertest.OAuth2} {
		for _, r := range e.fake.Requests(prov) {
			for _, k := range []string{"code", "code_verifier", "refresh_token", "password", "client_secret", "access_token", "device_code", "token"} {
				secrets = append(secrets, r.Form.Get(k), r.Query.Get("code"))
			}
			secrets = append(secrets, r.BasicPassword)
			if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
				secrets = append(secrets, v)
			}
		}
	}
	var nonEmpty []string
	for _, s := range secrets {
		if len(s) >= 8 { // the fakes' user codes and ids are short and public
			nonEmpty = append(nonEmpty, s)
		}
	}
	if len(nonEmpty) < 20 {
		t.Fatalf("only %d secrets collected: the test is not seeing the flows", len(nonEmpty))
	}

	leak := func(what, s string) {
		t.Helper()
		for _, sec := range nonEmpty {
			if strings.Contains(s, sec) {
				t.Errorf("%s holds a secret (%d chars, starts %.4q): %.300s", what, len(sec), sec, s)
			}
		}
	}
	log := logBuf.String()
	if !strings.Contains(log, "level=DEBUG") || !strings.Contains(log, "status=500") {
		t.Fatalf("the debug log saw nothing:\n%.2000s", log)
	}
	leak("log", log)
	for _, err := range errs {
		if err != nil {
			leak("error", err.Error())
		}
	}
	for _, c := range e.svc.Config().Connections {
		st, err := e.svc.State(c.Name)
		if err != nil {
			t.Fatal(err)
		}
		leak(c.Name+" LastError", st.LastError)
		if st.LastCheck != nil {
			leak(c.Name+" LastCheck", st.LastCheck.Err)
		}
		for _, ev := range st.Events {
			leak(c.Name+" event", ev.Detail)
		}
	}
	// The echoes did reach the errors, redacted.
	joined := ""
	for _, err := range errs {
		if err != nil {
			joined += err.Error() + "\n"
		}
	}
	for _, want := range []string{"HTTP 500", "returned HTML (HTTP 200)", "invalid_grant", "deadline exceeded"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no error says %q:\n%s", want, joined)
		}
	}
}
