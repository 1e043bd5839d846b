package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tokentop/flows/providertest"
	"tokentop/store/etcd/etcdtest"
)

// teamBenchFixture signs in one Aerion connection twice: once kept on a
// real etcd (a team connection, sealed with a team key) and once in a
// local state file, and returns the args of `tokentop token` for each.
func teamBenchFixture(b *testing.B) (team, local []string) {
	b.Helper()
	srv := etcdtest.Start(b)
	fake := providertest.New(providertest.Options{})
	b.Cleanup(fake.Close)
	b.Setenv("TOKENTOP_TEST_TEAM_KEY", teamTestKey)
	dir := b.TempDir()
	teamConf := filepath.Join(dir, "team.toml")
	conf := fmt.Sprintf(`[team]
endpoints = [%q]
prefix = "/tokentop/bench"
timeout = "2s"
key = "env:TOKENTOP_TEST_TEAM_KEY"

[connections.aerion]
provider = "aerion"
company_url = %q
username = %q
client_id = "tokentop-e2e"
client_secret = %q
token_url = "%s"
check_url = "%s"
team = true
`, srv.Endpoint, providertest.AerionTenant, providertest.AerionUser, cliAerionSecret, fake.AerionTokenURL(), fake.AerionCheckURL())
	if err := os.WriteFile(teamConf, []byte(conf), 0o600); err != nil {
		b.Fatal(err)
	}
	team = []string{"--config", teamConf, "--state", filepath.Join(dir, "team-state", "tokentop.db")}
	localDir := filepath.Join(dir, "local")
	if err := os.Mkdir(localDir, 0o700); err != nil {
		b.Fatal(err)
	}
	local = []string{"--config", aerionVia(b, localDir, fake.URL), "--state", filepath.Join(dir, "local-state", "tokentop.db")}
	for _, args := range [][]string{team, local} {
		login := exec.Command(binPath, append(args, "login", "aerion", "--password-stdin")...)
		login.Stdin = strings.NewReader(providertest.AerionPassword + "\n")
		if out, err := login.CombinedOutput(); err != nil {
			b.Fatalf("login: %v: %s", err, out)
		}
	}
	team = append(team, "token", "aerion")
	local = append(local, "token", "aerion")
	return team, local
}

// BenchmarkTeamToken runs `tokentop token` for a team connection holding a
// valid token (etcd on loopback, sealed) and for the same connection kept
// locally, alternately, and reports both medians and their difference. The
// target is a difference of at most 2 ms.
func BenchmarkTeamToken(b *testing.B) {
	team, local := teamBenchFixture(b)
	var tt, lt []time.Duration
	b.ResetTimer()
	for b.Loop() {
		tt = append(tt, runOnce(b, binPath, team...))
		lt = append(lt, runOnce(b, binPath, local...))
	}
	b.StopTimer()
	mt, ml := median(tt), median(lt)
	b.ReportMetric(float64(mt.Microseconds())/1000, "team-ms")
	b.ReportMetric(float64(ml.Microseconds())/1000, "local-ms")
	b.ReportMetric(float64((mt-ml).Microseconds())/1000, "diff-ms")
}

// BenchmarkVersionStartup runs `tokentop --version` and a hello-world Go
// binary alternately and reports both medians and their ratio.
func BenchmarkVersionStartup(b *testing.B) {
	hello, err := helloOnce()
	if err != nil {
		b.Fatal(err)
	}
	var vt, hw []time.Duration
	b.ResetTimer()
	for b.Loop() {
		vt = append(vt, runOnce(b, binPath, "--version"))
		hw = append(hw, runOnce(b, hello))
	}
	b.StopTimer()
	mv, mh := median(vt), median(hw)
	b.ReportMetric(float64(mv.Microseconds())/1000, "version-ms")
	b.ReportMetric(float64(mh.Microseconds())/1000, "hello-ms")
	b.ReportMetric(float64(mv)/float64(mh), "ratio")
}
