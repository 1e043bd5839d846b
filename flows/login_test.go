package flows_test

import (
	"fmt"
	"net"
	"testing"

	"tokentop/flows/providertest"
)

// TestBrowserLoginPortInUse: a configured redirect port that another program
// holds ends the sign-in before the browser opens, with the address and the
// config key that names it, and the connection's name once.
func TestBrowserLoginPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addr := l.Addr().String()
	e := newEnv(t, providertest.Options{}, aikidoConf+`flow = "authorization_code"
redirect_uri = "http://`+addr+`/callback"
`)
	p, err := e.svc.BeginLogin(e.ctx, "aikido")
	if err == nil {
		p.Cancel()
		t.Fatal("signing in on a port another program holds")
	}
	if want := fmt.Sprintf("aikido: %s is in use by another program (connections.aikido.redirect_uri)", addr); err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
}
