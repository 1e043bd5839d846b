package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/providertest"
	"tokentop/store"
	"tokentop/store/keyring/keyringtest"
)

// binPath is the tokentop binary built once for the end-to-end tests.
var binPath string

func TestMain(m *testing.M) {
	// The binary's runs must not reach the developer's keyring: without a
	// session bus they keep tokens in plain text (main_encryption_test.go),
	// but in the private session of a Secret Service test.
	if os.Getenv(keyringtest.InSession) == "" {
		os.Unsetenv("DBUS_SESSION_BUS_ADDRESS")
	} else if p := os.Getenv("TOKENTOP_TEST_BIN"); p != "" {
		// That session's run uses the binary the first run built.
		binPath = p
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "tokentop-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "tokentop")
	build := exec.Command("go", "build", "-o", binPath, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building tokentop:", err)
		os.Exit(1)
	}
	os.Setenv("TOKENTOP_TEST_BIN", binPath)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli is a config and state file for runs of the real binary.
type cli struct {
	t      *testing.T
	fake   *providertest.Server
	config string
	state  string
}

const cliAerionSecret = "aerion-client-secret-SENTINEL-4242"

func newCLI(t *testing.T, opts providertest.Options) *cli {
	t.Helper()
	fake := providertest.New(opts)
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	c := &cli{t: t, fake: fake, config: filepath.Join(dir, "config.toml"), state: filepath.Join(dir, "state", "tokentop.db")}
	conf := fmt.Sprintf(`refresh_before = "60s"

[connections.aikido]
provider = "aikido"
client_id = %q
client_secret = %q
token_url = "%s"
check_url = "%s"

[connections.aerion]
provider = "aerion"
company_url = %q
username = %q
client_id = "tokentop-e2e"
client_secret = %q
token_url = "%s"
check_url = "%s"
`, providertest.AikidoClientID, providertest.AikidoClientSecret, fake.AikidoTokenURL(), fake.AikidoCheckURL(),
		providertest.AerionTenant, providertest.AerionUser, cliAerionSecret, fake.AerionTokenURL(), fake.AerionCheckURL())
	if err := os.WriteFile(c.config, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// run runs tokentop with args and returns stdout, stderr and the exit code.
func (c *cli) run(stdin string, args ...string) (string, string, int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, append([]string{"--config", c.config, "--state", c.state}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("running tokentop: %v", err)
	}
	return out.String(), errb.String(), code
}

func TestCLITokenAndHeader(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	out, errOut, code := c.run("", "token", "aikido")
	if code != 0 {
		t.Fatalf("token: exit %d: %s", code, errOut)
	}
	tok := strings.TrimSuffix(out, "\n")
	if tok == "" || strings.ContainsAny(tok, " \n\t") {
		t.Fatalf("token printed %q, want only the token and a newline", out)
	}
	out, _, code = c.run("", "header", "aikido")
	if code != 0 || out != "Authorization: Bearer "+tok+"\n" {
		t.Fatalf("header printed %q (exit %d)", out, code)
	}
	if n := c.fake.Count(providertest.Aikido, "client_credentials"); n != 1 {
		t.Fatalf("%d token requests, want 1: the second command must reuse the stored token", n)
	}
}

func TestCLIExitStatuses(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	cases := []struct {
		name     string
		args     []string
		code     int
		stderr   string
		stdoutIn string
	}{
		{"signed out token", []string{"token", "aerion"}, 1, "tokentop: aerion: sign-in required: run tokentop login aerion\n", ""},
		{"unknown connection", []string{"token", "nope"}, 2, "nope: unknown connection", ""},
		{"missing argument", []string{"token"}, 2, "usage", ""},
		{"unknown flag", []string{"status", "--bogus"}, 2, "unknown flag", ""},
		{"status needs attention", []string{"status"}, 1, "", "signed out: run tokentop login aerion"},
		{"config check", []string{"config", "check"}, 0, "", "2 connections, ok"},
		{"version", []string{"--version"}, 0, "", "tokentop "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := c.run("", tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tc.code, errOut)
			}
			if tc.stderr != "" && !strings.Contains(errOut, tc.stderr) {
				t.Fatalf("stderr %q, want it to contain %q", errOut, tc.stderr)
			}
			if tc.stdoutIn != "" && !strings.Contains(out, tc.stdoutIn) {
				t.Fatalf("stdout %q, want it to contain %q", out, tc.stdoutIn)
			}
		})
	}
}

func TestCLIConfigError(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	bad := "[connections.aha]\nprovider = \"aha\"\nsubdomain = \"acme\"\nflow = \"oauth\"\nclient_secret = \"literal-SENTINEL-secret\"\n"
	if err := os.WriteFile(c.config, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := c.run("", "status")
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	want := "tokentop: config.toml:4: connections.aha: unknown flow \"oauth\""
	if !strings.HasPrefix(errOut, want) {
		t.Fatalf("stderr %q, want it to start with %q", errOut, want)
	}
	if strings.Contains(errOut, "SENTINEL") {
		t.Fatal("the error shows a secret")
	}
}

func TestCLILoginStatusCheckLogout(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	_, errOut, code := c.run(providertest.AerionPassword+"\n", "login", "aerion", "--password-stdin")
	if code != 0 || !strings.Contains(errOut, "aerion: signed in") {
		t.Fatalf("login: exit %d: %s", code, errOut)
	}
	// Neither the password nor the client secret is in the state file.
	b, err := os.ReadFile(c.state)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{providertest.AerionPassword, cliAerionSecret} {
		if bytes.Contains(b, []byte(s)) {
			t.Fatal("the state file holds a password or client secret")
		}
	}
	if _, errOut, code := c.run("", "check", "aerion"); code != 0 {
		t.Fatalf("check: exit %d: %s", code, errOut)
	}
	out, _, code := c.run("", "status", "--json")
	if code != 0 {
		t.Fatalf("status with every connection able to hand out a token: exit %d\n%s", code, out)
	}
	var rows []struct {
		Name      string `json:"name"`
		Condition string `json:"condition"`
		LastCheck *struct {
			Status int  `json:"status"`
			OK     bool `json:"ok"`
		} `json:"last_check"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	if r := rows[1]; r.Name != "aerion" || r.Condition != "valid" || r.LastCheck == nil || r.LastCheck.Status != 200 || !r.LastCheck.OK {
		t.Fatalf("aerion row: %+v", rows[1])
	}
	if _, errOut, code := c.run("", "logout", "aerion"); code != 0 {
		t.Fatalf("logout: exit %d: %s", code, errOut)
	}
	if _, _, code := c.run("", "token", "aerion"); code != 1 {
		t.Fatalf("token after logout: exit %d, want 1", code)
	}
}

func TestCLISeedRefreshToken(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	rt := c.fake.SeedRefreshToken(providertest.Aerion, providertest.AerionUser)
	if _, errOut, code := c.run(rt+"\n", "login", "aerion", "--refresh-token-stdin"); code != 0 {
		t.Fatalf("login --refresh-token-stdin: exit %d: %s", code, errOut)
	}
	if out, _, code := c.run("", "token", "aerion"); code != 0 || out == "" {
		t.Fatalf("token after seeding: exit %d", code)
	}
}

// Eight processes ask at once for a token that has expired, at a provider
// that rotates refresh tokens: exactly one renewal reaches it, and all eight
// print the same new token.
func TestCLIConcurrentProcessesRenewOnce(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	if _, errOut, code := c.run(providertest.AerionPassword+"\n", "login", "aerion", "--password-stdin"); code != 0 {
		t.Fatalf("login: %s", errOut)
	}
	db, err := store.Open(c.state, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update("aerion", func(st *flows.State) error {
		st.Token.Expiry = time.Now().Add(-time.Minute)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	before := c.fake.Count(providertest.Aerion, "refresh_token")
	var wg sync.WaitGroup
	outs := make([]string, 8)
	codes := make([]int, 8)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], _, codes[i] = c.run("", "token", "aerion")
		}()
	}
	wg.Wait()
	for i := range outs {
		if codes[i] != 0 || outs[i] == "" || outs[i] != outs[0] {
			t.Fatalf("process %d: exit %d, same token as process 0: %v", i, codes[i], outs[i] == outs[0])
		}
	}
	if n := c.fake.Count(providertest.Aerion, "refresh_token") - before; n != 1 {
		t.Fatalf("%d refresh requests from 8 processes, want exactly 1", n)
	}
}

// tmux drives the real binary in a real terminal, as a person would.
type tmux struct {
	t      *testing.T
	socket string
	name   string
}

func newTmux(t *testing.T, width, height int, command string, env ...string) *tmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tmux is missing: .ci/run installs it")
		}
		t.Skip("tmux is not installed")
	}
	tm := &tmux{t: t, socket: fmt.Sprintf("tokentop-test-%d-%d", os.Getpid(), time.Now().UnixNano()), name: "tt"}
	args := []string{"new-session", "-d", "-s", tm.name, "-x", fmt.Sprint(width), "-y", fmt.Sprint(height)}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	args = append(args, command)
	tm.cmd(args...)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", tm.socket, "kill-server").Run() })
	return tm
}

func (tm *tmux) cmd(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v: %s", args, err, out)
	}
	return string(out)
}

func (tm *tmux) screen() string { return tm.cmd("capture-pane", "-p", "-t", tm.name) }

func (tm *tmux) keys(keys ...string) {
	tm.cmd(append([]string{"send-keys", "-t", tm.name}, keys...)...)
}

// waitFor polls the screen until cond holds, up to a deadline; it never
// sleeps a fixed time to synchronise.
func (tm *tmux) waitFor(what string, d time.Duration, cond func(string) bool) string {
	tm.t.Helper()
	deadline := time.Now().Add(d)
	var s string
	for time.Now().Before(deadline) {
		s = tm.screen()
		if cond(s) {
			return s
		}
		time.Sleep(50 * time.Millisecond) // polling interval, not a synchronisation
	}
	tm.t.Fatalf("waiting for %s: the screen shows:\n%s", what, s)
	return ""
}

// rowOf returns the screen line of a connection's row.
func rowOf(screen, name string) string {
	for _, l := range strings.Split(screen, "\n") {
		f := strings.Fields(l)
		for i, w := range f {
			if w == name && i <= 2 {
				return l
			}
		}
	}
	return ""
}

var demoConnections = []string{"aikido", "aikido-app", "aha", "aha-implicit", "aha-key", "aerion", "amino", "idp-device", "idp-app", "idp-service"}

// TestDemoInTmux runs the real binary's demo in a terminal: within three
// seconds of opening, the connections that need nobody count down and show
// a health check; the footer keeps ? and q at every size; an edit of the
// config file shows up without a restart; q quits and leaves nothing.
func TestDemoInTmux(t *testing.T) {
	for _, size := range []struct{ w, h int }{{120, 35}, {80, 24}, {200, 50}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			tmp := t.TempDir()
			start := time.Now()
			tm := newTmux(t, size.w, size.h, binPath+" --demo", "NO_COLOR=1", "TOKENTOP_CONFIG=/nonexistent", "HOME="+t.TempDir(), "TMPDIR="+tmp)
			// The first row (Aikido, client credentials: no person needed)
			// gets its token by itself and is checked; its countdown moves.
			countdown := func(s string) string {
				r := rowOf(s, "aikido")
				for _, f := range strings.Fields(r) {
					if strings.HasSuffix(f, "s") && len(f) > 1 && f[0] >= '0' && f[0] <= '9' {
						return f
					}
				}
				return ""
			}
			alive := func(s string) bool {
				return countdown(s) != "" && strings.Contains(rowOf(s, "aikido"), "200 · ")
			}
			screen := tm.waitFor("aikido's countdown and check", 3*time.Second-time.Since(start), alive)
			for _, n := range demoConnections {
				if rowOf(screen, n) == "" {
					t.Fatalf("no row for %s:\n%s", n, screen)
				}
			}
			if !strings.Contains(rowOf(screen, "aerion"), "signed out — press l") {
				t.Fatalf("aerion, which needs a person, should read signed out — press l:\n%s", screen)
			}
			first := countdown(screen)
			tm.waitFor("the countdown to change", 5*time.Second, func(s string) bool { c := countdown(s); return c != "" && c != first })
			lines := strings.Split(strings.TrimRight(screen, "\n"), "\n")
			if footer := lines[len(lines)-1]; !strings.Contains(footer, "? help") || !strings.Contains(footer, "q quit") {
				t.Fatalf("the footer lacks ? help or q quit: %q", footer)
			}

			// An edit of the config file is picked up live.
			files, _ := filepath.Glob(filepath.Join(tmp, "tokentop-demo-*", "config.toml"))
			if len(files) != 1 {
				t.Fatalf("the demo's config file: %v", files)
			}
			f, err := os.OpenFile(files[0], os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprint(f, "\n[connections.added-live]\nprovider = \"aha\"\nflow = \"api_key\"\nsubdomain = \"acme\"\napi_key = \"env:NOT_SET\"\nauto = false\n")
			f.Close()
			tm.waitFor("the added connection", 4*time.Second, func(s string) bool { return rowOf(s, "added-live") != "" })

			// Quit; the demo removes its files.
			tm.keys("q")
			deadline := time.Now().Add(10 * time.Second)
			for exec.Command("tmux", "-L", tm.socket, "has-session", "-t", tm.name).Run() == nil {
				if time.Now().After(deadline) {
					t.Fatalf("tokentop did not exit on q:\n%s", tm.screen())
				}
				time.Sleep(50 * time.Millisecond) // polling interval
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Fatalf("the demo left %d files behind in its temporary directory", len(left))
			}
		})
	}
}

// benchFixture writes a config of many connections and stores a valid token
// for one of them (an Aha! API key: no network, no expiry), so `tokentop
// token` takes its fast path. Every other connection has a secret command
// that leaves a marker file if it ever runs: the fast path must do no work
// for other connections.
func benchFixture(b *testing.B, others int) (args []string, marker string) {
	b.Helper()
	dir := b.TempDir()
	marker = filepath.Join(dir, "secret-command-ran")
	var conf strings.Builder
	for i := range others {
		fmt.Fprintf(&conf, "[connections.svc%04d]\nprovider = \"aikido\"\nclient_id = \"id%d\"\nclient_secret = \"cmd:touch %s; echo s\"\n\n", i, i, marker)
	}
	conf.WriteString("[connections.aha-key]\nprovider = \"aha\"\nflow = \"api_key\"\nsubdomain = \"acme\"\napi_key = \"aha_key_0123456789abcdef0123456789\"\n")
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(conf.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	args = []string{"--config", cfg, "--state", filepath.Join(dir, "state", "tokentop.db"), "token", "aha-key"}
	if out, err := exec.Command(binPath, args...).CombinedOutput(); err != nil {
		b.Fatalf("first run: %v: %s", err, out)
	}
	return args, marker
}

var helloOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "tokentop-hello-")
	if err != nil {
		return "", err
	}
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n"), 0o600); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "hello")
	cmd := exec.Command("go", "build", "-o", bin, src)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building hello: %v: %s", err, out)
	}
	return bin, nil
})

func runOnce(b *testing.B, bin string, args ...string) time.Duration {
	start := time.Now()
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		b.Fatalf("%s: %v: %s", bin, err, out)
	}
	return time.Since(start)
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[len(s)/2]
}

// BenchmarkTokenVsHello runs `tokentop token NAME` (a valid stored token, a
// config of 1,000 other connections) and a hello-world Go binary side by
// side, alternately, and reports both medians and their ratio. The standing
// target is a ratio of at most 2.
func BenchmarkTokenVsHello(b *testing.B) {
	for _, others := range []int{0, 1000} {
		b.Run(fmt.Sprintf("others=%d", others), func(b *testing.B) {
			hello, err := helloOnce()
			if err != nil {
				b.Fatal(err)
			}
			args, marker := benchFixture(b, others)
			var tt, hw []time.Duration
			b.ResetTimer()
			for b.Loop() {
				tt = append(tt, runOnce(b, binPath, args...))
				hw = append(hw, runOnce(b, hello))
			}
			b.StopTimer()
			if _, err := os.Stat(marker); err == nil {
				b.Fatal("the token path ran another connection's secret command")
			}
			mt, mh := median(tt), median(hw)
			b.ReportMetric(float64(mt.Microseconds())/1000, "token-ms")
			b.ReportMetric(float64(mh.Microseconds())/1000, "hello-ms")
			b.ReportMetric(float64(mt)/float64(mh), "ratio")
		})
	}
}

func TestCLICompletesConnectionNames(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	out, errOut, code := c.run("", "__complete", "token", "")
	if code != 0 {
		t.Fatalf("completion: exit %d: %s", code, errOut)
	}
	for _, name := range []string{"aikido\t", "aerion\t"} {
		if !strings.Contains(out, name) {
			t.Fatalf("completion of token NAME lacks %q:\n%s", name, out)
		}
	}
	if n := c.fake.Count(providertest.Aikido, ""); n != 0 {
		t.Fatalf("completing names sent %d requests", n)
	}
}

// The command line's browser sign-in: the URL is printed on stderr; the
// browser's redirect reaches the listener, or the person pastes the URL the
// browser ended on.
func TestCLILoginBrowser(t *testing.T) {
	for _, how := range []string{"redirect", "paste"} {
		t.Run(how, func(t *testing.T) {
			c := newCLI(t, providertest.Options{})
			conf := fmt.Sprintf(`
[connections.app]
provider = "aikido"
flow = "authorization_code"
client_id = %q
client_secret = %q
auth_url = "%s"
token_url = "%s"
redirect_uri = "http://127.0.0.1:0/callback"
`, providertest.AikidoClientID, providertest.AikidoClientSecret, c.fake.AikidoAuthURL(), c.fake.AikidoTokenURL())
			if err := os.WriteFile(c.config, []byte(conf), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binPath, "--config", c.config, "--state", c.state, "login", "app", "--no-browser")
			stdin, _ := cmd.StdinPipe()
			stderr, _ := cmd.StderrPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var authURL string
			var seen strings.Builder
			buf := make([]byte, 4096)
			for authURL == "" {
				n, err := stderr.Read(buf)
				seen.Write(buf[:n])
				for _, f := range strings.Fields(seen.String()) {
					if strings.HasPrefix(f, c.fake.AikidoAuthURL()+"?") {
						authURL = f
					}
				}
				if err != nil && authURL == "" {
					t.Fatalf("no authorize URL on stderr: %v\n%s", err, seen.String())
				}
			}
			switch how {
			case "redirect":
				if err := providertest.Browse(ctx, authURL); err != nil {
					t.Fatal(err)
				}
			case "paste":
				// The browser runs elsewhere: the person copies the
				// address it ended on. A wrong one first, which is
				// refused while the sign-in goes on.
				noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
				resp, err := noFollow.Get(authURL)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				loc := resp.Header.Get("Location")
				fmt.Fprintln(stdin, "http://127.0.0.1:1/elsewhere?code=x&state=y")
				fmt.Fprintln(stdin, loc)
			}
			rest, _ := io.ReadAll(stderr)
			seen.Write(rest)
			if err := cmd.Wait(); err != nil {
				t.Fatalf("login: %v\n%s", err, seen.String())
			}
			if !strings.Contains(seen.String(), "app: signed in") {
				t.Fatalf("stderr:\n%s", seen.String())
			}
			if how == "paste" && !strings.Contains(seen.String(), "tokentop: app: ") {
				t.Fatalf("the wrong paste was not explained:\n%s", seen.String())
			}
			if n := c.fake.Count(providertest.Aikido, "authorization_code"); n != 1 {
				t.Fatalf("%d code exchanges, want 1", n)
			}
		})
	}
}

// readmeShot is where the README's screenshot starts: the line before its
// code block.
const readmeShot = "<!-- the demo's first screen: go test -run TestREADMEScreenshot . with TOKENTOP_UPDATE_README=1 rewrites it -->"

// TestREADMEScreenshot compares the README's screenshot with the real
// binary's demo at 100x24 with NO_COLOR=1 once its first tokens and checks
// are in, up to the numbers that move (times, countdowns, latencies) and
// the spaces around them. TOKENTOP_UPDATE_README=1 writes the screen taken
// into the README instead.
func TestREADMEScreenshot(t *testing.T) {
	tmp := t.TempDir()
	tm := newTmux(t, 100, 24, binPath+" --demo", "NO_COLOR=1", "TOKENTOP_CONFIG=/nonexistent", "HOME="+t.TempDir(), "TMPDIR="+tmp)
	auto := []string{"aikido", "aha-key", "amino", "idp-service"}
	shot := tm.waitFor("the demo's first tokens and checks", 15*time.Second, func(s string) bool {
		for _, n := range auto {
			if r := rowOf(s, n); !strings.Contains(r, "200 · ") || strings.Contains(r, "…") {
				return false
			}
		}
		return true
	})
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(shot, "\n"), "\n") {
		lines = append(lines, strings.TrimRight(l, " "))
	}
	for len(lines) < 24 {
		lines = append(lines, "")
	}
	shot = strings.Join(lines, "\n")

	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	at := strings.Index(readme, readmeShot+"\n```\n")
	if at < 0 {
		t.Fatalf("README.md has no screenshot after %q", readmeShot)
	}
	from := at + len(readmeShot) + len("\n```\n")
	to := from + strings.Index(readme[from:], "\n```\n")
	if to < from {
		t.Fatal("the README's screenshot block does not end")
	}
	if os.Getenv("TOKENTOP_UPDATE_README") != "" {
		if err := os.WriteFile("README.md", []byte(readme[:from]+shot+readme[to:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, got := strings.Split(shapeOf(readme[from:to]), "\n"), strings.Split(shapeOf(shot), "\n")
	if len(want) != len(got) {
		t.Fatalf("the README's screenshot has %d lines, the demo %d:\n%s", len(want), len(got), shot)
	}
	for i := range want {
		if want[i] != got[i] {
			t.Errorf("line %d: the README shows %q, the demo %q", i+1, want[i], got[i])
		}
	}
	if t.Failed() {
		t.Logf("the demo's screen (TOKENTOP_UPDATE_README=1 writes it into the README):\n%s", shot)
	}
}

// movingNumbers are the parts of a screen that change from run to run:
// numbers (with a "<" before them), and the bars of remaining life.
var movingNumbers = regexp.MustCompile(`<?[0-9]+|[▰▱]+`)

// shapeOf is a screen without what moves: every number is #, every bar =,
// "just now" is "# ago", and runs of spaces are one.
func shapeOf(s string) string {
	s = strings.ReplaceAll(s, "just now", "0s ago")
	s = movingNumbers.ReplaceAllStringFunc(s, func(m string) string {
		if strings.ContainsAny(m, "▰▱") {
			return "="
		}
		return "#"
	})
	var out []string
	for _, l := range strings.Split(s, "\n") {
		out = append(out, strings.Join(strings.Fields(l), " "))
	}
	return strings.Join(out, "\n")
}
