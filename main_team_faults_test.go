package main

import (
	"strings"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/providertest"
	"tokentop/store/etcd"
	"tokentop/store/etcd/etcdtest"
)

// TestTeamEtcdDownHandsOutTheTokenRead: a team token read once; etcd
// killed → tokentop token prints that token, still valid, with one line
// saying which token and why, at once; with the copy expired → exit 1, one
// line naming the endpoint, no request at the provider; etcd restarted →
// token renews as usual, nothing to clear.
func TestTeamEtcdDownHandsOutTheTokenRead(t *testing.T) {
	srv := etcdtest.Start(t)
	fake := providertest.New(providertest.Options{})
	t.Cleanup(fake.Close)
	m := teamMachines(t, 1, srv.Endpoint, fake, true)[0]
	if _, errOut, code := m.run(providertest.AerionPassword+"\n", "login", "aerion", "--password-stdin"); code != 0 {
		t.Fatalf("login: %s", errOut)
	}
	first, errOut, code := m.run("", "token", "aerion")
	if code != 0 || strings.TrimSpace(first) == "" || errOut != "" {
		t.Fatalf("token with etcd up: exit %d, stderr %q", code, errOut)
	}

	srv.Stop()
	start := time.Now()
	out, errOut, code := m.run("", "token", "aerion")
	took := time.Since(start)
	if code != 0 || out != first {
		t.Fatalf("token with etcd stopped: exit %d, same token: %v, stderr %q", code, out == first, errOut)
	}
	line := strings.TrimSuffix(errOut, "\n")
	if !strings.HasPrefix(line, "tokentop: warning: aerion: etcd "+srv.Endpoint+": ") || !strings.Contains(line, ": using the token read at ") ||
		!strings.HasSuffix(line, " (the team store is unreachable)") || strings.Contains(line, "\n") || strings.Contains(errOut, strings.TrimSpace(first)) {
		t.Fatalf("stderr with etcd stopped = %q; want one warning line naming the endpoint", errOut)
	}
	if took > 10*time.Second {
		t.Fatalf("token with etcd stopped took %v (team timeout 2s)", took)
	}
	t.Logf("token with etcd stopped: %v; %s", took.Round(time.Millisecond), line)

	// The token expires in etcd; a status read keeps that copy.
	srv.Restart(t)
	st, err := etcd.Open(etcd.Options{Endpoints: []string{srv.Endpoint}, Prefix: "/tokentop/test", Key: []byte("team-secret-for-the-test-0123456789")})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update("aerion", func(s *flows.State) error {
		s.Token.Expiry = time.Now().Add(-time.Minute)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := m.run("", "status", "--json"); code > 1 {
		t.Fatalf("status: exit %d, %s", code, errOut)
	}
	srv.Stop()
	before := fake.Count(providertest.Aerion, "refresh_token")
	start = time.Now()
	out, errOut, code = m.run("", "token", "aerion")
	took = time.Since(start)
	line = strings.TrimSuffix(errOut, "\n")
	if code != 1 || out != "" || !strings.HasPrefix(line, "tokentop: aerion: ") || !strings.Contains(line, "etcd "+srv.Endpoint+": ") || !strings.Contains(line, "(the team store is unreachable: nothing is renewed without it") || strings.Contains(line, "\n") {
		t.Fatalf("token with etcd stopped and the copy expired: exit %d, stdout %q, stderr %q; want exit 1 and one line naming the endpoint", code, out, errOut)
	}
	if n := fake.Count(providertest.Aerion, "refresh_token") - before; n != 0 {
		t.Fatalf("%d refresh requests while etcd was stopped", n)
	}
	if took > 10*time.Second {
		t.Fatalf("the failing token took %v", took)
	}
	t.Logf("token with etcd stopped, copy expired: %v; %s", took.Round(time.Millisecond), line)
	// A renewal asked for outright fails the same way.
	out, errOut, code = m.run("", "renew", "aerion")
	if code == 0 || !strings.Contains(errOut, "etcd "+srv.Endpoint+": ") || strings.Contains(errOut, "using the token") || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("renew with etcd stopped: exit %d, stdout %q, stderr %q; want a failure in one line naming the endpoint", code, out, errOut)
	}
	if n := fake.Count(providertest.Aerion, "refresh_token") - before; n != 0 {
		t.Fatalf("%d refresh requests while etcd was stopped", n)
	}
	t.Logf("renew with etcd stopped: %s", strings.TrimSpace(errOut))

	srv.Restart(t)
	out, errOut, code = m.run("", "token", "aerion")
	if code != 0 || strings.TrimSpace(out) == "" || out == first || errOut != "" {
		t.Fatalf("token after Restart: exit %d, a new token: %v, stderr %q", code, out != first, errOut)
	}
	if n := fake.Count(providertest.Aerion, "refresh_token") - before; n != 1 {
		t.Fatalf("%d refresh requests after Restart, want 1", n)
	}
}
