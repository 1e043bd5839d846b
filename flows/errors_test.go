package flows_test

import (
	"strings"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/flows/oauth"
	"tokentop/flows/providertest"
)

// TestErrorTexts: every error the domain hands an edge names the connection
// once and carries facts only: no "run tokentop login", no "press l" (the
// command line and the dashboard add those).
func TestErrorTexts(t *testing.T) {
	e := newEnv(t, providertest.Options{}, aikidoConf+aerionConf)
	if _, err := e.svc.Token(e.ctx, "aikido", time.Minute); err != nil {
		t.Fatal(err)
	}
	// The stored token is refused by the check, and renewing it is refused
	// too: the error passes through two layers that each know the name.
	e.fake.RevokeAll(providertest.Aikido)
	wrong, err := config.Parse("test.toml", []byte(strings.ReplaceAll(strings.Replace(aikidoConf, providertest.AikidoClientSecret, "wrong-secret-value", 1), "{URL}", e.fake.URL)))
	if err != nil {
		t.Fatal(err)
	}
	_, checkErr := flows.NewService(wrong, flows.Options{NewClient: oauth.New, Store: e.db, Now: e.clock.Now}).Check(e.ctx, "aikido")
	_, signedOut := e.svc.Token(e.ctx, "aerion", time.Minute)
	e.signInPassword("aerion", providertest.AerionPassword)
	e.fake.RevokeAll(providertest.Aerion)
	e.clock.Advance(2 * time.Hour)
	_, refused := e.svc.Token(e.ctx, "aerion", time.Minute)
	_, again := e.svc.Token(e.ctx, "aerion", time.Minute)
	tests := map[string]struct {
		err    error
		prefix string
	}{
		"check refused":             {checkErr, "aikido: invalid_client"},
		"signed out":                {signedOut, "aerion: sign-in required"},
		"refresh refused":           {refused, "aerion: sign-in required: invalid_grant"},
		"needs a person, next call": {again, "aerion: sign-in required (invalid_grant"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if tc.err == nil {
				t.Fatal("no error")
			}
			msg := tc.err.Error()
			if !strings.HasPrefix(msg, tc.prefix) {
				t.Errorf("%q, want it to start with %q", msg, tc.prefix)
			}
			conn := strings.SplitN(tc.prefix, ":", 2)[0]
			if strings.Count(msg, conn+":") != 1 {
				t.Errorf("%q names %s more than once", msg, conn)
			}
			for _, advice := range []string{"tokentop login", "press l"} {
				if strings.Contains(msg, advice) {
					t.Errorf("%q holds advice for people (%q)", msg, advice)
				}
			}
		})
	}
}
