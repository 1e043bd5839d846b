package ui

import (
	"strings"
	"testing"
	"time"

	"tokentop/flows"
)

// TestDetailShowsExchangeAndIntrospection: the issued_token_type of a token
// exchange and the fields of the last introspection have their lines.
func TestDetailShowsExchangeAndIntrospection(t *testing.T) {
	clock := &fakeClock{t: t0}
	conns := []*flows.Connection{{Name: "ci", Provider: flows.OAuth2, Flow: flows.TokenExchange, TokenURL: "https://sts.example.com/token", CheckMethod: "introspect", IntrospectURL: "https://sts.example.com/introspect"}}
	b := newFakeBackend(clock, conns...)
	in := &flows.Introspection{Active: false, Scope: "deploy", ClientID: "ci-client", Subject: "ci-bot"}
	b.put("ci", flows.State{
		Token:     &flows.Token{AccessToken: "tok-" + sentinel, Expiry: t0.Add(time.Hour), Extra: map[string]string{"issued_token_type": "urn:ietf:params:oauth:token-type:access_token"}},
		LastCheck: &flows.Check{At: t0, Status: 200, Err: "token inactive at the provider (introspection: active false)", Introspection: in},
	})
	h := newHarnessWith(t, b, clock, 140, 50)
	h.press("enter")
	f := h.frame()
	for _, want := range []string{
		"issued as   urn:ietf:params:oauth:token-type:access_token",
		"introspect  inactive · scope deploy · client ci-client · sub ci-bot",
		"token inactive at the provider",
		"https://sts.example.com/introspect",
	} {
		if !strings.Contains(f, want) {
			t.Errorf("no %q in:\n%s", want, f)
		}
	}
	// Its health check goes to the introspection endpoint: there is no
	// check URL to show.
	if strings.Contains(f, "check URL") {
		t.Errorf("an introspecting connection shows a check URL:\n%s", f)
	}
}

// A connection that checks by introspection has no check_url, yet its
// periodic checks run, and so does p (auto = false, so that no periodic
// check is busy when p is pressed).
func TestIntrospectingConnectionIsChecked(t *testing.T) {
	clock := &fakeClock{t: t0}
	conn := &flows.Connection{Name: "ci", Provider: flows.OAuth2, Flow: flows.ClientCredentials, TokenURL: "https://sts.example.com/token", CheckMethod: "introspect", IntrospectURL: "https://sts.example.com/introspect"}
	auto := newFakeBackend(clock, conn)
	auto.put("ci", flows.State{Token: &flows.Token{AccessToken: "tok-" + sentinel, Expiry: t0.Add(time.Hour)}})
	if f := newHarnessWith(t, auto, clock, 120, 30).frame(); !strings.Contains(f, "checking…") {
		t.Fatalf("no periodic check started:\n%s", f)
	}
	manual := *conn
	manual.Manual = true
	conns := []*flows.Connection{&manual}
	b := newFakeBackend(clock, conns...)
	b.put("ci", flows.State{Token: &flows.Token{AccessToken: "tok-" + sentinel, Expiry: t0.Add(time.Hour)}})
	b.checks["ci"] = &flows.Check{Status: 200, Latency: 12 * time.Millisecond, Introspection: &flows.Introspection{Active: true}}
	h := newHarnessWith(t, b, clock, 120, 30)
	if !h.m.keys.Check.Enabled() {
		t.Fatal("p is off for a connection that checks by introspection")
	}
	h.send(await[checkedMsg](t, run(h.press("p"))))
	if h.m.status != "ci: check 200 · 12ms" {
		t.Errorf("status %q after p", h.m.status)
	}
}
