package flows_test

import (
	"errors"
	"strings"
	"testing"

	"tokentop/flows"
	"tokentop/flows/providertest"
)

// TestSignInDeclined: the provider redirects back with
// error=access_denied and the right state: "you declined access", the
// sign-in ends, and no token request is made.
func TestSignInDeclined(t *testing.T) {
	e := newEnv(t, providertest.Options{}, aikidoConf+`flow = "authorization_code"
redirect_uri = "http://127.0.0.1:0/callback"
`)
	e.fake.DenyNext(providertest.Aikido, 1, "access_denied")
	p, err := e.svc.BeginLogin(e.ctx, "aikido")
	if err != nil {
		t.Fatal(err)
	}
	browsed := make(chan error, 1)
	go func() { browsed <- providertest.Browse(e.ctx, p.(flows.BrowserSignIn).URL()) }()
	tok, err := p.Wait(e.ctx)
	<-browsed
	if tok != nil || !errors.Is(err, flows.ErrAccessDenied) || !strings.Contains(err.Error(), "you declined access") {
		t.Fatalf("token %v, err %v", tok, err)
	}
	if n := e.fake.Count(providertest.Aikido, ""); n != 0 {
		t.Fatalf("%d token requests after access_denied", n)
	}
	if st := e.state("aikido"); st.Token != nil {
		t.Fatal("a token was stored")
	}
}
