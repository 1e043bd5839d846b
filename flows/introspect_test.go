package flows_test

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/providertest"
)

// introspectConf is a client-credentials connection checked by RFC 7662
// introspection, its endpoint found in the issuer's metadata.
const introspectConf = `
[connections.gh]
provider = "oauth2"
flow = "client_credentials"
issuer = "{URL}/oauth2"
client_id = "gh"
client_secret = "gh-secret-0123456789"
scopes = ["repo"]
check = "introspect"
`

// TestIntrospectionCheck: the check POSTs token and token_type_hint with
// the client's Basic auth to the endpoint the metadata names, and the
// answer's fields are kept in the stored check.
func TestIntrospectionCheck(t *testing.T) {
	e := newEnv(t, providertest.Options{OAuth2Clients: exchangeClients}, introspectConf)
	tok, err := e.svc.Token(e.ctx, "gh", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	e.mustCheck("gh")
	r := e.requestTo("/introspect")
	if want := (url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}}); !reflect.DeepEqual(r.Form, want) {
		t.Errorf("introspection form %v, want %v", r.Form, want)
	}
	if !r.Basic || r.BasicUser != ghClient || r.BasicPassword != ghSecret {
		t.Errorf("client auth: Basic %v %q", r.Basic, r.BasicUser)
	}
	var paths []string
	for _, r := range e.fake.Requests(providertest.OAuth2) {
		paths = append(paths, r.Path)
	}
	if want := []string{"/oauth2/.well-known/openid-configuration", "/oauth2/token", "/oauth2/introspect"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("requests %q, want %q (no check_url call)", paths, want)
	}
	st := e.state("gh")
	want := &flows.Introspection{Active: true, Expiry: tok.Expiry.Truncate(time.Second).UTC(), Scope: "repo", ClientID: ghClient, Subject: "service:gh"}
	if got := st.LastCheck.Introspection; got == nil || !got.Expiry.Equal(want.Expiry) || got.Scope != want.Scope || got.ClientID != want.ClientID || got.Subject != want.Subject || !got.Active {
		t.Errorf("stored introspection %+v, want %+v", got, want)
	}
	if a := flows.Assess(e.svc.Config().Connection("gh"), st, e.clock.Now()); a.Condition != flows.Valid {
		t.Errorf("condition %v (%s), want valid", a.Condition, a.Reason)
	}
}

// TestIntrospectionInactiveRenews: an inactive token is renewed once and
// checked again, as a 401 invalid_token at check_url is.
func TestIntrospectionInactiveRenews(t *testing.T) {
	e := newEnv(t, providertest.Options{OAuth2Clients: exchangeClients}, introspectConf)
	old, err := e.svc.Token(e.ctx, "gh", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	e.fake.RevokeAll(providertest.OAuth2)
	e.mustCheck("gh")
	st := e.state("gh")
	if st.Token.AccessToken == old.AccessToken || st.Refused || !st.LastCheck.Introspection.Active {
		t.Errorf("after an inactive answer: renewed %v, refused %v, %+v", st.Token.AccessToken != old.AccessToken, st.Refused, st.LastCheck.Introspection)
	}
	if got := e.requestTo("/introspect").Form.Get("token"); got != st.Token.AccessToken {
		t.Error("the second introspection did not ask about the renewed token")
	}
}

// TestIntrospectionInactiveNeedsAttention: a token that cannot be renewed
// without a person and is inactive at the provider is a Failing condition
// ("token inactive at the provider") and is not handed out again.
func TestIntrospectionInactiveNeedsAttention(t *testing.T) {
	conf := introspectConf + `
[connections.web]
provider = "oauth2"
flow = "authorization_code"
issuer = "{URL}/oauth2"
client_id = "gh"
client_secret = "gh-secret-0123456789"
check = "introspect"
`
	e := newEnv(t, providertest.Options{OAuth2Clients: exchangeClients}, conf)
	tok, err := e.svc.Token(e.ctx, "gh", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// A token signed in elsewhere, without a refresh token.
	if err := e.db.Update("web", func(st *flows.State) error {
		st.Token = &flows.Token{AccessToken: tok.AccessToken, TokenType: "Bearer", Expiry: tok.Expiry}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Check(e.ctx, "web"); err != nil {
		t.Fatalf("active check: %v", err)
	}
	e.fake.RevokeAll(providertest.OAuth2)
	chk, err := e.svc.Check(e.ctx, "web")
	if err == nil || err.Error() != "web: token inactive at the provider (introspection: active false)" {
		t.Errorf("inactive check: err %v", err)
	}
	if chk == nil || chk.Introspection == nil || chk.Introspection.Active || chk.OK() {
		t.Errorf("check %+v", chk)
	}
	st := e.state("web")
	a := flows.Assess(e.svc.Config().Connection("web"), st, e.clock.Now())
	if a.Condition != flows.Failing || !a.Condition.NeedsAttention() || a.Reason != "token inactive at the provider (introspection: active false)" {
		t.Errorf("assessment %v %q", a.Condition, a.Reason)
	}
	if !st.Refused {
		t.Error("the inactive token is not marked refused")
	}
	got, err := e.svc.Token(e.ctx, "web", 0)
	if got != nil || err == nil || err.Error() != "web: sign-in required (the token was refused, by the provider's introspection or a tool, and cannot be renewed without a person)" {
		t.Errorf("the inactive token was handed out again, or the error does not say why: %v", err)
	}
}

// TestIntrospectionUnauthorizedClient: a 401 from the introspection
// endpoint is the client's fault, one line, and does not renew the token.
func TestIntrospectionUnauthorizedClient(t *testing.T) {
	e := newEnv(t, providertest.Options{OAuth2Clients: exchangeClients}, introspectConf)
	if _, err := e.svc.Token(e.ctx, "gh", time.Minute); err != nil {
		t.Fatal(err)
	}
	e.fake.FailNextPath("/oauth2/introspect", 1, 401, "", nil)
	chk, err := e.svc.Check(e.ctx, "gh")
	if err != nil {
		t.Fatal(err)
	}
	if chk.OK() || !strings.HasPrefix(chk.Err, "invalid_client: ") || strings.Contains(chk.Err, "\n") {
		t.Errorf("check error %q", chk.Err)
	}
	if n := e.fake.Count(providertest.OAuth2, "client_credentials"); n != 1 {
		t.Errorf("%d token requests: a refused client is no reason to renew", n)
	}
}
