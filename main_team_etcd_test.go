package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/providertest"
	"tokentop/store/etcd"
	"tokentop/store/etcd/etcdtest"
)

// machine is one tokentop installation of a team: its own config and
// state directories, the shared etcd cluster and provider.
type machine struct {
	t      *testing.T
	config string
	state  string
}

// teamMachines writes n machines' configs: one team connection, aerion
// (a rotating refresh token at the provider fake), kept on the etcd at
// endpoint, sealed with a team key when key is set.
func teamMachines(t *testing.T, n int, endpoint string, fake *providertest.Server, key bool) []machine {
	t.Helper()
	var ms []machine
	for i := range n {
		dir := t.TempDir()
		keyLine := ""
		if key {
			keyLine = "key = \"env:TOKENTOP_TEST_TEAM_KEY\"\n"
		}
		conf := fmt.Sprintf(`[team]
endpoints = [%q]
prefix = "/tokentop/test"
timeout = "2s"
%s
[connections.aerion]
provider = "aerion"
company_url = %q
username = %q
client_id = "tokentop-e2e"
client_secret = %q
token_url = "%s"
check_url = "%s"
team = true
`, endpoint, keyLine, providertest.AerionTenant, providertest.AerionUser, cliAerionSecret, fake.AerionTokenURL(), fake.AerionCheckURL())
		m := machine{t: t, config: filepath.Join(dir, "config.toml"), state: filepath.Join(dir, "state", fmt.Sprintf("machine-%d.db", i))}
		if err := os.WriteFile(m.config, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	return ms
}

// run runs tokentop on the machine.
func (m machine) run(stdin string, args ...string) (string, string, int) {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, append([]string{"--config", m.config, "--state", m.state}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "TOKENTOP_TEST_TEAM_KEY=team-secret-for-the-test-0123456789")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		m.t.Fatalf("running tokentop: %v", err)
	}
	return out.String(), errb.String(), code
}

// TestTeamThreeMachinesRenewOnce: three machines (their own configs and
// state files) sharing one team connection on a real etcd, 8 `tokentop
// token` processes each, on an expired rotating refresh token: exactly one
// refresh request at the provider, one token for all 24, no replay. With
// the team key set, etcd holds no token bytes.
func TestTeamThreeMachinesRenewOnce(t *testing.T) {
	srv := etcdtest.Start(t)
	fake := providertest.New(providertest.Options{})
	t.Cleanup(fake.Close)
	ms := teamMachines(t, 3, srv.Endpoint, fake, true)

	if _, errOut, code := ms[0].run(providertest.AerionPassword+"\n", "login", "aerion", "--password-stdin"); code != 0 {
		t.Fatalf("login on machine 0: %s", errOut)
	}
	// Machine 2 sees the sign-in machine 0 made.
	first, errOut, code := ms[2].run("", "token", "aerion")
	if code != 0 || strings.TrimSpace(first) == "" {
		t.Fatalf("machine 2 after machine 0's sign-in: exit %d, %s", code, errOut)
	}
	// Expire it in place, as time would.
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
	before := fake.Count(providertest.Aerion, "refresh_token")

	const each = 8
	outs := make([]string, len(ms)*each)
	errs := make([]string, len(outs))
	codes := make([]int, len(outs))
	var wg sync.WaitGroup
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i], codes[i] = ms[i%len(ms)].run("", "token", "aerion")
		}()
	}
	wg.Wait()
	for i := range outs {
		if codes[i] != 0 || outs[i] == "" || outs[i] != outs[0] {
			t.Fatalf("process %d (machine %d): exit %d, stderr %q, same token as process 0: %v", i, i%len(ms), codes[i], errs[i], outs[i] == outs[0])
		}
	}
	if outs[0] == first {
		t.Fatal("the expired token was handed out")
	}
	if n := fake.Count(providertest.Aerion, "refresh_token") - before; n != 1 {
		t.Fatalf("%d refresh requests from %d processes on %d machines, want exactly 1", n, len(outs), len(ms))
	}
	if n := fake.Replays(); n != 0 {
		t.Fatalf("%d replays of a retired refresh token", n)
	}

	// etcd's own data, read raw through its gateway, holds no token.
	raw := rangeAll(t, srv.Endpoint, "/tokentop/test/")
	for _, tok := range []string{strings.TrimSpace(outs[0]), strings.TrimSpace(first)} {
		if strings.Contains(raw, tok) {
			t.Fatal("etcd holds a token in the clear")
		}
	}
	if !strings.Contains(raw, `"kid"`) {
		t.Fatalf("etcd's values are not sealed envelopes: %.200s", raw)
	}
}

// rangeAll reads every value under prefix from etcd's JSON gateway,
// decoded from base64 and joined.
func rangeAll(t *testing.T, endpoint, prefix string) string {
	t.Helper()
	end := []byte(prefix)
	end[len(end)-1]++
	body, _ := json.Marshal(map[string]string{
		"key":       base64.StdEncoding.EncodeToString([]byte(prefix)),
		"range_end": base64.StdEncoding.EncodeToString(end),
	})
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Post(endpoint+"/v3/kv/range", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	var out struct {
		Kvs []struct{ Value string } `json:"kvs"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("range: %v: %.200s", err, data)
	}
	if len(out.Kvs) == 0 {
		t.Fatal("etcd holds nothing under the prefix")
	}
	var b strings.Builder
	for _, kv := range out.Kvs {
		v, err := base64.StdEncoding.DecodeString(kv.Value)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(v)
		b.WriteByte('\n')
	}
	return b.String()
}
