package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tokentop/flows/providertest"
)

// countingListener is a TCP listener on loopback that counts the
// connections made to it and never answers: where a [team] table points
// when a test must show that nothing talks to the team store.
func countingListener(t testing.TB) (addr string, accepted *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = &atomic.Int64{}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String(), accepted
}

// teamTable is a [team] table on addr whose password is a command that
// leaves marker behind when it runs, and a team connection "shared".
func teamTable(addr, marker string) string {
	return fmt.Sprintf(`
[team]
endpoints = ["http://%s"]
prefix = "/tokentop/test"
username = "ops"
password = "cmd:touch %s; echo pw"
timeout = "500ms"

[connections.shared]
provider = "aikido"
client_id = "shared"
client_secret = "env:TOKENTOP_TEST_SHARED_SECRET"
token_url = "http://%s/token"
team = true
`, addr, marker, addr)
}

func (c *cli) appendConfig(text string) {
	c.t.Helper()
	f, err := os.OpenFile(c.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		c.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		c.t.Fatal(err)
	}
}

// tokentop token of a local connection, with a [team] table and a team
// connection in the file, neither opens the team store nor resolves its
// password: no connection reaches the team's endpoint, no command runs.
func TestCLILocalTokenNeverTouchesTheTeamStore(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	addr, accepted := countingListener(t)
	marker := filepath.Join(t.TempDir(), "team-password-ran")
	c.appendConfig(teamTable(addr, marker))
	for range 2 { // fetched, then from the state file
		out, errOut, code := c.run("", "token", "aikido")
		if code != 0 || out == "" || errOut != "" {
			t.Fatalf("token aikido: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("%d connections to the team's endpoint from a local connection's token", n)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a local connection's token resolved the team's password")
	}
}

// A team connection names the team store and its endpoint when the store
// cannot be opened; the local connections are not what fails.
// TestCLITeamStoreUnreachable: a team endpoint that takes the connection
// and never answers fails the call within its timeout, in one line naming
// the endpoint and never the password.
func TestCLITeamStoreUnreachable(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	addr, _ := countingListener(t)
	c.appendConfig(teamTable(addr, filepath.Join(t.TempDir(), "ran")))
	_, errOut, code := c.run("", "token", "shared")
	want := "etcd http://" + addr + ": no answer in time"
	if code != 1 || !strings.Contains(errOut, want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("token shared: exit %d, stderr %q; want exit 1 and one line containing %q", code, errOut, want)
	}
	if strings.Contains(errOut, "pw") {
		t.Errorf("the error shows the password: %q", errOut)
	}
}

func TestCLITeamConfigAndCommandErrors(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	c.appendConfig("\n[connections.lone]\nprovider = \"aikido\"\nclient_id = \"l\"\nclient_secret = \"env:X\"\nteam = true\n")
	_, errOut, code := c.run("", "config", "check")
	if code != 2 || !strings.Contains(errOut, "config.toml:23: connections.lone.team: team = true needs a [team] table") {
		t.Errorf("team = true without [team]: exit %d, %q", code, errOut)
	}

	c = newCLI(t, providertest.Options{})
	_, errOut, code = c.run("", "team", "push", "aikido")
	if code != 2 || !strings.Contains(errOut, "aikido: the config file has no [team] table") {
		t.Errorf("push without [team]: exit %d, %q", code, errOut)
	}
	addr, accepted := countingListener(t)
	c.appendConfig(teamTable(addr, filepath.Join(t.TempDir(), "ran")))
	_, errOut, code = c.run("", "team", "push", "aikido")
	if code != 2 || !strings.Contains(errOut, "aikido: not a team connection: set team = true in its [connections.aikido] table first") {
		t.Errorf("push of a local connection: exit %d, %q", code, errOut)
	}
	_, errOut, code = c.run("", "team", "pull", "shared")
	if code != 2 || !strings.Contains(errOut, "shared: still a team connection") {
		t.Errorf("pull of a team connection: exit %d, %q", code, errOut)
	}
	_, errOut, code = c.run("", "team", "push", "nope")
	if code != 2 || !strings.Contains(errOut, "nope: unknown connection") {
		t.Errorf("push of an unknown connection: exit %d, %q", code, errOut)
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("%d connections to the team's endpoint from refused moves", n)
	}
}

// BenchmarkLocalTokenWithTeamTable runs tokentop token of a local
// connection holding a valid token with and without a [team] table (and a
// team connection) in the file, alternately: the two medians should match.
func BenchmarkLocalTokenWithTeamTable(b *testing.B) {
	dir := b.TempDir()
	base := "[connections.aha-key]\nprovider = \"aha\"\nflow = \"api_key\"\nsubdomain = \"acme\"\napi_key = \"aha_key_0123456789abcdef0123456789\"\n"
	plain, team := filepath.Join(dir, "plain.toml"), filepath.Join(dir, "team.toml")
	addr, accepted := countingListener(b)
	if err := os.WriteFile(plain, []byte(base), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(team, []byte(base+teamTable(addr, filepath.Join(dir, "ran"))), 0o600); err != nil {
		b.Fatal(err)
	}
	state := filepath.Join(dir, "state", "tokentop.db")
	pa := []string{"--config", plain, "--state", state, "token", "aha-key"}
	ta := []string{"--config", team, "--state", state, "token", "aha-key"}
	runOnce(b, binPath, pa...)
	var tp, tt []time.Duration
	b.ResetTimer()
	for b.Loop() {
		tp = append(tp, runOnce(b, binPath, pa...))
		tt = append(tt, runOnce(b, binPath, ta...))
	}
	b.StopTimer()
	if accepted.Load() != 0 {
		b.Fatal("the local token path connected to the team's endpoint")
	}
	b.ReportMetric(float64(median(tp).Microseconds())/1000, "plain-ms")
	b.ReportMetric(float64(median(tt).Microseconds())/1000, "team-table-ms")
}
