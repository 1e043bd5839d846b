package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/flows/oauth"
	"tokentop/flows/providertest"
	"tokentop/store"
)

// refreshHold is an HTTP proxy in front of the fakes that tells the test
// when a refresh request arrives and can hold it before passing it on.
type refreshHold struct {
	*httptest.Server
	arrived chan struct{}
	hold    atomic.Int64 // nanoseconds to hold each refresh request
	refresh atomic.Int32 // refresh requests seen
}

func newRefreshHold(t testing.TB, target string) *refreshHold {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	h := &refreshHold{arrived: make(chan struct{}, 1024)}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ErrorLog = nil
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		if f, _ := url.ParseQuery(string(body)); f.Get("grant_type") == "refresh_token" {
			h.refresh.Add(1)
			select {
			case h.arrived <- struct{}{}:
			default:
			}
			if d := time.Duration(h.hold.Load()); d > 0 {
				time.Sleep(d) // the provider is slow to answer
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(h.Close)
	return h
}

// aerionVia writes a config with one Aerion connection whose URLs go to
// base, and returns its path.
func aerionVia(t testing.TB, dir, base string) string {
	t.Helper()
	conf := fmt.Sprintf(`[connections.aerion]
provider = "aerion"
company_url = %q
username = %q
client_id = "tokentop-e2e"
client_secret = %q
token_url = "%s/aerion/oauth2/token"
check_url = "%s/aerion/api/v1/me"
`, providertest.AerionTenant, providertest.AerionUser, cliAerionSecret, base, base)
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCLISigtermFinishesRenewal (point 2): SIGTERM to tokentop token after
// its refresh was sent and before the answer came: the process waits for the
// answer, saves the rotated refresh token, says so, and exits 143. The next
// run renews with the new refresh token: no replay, no sign-in.
func TestCLISigtermFinishesRenewal(t *testing.T) {
	fake := providertest.New(providertest.Options{})
	t.Cleanup(fake.Close)
	hold := newRefreshHold(t, fake.URL)
	dir := t.TempDir()
	c := &cli{t: t, fake: fake, config: aerionVia(t, dir, hold.URL), state: filepath.Join(dir, "state", "tokentop.db")}
	if _, errOut, code := c.run(providertest.AerionPassword+"\n", "login", "aerion", "--password-stdin"); code != 0 {
		t.Fatalf("login: %s", errOut)
	}
	expire(t, c.state, "aerion")

	hold.hold.Store(int64(700 * time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, "--config", c.config, "--state", c.state, "token", "aerion")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-hold.arrived:
	case <-ctx.Done():
		t.Fatal("the refresh never arrived")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 143 {
		t.Fatalf("exit: %v, want 143; stderr: %s", err, errb.String())
	}
	if !strings.Contains(errb.String(), "finishing the renewal already sent…") {
		t.Errorf("stderr: %q", errb.String())
	}
	st := loadState(t, c.state, "aerion")
	if hold.refresh.Load() != 1 || st.Token == nil || !fake.RefreshLive(st.Token.RefreshToken) || st.InFlight != nil {
		t.Fatal("the rotated refresh token answered after SIGTERM was not saved")
	}
	hold.hold.Store(0)
	expire(t, c.state, "aerion")
	if _, errOut, code := c.run("", "token", "aerion"); code != 0 {
		t.Fatalf("next run: exit %d: %s", code, errOut)
	}
	if n := fake.Replays(); n != 0 {
		t.Fatalf("%d replays of a retired refresh token", n)
	}
}

// expire moves the stored token of name into the past.
func expire(t testing.TB, path, name string) {
	t.Helper()
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(name, func(st *flows.State) error {
		st.Token.Expiry = time.Now().Add(-time.Minute)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func loadState(t testing.TB, path, name string) flows.State {
	t.Helper()
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// smallFS mounts a 2 MiB tmpfs for the state file, so that the test can fill
// it up. It needs root (as CI runs); elsewhere the test is skipped.
func smallFS(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() != 0 {
		t.Skip("filling a file system needs a tmpfs mount, which needs root")
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tokentop-soak", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount: %v: %s", err, out)
		}
	})
	return dir
}

// fill writes a file in dir until the file system is full, and returns the
// function that frees the space again.
func fill(t *testing.T, dir string) (free func()) {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Errorf("filling: %v", err)
			}
			break
		}
	}
	f.Close()
	return func() { os.Remove(path) }
}

// remount makes the soak's file system read-only ("ro") or writable
// ("rw"), trying for a second while a process holds a file open for
// writing (EBUSY). It reports whether it succeeded.
func remount(t *testing.T, dir, mode string) bool {
	t.Helper()
	var out []byte
	var err error
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if out, err = exec.Command("mount", "-o", "remount,"+mode, dir).CombinedOutput(); err == nil {
			return true
		}
	}
	if mode == "rw" {
		t.Errorf("remount %s: %v: %s", mode, err, out)
	} else {
		t.Logf("remount %s did not happen: %v: %s", mode, err, out)
	}
	return false
}

// TestFaultSoak: a rotating fake provider with 2-second tokens; 20 loops of
// tokentop token and a dashboard-style renewal loop on one state file; while
// they run, the provider refuses connections for 2 s, random renewers get
// SIGTERM while their refresh is in flight, and the state file's file system
// is full for 3 s. At the end: no replay of a retired refresh token, no
// connection needing a person, and every token handed out was valid when it
// was handed out.
func TestFaultSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("the soak runs for about 25 s")
	}
	fsDir := smallFS(t)
	fake := providertest.New(providertest.Options{})
	t.Cleanup(fake.Close)
	fake.SetLifetime(providertest.Aerion, 2*time.Second)
	hold := newRefreshHold(t, fake.URL)
	hu, _ := url.Parse(hold.URL)
	gate, err := providertest.NewGate(hu.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gate.Close)
	dir := t.TempDir()
	state := filepath.Join(fsDir, "tokentop.db")
	c := &cli{t: t, fake: fake, config: aerionVia(t, dir, "http://"+gate.Addr()), state: state}
	if _, errOut, code := c.run(providertest.AerionPassword+"\n", "login", "aerion", "--password-stdin"); code != 0 {
		t.Fatalf("login: %s", errOut)
	}
	hold.hold.Store(int64(250 * time.Millisecond)) // room for a SIGTERM in flight

	const (
		loops    = 20
		duration = 20 * time.Second
	)
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	type handout struct {
		token string
		at    time.Time
	}
	var (
		mu                                  sync.Mutex
		handouts                            []handout
		runs, ok, failed, terminated, other atomic.Int32
		stderrSample                        sync.Map // first line of each distinct failure
		procs                               sync.Map // pid → *os.Process
	)
	record := func(tok string, at time.Time) {
		mu.Lock()
		handouts = append(handouts, handout{tok, at})
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for i := range loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				runs.Add(1)
				cmd := exec.Command(binPath, "--config", c.config, "--state", state, "token", "aerion", "--min-valid", "500ms")
				stdout, err := cmd.StdoutPipe()
				if err != nil {
					t.Error(err)
					return
				}
				var errb bytes.Buffer
				cmd.Stderr = &errb
				if err := cmd.Start(); err != nil {
					t.Error(err)
					return
				}
				procs.Store(cmd.Process.Pid, cmd.Process)
				line, _ := bufio.NewReader(stdout).ReadString('\n')
				at := time.Now()
				err = cmd.Wait()
				procs.Delete(cmd.Process.Pid)
				var ee *exec.ExitError
				switch {
				case err == nil:
					ok.Add(1)
					record(strings.TrimSpace(line), at)
				case errors.As(err, &ee) && ee.ExitCode() == 143:
					terminated.Add(1)
					if line != "" {
						t.Errorf("loop %d: a terminated run printed a token", i)
					}
				case errors.As(err, &ee) && ee.ExitCode() == 1:
					failed.Add(1)
					first, _, _ := strings.Cut(errb.String(), "\n")
					stderrSample.LoadOrStore(failureKind(first), first)
				default:
					other.Add(1)
					t.Errorf("loop %d: %v: %s", i, err, errb.String())
				}
			}
		}()
	}

	// The dashboard-style loop: one long-lived Service renewing ahead of
	// expiry, as the dashboard's scheduler does.
	wg.Add(1)
	dashboardRuns := atomic.Int32{}
	go func() {
		defer wg.Done()
		cfg, err := config.Load(c.config)
		if err != nil {
			t.Error(err)
			return
		}
		db, err := store.Open(state, store.Options{})
		if err != nil {
			t.Error(err)
			return
		}
		svc := flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: db})
		for ctx.Err() == nil {
			dashboardRuns.Add(1)
			tok, err := svc.Token(context.Background(), "aerion", 500*time.Millisecond)
			if tok != nil && (err == nil || flows.Usable(err)) {
				record(tok.AccessToken, time.Now())
			}
			if err != nil {
				stderrSample.LoadOrStore("dashboard: "+failureKind(err.Error()), "dashboard loop: "+err.Error())
			}
			_, _, _ = svc.Changed(0) // the dashboard's poll retries unsaved tokens
			time.Sleep(100 * time.Millisecond)
		}
		dctx, dcancel := context.WithTimeout(context.Background(), 40*time.Second)
		defer dcancel()
		svc.Drain(dctx, nil)
	}()

	// The faults.
	var sigtermed atomic.Int32
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(1, 2))
		db, err := store.Open(state, store.Options{})
		if err != nil {
			t.Error(err)
			return
		}
		blipAt, diskAt := time.After(10*time.Second), time.After(time.Second)
		for {
			select {
			case <-ctx.Done():
				return
			case <-blipAt:
				gate.Down()
				time.Sleep(2 * time.Second)
				if err := gate.Up(); err != nil {
					t.Error(err)
				}
			case <-diskAt:
				// Full for 3 s, and read-only for 2 s of them: a full
				// disk alone rarely stops bbolt, which rewrites pages it
				// already has.
				free := fill(t, fsDir)
				ro := remount(t, fsDir, "ro")
				time.Sleep(2 * time.Second)
				if ro {
					remount(t, fsDir, "rw")
				}
				time.Sleep(time.Second)
				free()
			case <-hold.arrived:
				// A refresh is in flight: SIGTERM its sender if it is one
				// of the token processes (the first three times always,
				// then one time in two, so a slow machine still sees some).
				if sigtermed.Load() >= 3 && rng.IntN(2) != 0 {
					continue
				}
				st, err := db.Load("aerion")
				if err != nil || st.InFlight == nil {
					continue
				}
				if p, ok := procs.Load(st.InFlight.PID); ok {
					if p.(*os.Process).Signal(syscall.SIGTERM) == nil {
						sigtermed.Add(1)
					}
				}
			}
		}
	}()
	wg.Wait()

	// What a person would see now: a connection that renews by itself.
	hold.hold.Store(0)
	st := loadState(t, state, "aerion")
	_, errOut, code := c.run("", "token", "aerion")
	invalid := 0
	for _, h := range handouts {
		exp, issued := fake.AccessExpiry(h.token)
		if !issued || (!exp.IsZero() && !h.at.Before(exp)) {
			invalid++
		}
	}
	t.Logf("soak: %d token runs: %d handed out a token, %d failed (exit 1), %d ended by SIGTERM (%d sent while a refresh was in flight); %d dashboard-loop calls",
		runs.Load(), ok.Load(), failed.Load(), terminated.Load(), sigtermed.Load(), dashboardRuns.Load())
	t.Logf("soak: %d refresh requests, %d replays of a retired refresh token, %d connections needing a person, %d tokens handed out, %d of them invalid when handed out",
		hold.refresh.Load(), fake.Replays(), boolInt(st.NeedsSignIn || code != 0), len(handouts), invalid)
	stderrSample.Range(func(k, v any) bool {
		t.Logf("soak: a failure: %s", v)
		return true
	})
	if n := fake.Replays(); n != 0 {
		t.Errorf("%d replays of a retired refresh token", n)
	}
	if st.NeedsSignIn || code != 0 {
		t.Errorf("the connection needs a person: %q; token: exit %d %s", st.LastError, code, errOut)
	}
	if invalid != 0 {
		t.Errorf("%d tokens were handed out after they expired", invalid)
	}
	if ok.Load() == 0 || sigtermed.Load() == 0 || other.Load() != 0 {
		t.Errorf("the soak did not exercise what it should: %d successes, %d SIGTERMs in flight, %d odd exits", ok.Load(), sigtermed.Load(), other.Load())
	}
}

// failureKind groups failure lines by their cause, without the details.
func failureKind(line string) string {
	for _, k := range []string{"not sent", "cannot be written", "not saved", "being renewed", "sign-in"} {
		if strings.Contains(line, k) {
			return k
		}
	}
	return line
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestCLISecretCommandStderr (point 10): a failing cmd: secret's stderr is
// shown on the terminal as one line, and never written to the state file.
func TestCLISecretCommandStderr(t *testing.T) {
	fake := providertest.New(providertest.Options{})
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	conf := fmt.Sprintf(`[connections.aikido]
provider = "aikido"
client_id = %q
client_secret = "cmd:sh -c 'printf \"vault: token\\033[31m expired\\n\" >&2; exit 3'"
token_url = "%s"
`, providertest.AikidoClientID, fake.AikidoTokenURL())
	c := &cli{t: t, fake: fake, config: filepath.Join(dir, "config.toml"), state: filepath.Join(dir, "state", "tokentop.db")}
	if err := os.WriteFile(c.config, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := c.run("", "token", "aikido")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "tokentop: the secret command said: vault: token") || strings.Contains(errOut, "\x1b") {
		t.Errorf("stderr: %q", errOut)
	}
	b, err := os.ReadFile(c.state)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("vault")) {
		t.Error("the secret command's stderr reached the state file")
	}
	if st := loadState(t, c.state, "aikido"); !strings.Contains(st.LastError, "secret command failed") {
		t.Errorf("last error %q", st.LastError)
	}
}

// TestCLIStatusAgreesOnFailingRenewal (point 7): a client-credentials
// connection whose renewals fail (invalid_client) needs attention in status,
// status --json and the exit code.
func TestCLIStatusAgreesOnFailingRenewal(t *testing.T) {
	fake := providertest.New(providertest.Options{})
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	conf := fmt.Sprintf(`[connections.aikido]
provider = "aikido"
client_id = %q
client_secret = "not-the-secret-value"
token_url = "%s"
`, providertest.AikidoClientID, fake.AikidoTokenURL())
	c := &cli{t: t, fake: fake, config: filepath.Join(dir, "config.toml"), state: filepath.Join(dir, "state", "tokentop.db")}
	if err := os.WriteFile(c.config, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, code := c.run("", "status"); code != 0 {
		t.Fatalf("status before any attempt: exit %d", code)
	}
	if _, errOut, code := c.run("", "token", "aikido"); code != 1 || !strings.Contains(errOut, "invalid_client") {
		t.Fatalf("token: exit %d: %s", code, errOut)
	}
	out, _, code := c.run("", "status")
	if code != 1 || !strings.Contains(out, "failing: invalid_client") {
		t.Errorf("status: exit %d:\n%s", code, out)
	}
	out, _, code = c.run("", "status", "--json")
	var rows []struct {
		Condition string  `json:"condition"`
		Attention bool    `json:"needs_attention"`
		LastError *string `json:"last_error"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("status --json: %v: %s", err, out)
	}
	if code != 1 || rows[0].Condition != "failing" || !rows[0].Attention || rows[0].LastError == nil || !strings.Contains(*rows[0].LastError, "invalid_client") {
		t.Errorf("status --json: exit %d: %+v", code, rows[0])
	}
}
