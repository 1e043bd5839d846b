package flows_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/oauth"
	"tokentop/flows/providertest"
	"tokentop/flows/redact"
)

// The secrets of the standards features: the HS256 client secret of
// client_secret_jwt, the subject and actor tokens of a token exchange, and
// the Basic secret of the exchange and introspection clients. The private
// keys are made by the test, and checked as PEM text, PEM lines and DER
// base64.
const (
	sentHSSecret   = "SENTINEL-hs256-client-secret-0123456789abcdef"
	sentSubject    = "SENTINEL-subject-token-0001"
	sentActor      = "SENTINEL-actor-token-0001"
	sentRefusedSub = "SENTINEL-refused-subject-0001"
	sentXClient    = "SENTINEL-exchange-client-secret-1"
)

// standardsConf: {URL} is the fakes, {ECHO} a token endpoint answering 500
// with the request, {JSON} one answering OAuth errors and introspection
// answers that quote the request's secrets, {PROXY} a proxy to the fakes
// that records the token answers (so that the id_tokens and the tokens of
// refused answers are known to the test). {PEM}, {BADPEM}, {SUBJECT},
// {ACTOR}, {REFUSED} and {BIG} are files.
const standardsConf = `
[connections.pk-cc]
provider = "oauth2"
flow = "client_credentials"
client_id = "pk-client"
client_auth = "private_key_jwt"
private_key = "file:{PEM}"
key_id = "pk-2026"
token_url = "{URL}/oauth2/token"

[connections.pk-code]
provider = "oauth2"
flow = "authorization_code"
issuer = "{URL}/oauth2"
client_id = "pk-client"
client_auth = "private_key_jwt"
private_key = "file:{PEM}"
scopes = ["openid", "offline_access"]

[connections.hs-cc]
provider = "oauth2"
flow = "client_credentials"
client_id = "hs-client"
client_auth = "client_secret_jwt"
client_secret = "` + sentHSSecret + `"
token_url = "{URL}/oauth2/token"

[connections.pk-echo]
provider = "oauth2"
flow = "client_credentials"
client_id = "pk-client"
client_auth = "private_key_jwt"
private_key = "file:{PEM}"
token_url = "{ECHO}/token"

[connections.hs-json]
provider = "oauth2"
flow = "client_credentials"
client_id = "hs-client"
client_auth = "client_secret_jwt"
client_secret = "` + sentHSSecret + `"
token_url = "{JSON}/token"

[connections.pk-bad]
provider = "oauth2"
flow = "client_credentials"
client_id = "pk-client"
client_auth = "private_key_jwt"
private_key = "file:{BADPEM}"
token_url = "{URL}/oauth2/token"

[connections.xchg]
provider = "oauth2"
flow = "token_exchange"
token_url = "{URL}/oauth2/token"
client_id = "xc"
client_secret = "` + sentXClient + `"
subject_token = "file:{SUBJECT}"
actor_token = "file:{ACTOR}"
actor_token_type = "urn:ietf:params:oauth:token-type:jwt"

[connections.xchg-refused]
provider = "oauth2"
flow = "token_exchange"
token_url = "{URL}/oauth2/token"
client_id = "xc"
client_secret = "` + sentXClient + `"
subject_token = "file:{REFUSED}"

[connections.xchg-big]
provider = "oauth2"
flow = "token_exchange"
token_url = "{URL}/oauth2/token"
client_id = "xc"
client_secret = "` + sentXClient + `"
subject_token = "file:{BIG}"

[connections.xchg-echo]
provider = "oauth2"
flow = "token_exchange"
token_url = "{ECHO}/token"
client_id = "xc"
client_secret = "` + sentXClient + `"
subject_token = "file:{SUBJECT}"
actor_token = "file:{ACTOR}"
actor_token_type = "urn:ietf:params:oauth:token-type:jwt"

[connections.xchg-json]
provider = "oauth2"
flow = "token_exchange"
token_url = "{JSON}/token"
client_id = "xc"
client_secret = "` + sentXClient + `"
subject_token = "file:{SUBJECT}"
actor_token = "file:{ACTOR}"
actor_token_type = "urn:ietf:params:oauth:token-type:jwt"

[connections.intro]
provider = "oauth2"
flow = "client_credentials"
issuer = "{URL}/oauth2"
client_id = "xc"
client_secret = "` + sentXClient + `"
check = "introspect"

[connections.intro-echo]
provider = "oauth2"
flow = "client_credentials"
token_url = "{URL}/oauth2/token"
client_id = "xc"
client_secret = "` + sentXClient + `"
check = "introspect"
introspection_url = "{ECHO}/introspect"

[connections.intro-error]
provider = "oauth2"
flow = "client_credentials"
token_url = "{URL}/oauth2/token"
client_id = "xc"
client_secret = "` + sentXClient + `"
check = "introspect"
introspection_url = "{JSON}/introspect-error"

[connections.intro-quote]
provider = "oauth2"
flow = "client_credentials"
token_url = "{URL}/oauth2/token"
client_id = "xc"
client_secret = "` + sentXClient + `"
check = "introspect"
introspection_url = "{JSON}/introspect-quote"

[connections.oidc]
provider = "oauth2"
flow = "authorization_code"
issuer = "{URL}/oauth2"
auth_url = "{URL}/oauth2/authorize"
token_url = "{PROXY}/oauth2/token"
client_id = "` + providertest.OAuth2PublicClientID + `"
scopes = ["openid", "offline_access"]
`

// pemSecrets writes key as a PKCS#8 PEM file in dir and returns its path
// and the forms of it that must never leave tokentop: the PEM text, each
// of its base64 lines, and the whole DER in base64.
func pemSecrets(t *testing.T, dir, name string, key any) (string, []string) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	text := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, text, 0o600); err != nil {
		t.Fatal(err)
	}
	forms := []string{strings.TrimSpace(string(text)), base64.StdEncoding.EncodeToString(der)}
	for _, line := range strings.Split(string(text), "\n") {
		if line != "" && !strings.HasPrefix(line, "-----") {
			forms = append(forms, line)
		}
	}
	return p, forms
}

// recorder keeps the secrets seen by the test's own servers.
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *recorder) add(s ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, s...)
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}

// formSecrets are the form fields of a request that carry secrets; of a
// client assertion, its signature (what makes it a credential) first, so
// that an answer quoting them shows it before any excerpt is cut short.
func formSecrets(f url.Values) []string {
	var out []string
	for _, k := range []string{"code", "code_verifier", "refresh_token", "client_secret", "client_assertion",
		"subject_token", "actor_token", "token", "device_code"} {
		for _, v := range f[k] {
			if k == "client_assertion" {
				out = append(out, v[strings.LastIndexByte(v, '.')+1:])
			}
			out = append(out, v)
		}
	}
	return out
}

// TestNoSecretLeaksStandards is TestNoSecretLeaks for the standards
// features: JWT client authentication (private_key_jwt and
// client_secret_jwt, grant and refresh, a bad key), token exchange (subject
// and actor tokens from files, the issued token, a refused subject, a
// subject file too large, answers quoting the request), introspection (the
// token in the body, answers quoting it) and verified ID tokens (sign-in,
// every refusal, a refused renewal). No secret reaches the debug log, an
// error, or what the store keeps for display (LastError, events, the
// check, the token's Extra) — neither in the process that handled the
// secrets nor in a new one that only read them from the store.
func TestNoSecretLeaksStandards(t *testing.T) {
	var rec recorder
	quote := func(f url.Values) string {
		return strings.Join(formSecrets(f), " ")
	}
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f, _ := url.ParseQuery(string(body))
		rec.add(formSecrets(f)...)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(500)
		io.WriteString(w, strings.Join(formSecrets(f), " ")+"\n")
		w.Write(body)
		io.WriteString(w, "\n")
		r.Header.Write(w)
	}))
	defer echo.Close()
	jsonEcho := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f, _ := url.ParseQuery(string(body))
		rec.add(formSecrets(f)...)
		w.Header().Set("Content-Type", "application/json")
		q := quote(f)
		switch r.URL.Path {
		case "/introspect-quote":
			tok := f.Get("token")
			json.NewEncoder(w).Encode(map[string]any{"active": true, "sub": tok, "scope": "read " + tok, "client_id": q})
		default:
			w.WriteHeader(400)
			json.NewEncoder(w).Encode(map[string]any{"error": "invalid_request", "error_description": "refused: " + q, "error_uri": "https://idp.example/e?" + q})
		}
	}))
	defer jsonEcho.Close()
	// The proxy to the fakes records the token answers.
	var target *url.URL
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := httputil.NewSingleHostReverseProxy(target)
		p.ModifyResponse = func(resp *http.Response) error {
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				return err
			}
			var m map[string]any
			if json.Unmarshal(b, &m) == nil {
				for _, k := range []string{"access_token", "refresh_token", "id_token"} {
					if s, ok := m[k].(string); ok {
						rec.add(s)
					}
				}
			}
			resp.Body = io.NopCloser(bytes.NewReader(b))
			return nil
		}
		p.ServeHTTP(w, r)
	}))
	defer proxy.Close()

	dir := t.TempDir()
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pemPath, keyForms := pemSecrets(t, dir, "client.pem", ecKey)
	shortKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	badPath, badForms := pemSecrets(t, dir, "short.pem", shortKey)
	file := func(name, value string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bigValue := strings.Repeat(sentinel+"-big-subject-", 6000)
	conf := strings.NewReplacer("{ECHO}", echo.URL, "{JSON}", jsonEcho.URL, "{PROXY}", proxy.URL,
		"{PEM}", pemPath, "{BADPEM}", badPath, "{SUBJECT}", file("subject", sentSubject),
		"{ACTOR}", file("actor", sentActor), "{REFUSED}", file("refused", sentRefusedSub),
		"{BIG}", file("big", bigValue)).Replace(standardsConf)
	e := newEnv(t, providertest.Options{
		// pk-client has a key, and a secret only so that the fake's
		// authorize endpoint knows it as a confidential client.
		OAuth2Clients:    map[string]string{"hs-client": sentHSSecret, "xc": sentXClient, "pk-client": "unused-pk-secret", providertest.OAuth2PublicClientID: ""},
		OAuth2ClientKeys: map[string]crypto.PublicKey{"pk-client": ecKey.Public()},
	}, conf)
	if target, err = url.Parse(e.fake.URL); err != nil {
		t.Fatal(err)
	}
	e.fake.AcceptSubject(sentSubject, providertest.TokenTypeJWT, "ci-bot")
	var logBuf syncBuffer
	newService := func() {
		red := redact.New()
		logger := slog.New(red.Handler(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug})))
		e.svc = flows.NewService(e.svc.Config(), flows.Options{NewClient: oauth.New, Store: e.db, Now: e.clock.Now, Logger: logger, Redactor: red, RenewalDeadline: testRenewalDeadline})
	}
	newService()

	var errs []error
	var toks []*flows.Token
	keep := func(tok *flows.Token, err error) {
		if tok != nil {
			toks = append(toks, tok)
		}
		errs = append(errs, err)
	}
	mustFail := func(name string, tok *flows.Token, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", name)
		}
		keep(tok, err)
	}

	// Every flow, successfully: JWT-authenticated grants, an exchange with
	// subject and actor, introspection, ID-token sign-ins; then their
	// renewals (a refresh with an assertion and an ID token, new grants).
	for _, name := range []string{"pk-cc", "hs-cc", "xchg", "intro"} {
		keep(e.svc.Token(e.ctx, name, time.Minute))
	}
	toks = append(toks, e.signInBrowser("pk-code"), e.signInBrowser("oidc"))
	e.clock.Advance(2 * time.Hour)
	for _, name := range []string{"pk-cc", "pk-code", "hs-cc", "xchg", "intro", "oidc"} {
		keep(e.svc.Token(e.ctx, name, time.Minute))
	}
	for _, name := range []string{"intro", "pk-code"} {
		chk, err := e.svc.Check(e.ctx, name)
		errs = append(errs, err)
		if chk == nil || !chk.OK() {
			t.Errorf("check %s: %+v %v", name, chk, err)
		}
	}

	// The failures: every ID token refusal at sign-in, and one at renewal.
	for _, f := range []providertest.IDTokenFault{providertest.IDWrongNonce, providertest.IDNoNonce, providertest.IDWrongAud,
		providertest.IDSeveralAud, providertest.IDWrongIss, providertest.IDExpired, providertest.IDFutureIat,
		providertest.IDBadSignature, providertest.IDUnknownKid, providertest.IDAlgNone, providertest.IDHS256} {
		e.fake.IDTokenNext(1, f)
		tok, err, browseErr := e.browserAttempt("oidc")
		if browseErr != nil {
			t.Fatalf("%s: browser: %v", f, browseErr)
		}
		mustFail("oidc "+string(f), tok, err)
	}
	toks = append(toks, e.signInBrowser("oidc"))
	e.fake.IDTokenNext(1, providertest.IDOtherSub)
	e.clock.Advance(2 * time.Hour)
	tok, err := e.svc.Token(e.ctx, "oidc", time.Minute)
	mustFail("oidc renewal", tok, err)

	// Then, in the same process and in a new one that knows the secrets
	// only from the configuration and the store: answers that quote the
	// request, a refused subject, a subject file too large, a bad key, a
	// refresh the provider refuses, introspection answers quoting the token.
	for round, fresh := range []bool{false, true} {
		if fresh {
			newService()
			for _, name := range []string{"intro-echo", "intro-error", "intro-quote"} {
				if err := e.db.Update(name, func(st *flows.State) error {
					st.LastError, st.LastCheck = "", nil
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, name := range []string{"pk-echo", "hs-json", "pk-bad", "xchg-refused", "xchg-big", "xchg-echo", "xchg-json"} {
			tok, err := e.svc.Token(e.ctx, name, time.Minute)
			mustFail(name, tok, err)
		}
		for _, name := range []string{"intro-echo", "intro-error", "intro-quote"} {
			if round == 0 {
				keep(e.svc.Token(e.ctx, name, time.Minute))
			}
			chk, err := e.svc.Check(e.ctx, name)
			errs = append(errs, err)
			if chk != nil {
				if name != "intro-quote" && chk.OK() {
					t.Errorf("check %s passed", name)
				}
				errs = append(errs, &checkErr{chk})
			}
		}
	}
	e.fake.RevokeAll(providertest.OAuth2)
	e.clock.Advance(2 * time.Hour)
	tok, err = e.svc.Token(e.ctx, "pk-code", time.Minute)
	mustFail("pk-code refresh refused", tok, err)
	for _, name := range []string{"pk-code", "oidc"} {
		errs = append(errs, e.svc.Logout(e.ctx, name))
	}

	// The secrets: the configured ones and the key files' forms, what the
	// providers and the test's servers saw, what the proxy saw answered,
	// and the tokens handed out.
	secrets := append([]string{sentinel, sentXClient, sentHSSecret, sentSubject, sentActor, sentRefusedSub}, keyForms...)
	secrets = append(secrets, badForms...)
	secrets = append(secrets, rec.all()...)
	for _, tok := range toks {
		secrets = append(secrets, tok.AccessToken, tok.RefreshToken)
	}
	idTokens, assertions := 0, 0
	for _, r := range e.fake.Requests(providertest.OAuth2) {
		secrets = append(secrets, formSecrets(r.Form)...)
		secrets = append(secrets, r.Query.Get("code"), r.Query.Get("nonce"), r.Query.Get("state"), r.BasicPassword)
		if r.Form.Has("client_assertion") {
			assertions++
		}
		if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			secrets = append(secrets, v)
		}
	}
	for _, s := range rec.all() {
		if strings.Count(s, ".") == 2 && len(s) > 100 {
			idTokens++
		}
	}
	var nonEmpty []string
	for _, s := range secrets {
		if len(s) >= 8 {
			nonEmpty = append(nonEmpty, s)
		}
	}
	if len(nonEmpty) < 60 || idTokens < 12 || assertions < 6 {
		t.Fatalf("%d secrets, %d id_tokens, %d assertions collected: the test is not seeing the flows", len(nonEmpty), idTokens, assertions)
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
	joined := ""
	for _, err := range errs {
		if err != nil {
			leak("error", err.Error())
			joined += err.Error() + "\n"
		}
	}
	for _, c := range e.svc.Config().Connections {
		st, err := e.svc.State(c.Name)
		if err != nil {
			t.Fatal(err)
		}
		leak(c.Name+" LastError", st.LastError)
		if st.LastCheck != nil {
			leak(c.Name+" LastCheck", (&checkErr{st.LastCheck}).Error())
		}
		for _, ev := range st.Events {
			leak(c.Name+" event", ev.Detail)
		}
		if st.Token != nil {
			for k, v := range st.Token.Extra {
				leak(c.Name+" Extra["+k+"]", v)
			}
			leak(c.Name+" token notes", strings.Join(st.Token.Notes, "\n"))
		}
	}
	// The failures did reach the errors, redacted.
	for _, want := range []string{"HTTP 500", "invalid_request", "refused: " + redact.Placeholder, "secret is larger than 64 KiB",
		"RSA key of 1024 bits is too short", "subject_token is not accepted", "id_token nonce does not match",
		"renewal refused", "invalid_grant"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no error says %q:\n%s", want, joined)
		}
	}
}

// checkErr is every text of a stored check as one error, for the leak
// search: its error and the introspection's fields.
type checkErr struct{ c *flows.Check }

func (c *checkErr) Error() string {
	s := c.c.Err
	if in := c.c.Introspection; in != nil {
		s += "\n" + in.Subject + "\n" + in.Scope + "\n" + in.ClientID
	}
	return s
}

// TestBrowserURLCarriesNoSecret: the authorization URL is the one value
// tokentop hands to another program's argv (xdg-open or open, through
// github.com/cli/browser). It carries the state, the nonce and the PKCE
// challenge, which are single-use and meant for the browser, and none of
// the secrets that stay in tokentop: not the PKCE verifier, the client
// secret, the HS256 secret, the private key or a client assertion.
func TestBrowserURLCarriesNoSecret(t *testing.T) {
	dir := t.TempDir()
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pemPath, keyForms := pemSecrets(t, dir, "client.pem", ecKey)
	conf := strings.ReplaceAll(`
[connections.pk-code]
provider = "oauth2"
flow = "authorization_code"
issuer = "{URL}/oauth2"
client_id = "pk-client"
client_auth = "private_key_jwt"
private_key = "file:{PEM}"
scopes = ["openid", "offline_access"]

[connections.hs-code]
provider = "oauth2"
flow = "authorization_code"
issuer = "{URL}/oauth2"
client_id = "hs-client"
client_auth = "client_secret_jwt"
client_secret = "`+sentHSSecret+`"
scopes = ["openid"]

[connections.basic-code]
provider = "oauth2"
flow = "authorization_code"
issuer = "{URL}/oauth2"
client_id = "xc"
client_secret = "`+sentXClient+`"
scopes = ["openid"]
`, "{PEM}", pemPath)
	e := newEnv(t, providertest.Options{
		OAuth2Clients:    map[string]string{"hs-client": sentHSSecret, "xc": sentXClient, "pk-client": "unused-pk-secret"},
		OAuth2ClientKeys: map[string]crypto.PublicKey{"pk-client": ecKey.Public()},
	}, conf)
	for _, name := range []string{"pk-code", "hs-code", "basic-code"} {
		p, err := e.svc.BeginLogin(e.ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		u := p.(flows.BrowserSignIn).URL()
		browsed := make(chan error, 1)
		go func() { browsed <- providertest.Browse(e.ctx, u) }()
		if _, err := p.Wait(e.ctx); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := <-browsed; err != nil {
			t.Fatalf("%s: browser: %v", name, err)
		}
		r := e.lastRequest(providertest.OAuth2, "authorization_code")
		secrets := append([]string{sentinel, r.Form.Get("code_verifier"), r.Form.Get("client_assertion"), r.BasicPassword}, keyForms...)
		if a := r.Form.Get("client_assertion"); a != "" {
			secrets = append(secrets, a[strings.LastIndexByte(a, '.')+1:])
		}
		if r.Form.Get("code_verifier") == "" {
			t.Fatalf("%s: no verifier on the token request", name)
		}
		q, err := url.Parse(u)
		if err != nil || q.Query().Get("state") == "" || q.Query().Get("code_challenge") == "" {
			t.Fatalf("%s: authorization URL %q", name, u)
		}
		for _, s := range secrets {
			if len(s) >= 8 && (strings.Contains(u, s) || strings.Contains(u, url.QueryEscape(s))) {
				t.Errorf("%s: the authorization URL holds a secret (%d chars, starts %.4q)", name, len(s), s)
			}
		}
	}
}
