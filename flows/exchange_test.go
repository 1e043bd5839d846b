package flows_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/fault"
	"tokentop/flows/oauth"
	"tokentop/flows/providertest"
	"tokentop/flows/secret"
)

const (
	ciClient = "ci"
	ciSecret = "ci-secret-0123456789"
	ghClient = "gh"
	ghSecret = "gh-secret-0123456789"
)

// exchangeClients are the OAuth 2.0 fake's clients of the exchange tests.
var exchangeClients = map[string]string{ciClient: ciSecret, ghClient: ghSecret, "ci-public": ""}

// ciConf is a token_exchange connection; {SUBJECT} is its subject line.
const ciConf = `
[connections.ci]
provider = "oauth2"
flow = "token_exchange"
token_url = "{URL}/oauth2/token"
client_id = "ci"
client_secret = "ci-secret-0123456789"
scopes = ["deploy"]
audience = ["https://api.example.com", "ledger"]
{SUBJECT}
`

// ghConf is the client-credentials connection whose token ci can exchange.
const ghConf = `
[connections.gh]
provider = "oauth2"
flow = "client_credentials"
token_url = "{URL}/oauth2/token"
client_id = "gh"
client_secret = "gh-secret-0123456789"
`

// subjectFile writes a subject token file and returns its path.
func subjectFile(t *testing.T, dir, value string) string {
	t.Helper()
	p := filepath.Join(dir, "subject.jwt")
	if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func exchangeEnv(t *testing.T, opts providertest.Options, subjectLine, more string) *env {
	t.Helper()
	opts.OAuth2Clients = exchangeClients
	return newEnv(t, opts, strings.ReplaceAll(ciConf, "{SUBJECT}", subjectLine)+more)
}

// TestTokenExchangeSubjectFile: the RFC 8693 request on the wire is exact
// (grant type, subject and its type, one audience parameter per value,
// scope, Basic client auth), issued_token_type is kept, and a renewal is a
// new exchange with the subject file read again: the refresh token of the
// answer is kept but never sent.
func TestTokenExchangeSubjectFile(t *testing.T) {
	dir := t.TempDir()
	path := subjectFile(t, dir, "ci-oidc-token-1")
	e := exchangeEnv(t, providertest.Options{}, `subject_token = "file:`+path+`"`, "")
	e.fake.AcceptSubject("ci-oidc-token-1", providertest.TokenTypeJWT, "ci-bot")
	e.fake.AcceptSubject("ci-oidc-token-2", providertest.TokenTypeJWT, "ci-bot")

	tok, err := e.svc.Token(e.ctx, "ci", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	r := e.lastRequest(providertest.OAuth2, providertest.TokenExchangeGrant)
	want := url.Values{
		"grant_type":         {providertest.TokenExchangeGrant},
		"subject_token":      {"ci-oidc-token-1"},
		"subject_token_type": {providertest.TokenTypeJWT},
		"audience":           {"https://api.example.com", "ledger"},
		"scope":              {"deploy"},
	}
	if !reflect.DeepEqual(r.Form, want) {
		t.Errorf("exchange form\n got %v\nwant %v", r.Form, want)
	}
	if !r.Basic || r.BasicUser != ciClient || r.BasicPassword != ciSecret {
		t.Errorf("client auth: Basic %v %q", r.Basic, r.BasicUser)
	}
	if got := tok.Extra[oauth.ExtraIssuedTokenType]; got != providertest.TokenTypeAccess {
		t.Errorf("issued_token_type %q, want %q", got, providertest.TokenTypeAccess)
	}
	if tok.RefreshToken == "" || tok.TokenType != "Bearer" {
		t.Errorf("token type %q, refresh token kept %v", tok.TokenType, tok.RefreshToken != "")
	}
	if got := tok.Extra["audience"]; got != "https://api.example.com, ledger" {
		t.Errorf("audience %q", got)
	}

	// The CI system rotates the file; the next renewal reads it again.
	subjectFile(t, dir, "ci-oidc-token-2")
	e.clock.Advance(2 * time.Hour)
	tok2, err := e.svc.Token(e.ctx, "ci", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if tok2.AccessToken == tok.AccessToken {
		t.Error("the token was not renewed")
	}
	r = e.lastRequest(providertest.OAuth2, providertest.TokenExchangeGrant)
	if got := r.Form.Get("subject_token"); got != "ci-oidc-token-2" {
		t.Errorf("renewal sent subject %q, want the file's new value", got)
	}
	if n := e.fake.Count(providertest.OAuth2, "refresh_token"); n != 0 {
		t.Errorf("%d refresh requests: renewal must be a new exchange", n)
	}
	if n := e.fake.Count(providertest.OAuth2, providertest.TokenExchangeGrant); n != 2 {
		t.Errorf("%d exchanges, want 2", n)
	}
	if c := e.svc.Config().Connection("ci"); !c.Renewable(e.state("ci")) {
		t.Error("not renewable without a person")
	}
}

// TestTokenExchangePublicClient: a client without a secret sends client_id
// alone, in the body.
func TestTokenExchangePublicClient(t *testing.T) {
	path := subjectFile(t, t.TempDir(), "ci-oidc-token-1")
	conf := strings.Replace(strings.Replace(ciConf, `client_id = "ci"`, `client_id = "ci-public"`, 1), `client_secret = "ci-secret-0123456789"`+"\n", "", 1)
	e := newEnv(t, providertest.Options{OAuth2Clients: exchangeClients}, strings.ReplaceAll(conf, "{SUBJECT}", `subject_token = "file:`+path+`"`))
	e.fake.AcceptSubject("ci-oidc-token-1", providertest.TokenTypeJWT, "ci-bot")
	if _, err := e.svc.Token(e.ctx, "ci", time.Minute); err != nil {
		t.Fatal(err)
	}
	r := e.lastRequest(providertest.OAuth2, providertest.TokenExchangeGrant)
	if r.Basic || r.Form.Get("client_id") != "ci-public" || r.Form.Has("client_secret") {
		t.Errorf("public client: Basic %v, form %v", r.Basic, r.Form)
	}
}

// TestTokenExchangeNotAnAccessToken: a requested id_token comes back with
// token_type N_A (RFC 8693 §2.2.1): kept as it is, with a Note.
func TestTokenExchangeNotAnAccessToken(t *testing.T) {
	path := subjectFile(t, t.TempDir(), "ci-oidc-token-1")
	e := exchangeEnv(t, providertest.Options{}, `subject_token = "file:`+path+`"`+"\nrequested_token_type = \""+providertest.TokenTypeIDToken+`"`, "")
	e.fake.AcceptSubject("ci-oidc-token-1", providertest.TokenTypeJWT, "ci-bot")
	tok, err := e.svc.Token(e.ctx, "ci", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.lastRequest(providertest.OAuth2, providertest.TokenExchangeGrant).Form.Get("requested_token_type"); got != providertest.TokenTypeIDToken {
		t.Errorf("requested_token_type %q", got)
	}
	if tok.TokenType != "N_A" || tok.Extra[oauth.ExtraIssuedTokenType] != providertest.TokenTypeIDToken {
		t.Errorf("token type %q, issued %q", tok.TokenType, tok.Extra[oauth.ExtraIssuedTokenType])
	}
	if !strings.Contains(strings.Join(tok.Notes, "; "), "token_type N_A") {
		t.Errorf("notes %q", tok.Notes)
	}
}

// TestTokenExchangeSubjectConnection: the subject is another connection's
// token, renewed through the Service when it has expired.
func TestTokenExchangeSubjectConnection(t *testing.T) {
	e := exchangeEnv(t, providertest.Options{}, `subject_connection = "gh"`, ghConf)
	if _, err := e.svc.Token(e.ctx, "ci", time.Minute); err != nil {
		t.Fatal(err)
	}
	gh := e.state("gh").Token
	r := e.lastRequest(providertest.OAuth2, providertest.TokenExchangeGrant)
	if r.Form.Get("subject_token") != gh.AccessToken || r.Form.Get("subject_token_type") != providertest.TokenTypeAccess {
		t.Errorf("subject %q of type %q, want gh's access token", r.Form.Get("subject_token"), r.Form.Get("subject_token_type"))
	}
	e.clock.Advance(2 * time.Hour) // both expired
	if _, err := e.svc.Token(e.ctx, "ci", time.Minute); err != nil {
		t.Fatal(err)
	}
	gh2 := e.state("gh").Token
	if gh2.AccessToken == gh.AccessToken || e.fake.Count(providertest.OAuth2, "client_credentials") != 2 {
		t.Fatalf("gh was not renewed (%d client_credentials requests)", e.fake.Count(providertest.OAuth2, "client_credentials"))
	}
	if got := e.lastRequest(providertest.OAuth2, providertest.TokenExchangeGrant).Form.Get("subject_token"); got != gh2.AccessToken {
		t.Error("the exchange did not send gh's renewed token")
	}
}

// TestTokenExchangeCycleAtRunTime: a cycle that config loading would refuse
// (here made by hand) fails at once with one line, instead of waiting on
// itself.
func TestTokenExchangeCycleAtRunTime(t *testing.T) {
	e := exchangeEnv(t, providertest.Options{}, `subject_connection = "gh"`, strings.Replace(ghConf, `flow = "client_credentials"`, `flow = "token_exchange"`+"\n"+`subject_token = "env:UNUSED"`, 1))
	gh := e.svc.Config().Connection("gh")
	gh.Exchange.SubjectToken, gh.Exchange.SubjectConnection = secret.Secret{}, "ci"
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	_, err := e.svc.Token(ctx, "ci", time.Minute)
	if err == nil || !strings.Contains(err.Error(), "ci → gh → ci") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v, want the cycle named in one line", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the cycle waited for its deadline")
	}
	if n := e.fake.Count(providertest.OAuth2, providertest.TokenExchangeGrant); n != 0 {
		t.Errorf("%d exchanges sent", n)
	}
}

// TestTokenExchangeSubjectFileProblems: an unreadable, empty or oversized
// subject file is one line naming the connection and the key, never the
// file's bytes, and nothing is sent.
func TestTokenExchangeSubjectFileProblems(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("eyJhbGciOiJSUzI1NiJ9", 4000) // 80 kB
	tests := map[string]struct {
		content *string
		want    string
	}{
		"missing":   {nil, "ci: subject_token: reading secret file: open "},
		"empty":     {new(string), "ci: subject_token: secret file "},
		"oversized": {&big, "ci: subject_token: file: secret is larger than 64 KiB"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if tt.content != nil {
				if err := os.WriteFile(path, []byte(*tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			e := exchangeEnv(t, providertest.Options{}, `subject_token = "file:`+path+`"`, "")
			_, err := e.svc.Token(e.ctx, "ci", time.Minute)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line starting %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "eyJhbGci") {
				t.Error("the error quotes the file")
			}
			if n := len(e.fake.Requests(providertest.OAuth2)); n != 0 {
				t.Errorf("%d requests sent", n)
			}
		})
	}
}

// TestTokenExchangeErrors: the RFC 8693 §2.2.2 errors are ProviderErrors in
// one line naming the connection.
func TestTokenExchangeErrors(t *testing.T) {
	path := subjectFile(t, t.TempDir(), "ci-oidc-token-1")
	e := exchangeEnv(t, providertest.Options{OAuth2Audiences: []string{"https://api.example.com"}}, `subject_token = "file:`+path+`"`, "")
	_, err := e.svc.Token(e.ctx, "ci", time.Minute)
	var pe *fault.ProviderError
	if !errors.As(err, &pe) || pe.Code != "invalid_request" || err.Error() != "ci: invalid_request: subject_token is not accepted" ||
		pe.Hint != "check subject_token and subject_token_type (RFC 8693 §2.2.2)" {
		t.Errorf("unknown subject: %v", err)
	}
	e.fake.AcceptSubject("ci-oidc-token-1", providertest.TokenTypeJWT, "ci-bot")
	e.clock.Advance(time.Hour) // past the backoff
	_, err = e.svc.Renew(e.ctx, "ci")
	if !errors.As(err, &pe) || pe.Code != "invalid_target" || err.Error() != "ci: invalid_target: audience ledger is unknown" ||
		pe.Hint != "check audience and resource (RFC 8693 §2.2.2)" {
		t.Errorf("unknown audience: %v", err)
	}
	if a := flows.Assess(e.svc.Config().Connection("ci"), e.state("ci"), e.clock.Now()); a.Condition != flows.Failing {
		t.Errorf("condition %v, want failing", a.Condition)
	}
}

// TestTokenExchangeLogin: tokentop login runs the exchange without a person.
func TestTokenExchangeLogin(t *testing.T) {
	path := subjectFile(t, t.TempDir(), "ci-oidc-token-1")
	e := exchangeEnv(t, providertest.Options{}, `subject_token = "file:`+path+`"`, "")
	e.fake.AcceptSubject("ci-oidc-token-1", providertest.TokenTypeJWT, "ci-bot")
	p, err := e.svc.BeginLogin(e.ctx, "ci")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(e.ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.Count(providertest.OAuth2, providertest.TokenExchangeGrant); n != 1 {
		t.Errorf("%d exchanges, want 1", n)
	}
}
