package providertest

import (
	"context"
	"net/url"
	"strings"
	"testing"
)

func TestBrowse(t *testing.T) {
	s, _ := newTest(t, Options{})
	ctx := context.Background()

	t.Run("authorization code", func(t *testing.T) {
		cb := newCallback(t)
		u := s.AikidoAuthURL() + "?" + url.Values{"client_id": {AikidoClientID}, "state": {"s1"}, "redirect_uri": {cb.URL + "/cb?x=1"}}.Encode()
		if err := Browse(ctx, u); err != nil {
			t.Fatal(err)
		}
		got := cb.got()
		if len(got) != 1 || !strings.HasPrefix(got[0], "GET /cb?") || !strings.Contains(got[0], "code=") || !strings.Contains(got[0], "state=s1") || !strings.Contains(got[0], "x=1") {
			t.Fatalf("callback saw %q", got)
		}
	})
	t.Run("implicit relay", func(t *testing.T) {
		cb := newCallback(t)
		u := s.ahaURL("secure") + "/oauth/authorize?" + url.Values{"client_id": {AhaClientID}, "response_type": {"token"}, "state": {"s+2 x"}, "redirect_uri": {cb.URL + "/cb?q=1"}}.Encode()
		if err := Browse(ctx, u); err != nil {
			t.Fatal(err)
		}
		got := cb.got()
		if len(got) != 2 || got[0] != "GET /cb?q=1  " {
			t.Fatalf("callback saw %q", got)
		}
		method, rest, _ := strings.Cut(got[1], " ")
		path, rest, _ := strings.Cut(rest, " ")
		body, ct, _ := strings.Cut(rest, " ")
		if method != "POST" || path != "/cb" || ct != "application/x-www-form-urlencoded" {
			t.Fatalf("relay %q", got[1])
		}
		f, err := url.ParseQuery(body)
		if err != nil || f.Get("access_token") == "" || f.Get("token_type") != "bearer" || f.Get("state") != "s+2 x" || f.Get("account_subdomain") != AhaAccount {
			t.Fatalf("relayed body %q", body)
		}
	})
	t.Run("errors", func(t *testing.T) {
		cb := newCallback(t)
		s.DenyNext(Aikido, 1, "access_denied")
		u := s.AikidoAuthURL() + "?" + url.Values{"client_id": {AikidoClientID}, "redirect_uri": {cb.URL + "/cb"}}.Encode()
		if err := Browse(ctx, u); err == nil || !strings.Contains(err.Error(), "400") {
			t.Fatalf("listener refusal: %v", err)
		}
		if got := cb.got(); len(got) != 1 || !strings.Contains(got[0], "error=access_denied") {
			t.Fatalf("callback saw %q", got)
		}
		if err := Browse(ctx, s.AikidoAuthURL()+"?client_id=unknown&redirect_uri=x"); err == nil || !strings.Contains(err.Error(), "400") {
			t.Fatalf("authorize refusal: %v", err)
		}
	})
}
