//go:build linux

package keyring

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	gokeyring "github.com/zalando/go-keyring"

	"tokentop/flows"
	"tokentop/store"
)

// inSession marks the run of this test binary that dbus-run-session
// started: it has a session bus of its own, and starts gnome-keyring there.
const inSession = "TOKENTOP_KEYRING_SESSION"

// TestSecretService runs the real store against a real Secret Service
// (Linux): gnome-keyring-daemon with an unlocked login keyring on a private
// D-Bus session bus, so that neither the developer's keyring nor their
// session is touched. The test re-runs itself under dbus-run-session;
// without dbus-run-session and gnome-keyring-daemon it skips, unless
// TOKENTOP_REQUIRE_KEYRING=1 (set by .ci/run) makes that a failure.
func TestSecretService(t *testing.T) {
	if os.Getenv(inSession) == "" {
		runInSession(t)
		return
	}
	startKeyring(t)

	path := filepath.Join(t.TempDir(), "state", "tokentop.db")
	keys := New(path)
	const (
		access  = "at-SECRET-SERVICE-1357"
		refresh = "rt-SECRET-SERVICE-2468"
		old     = "at-PLAIN-BEFORE-9999"
	)
	// A plain file, as tokentop wrote before encryption.
	plain, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.Update("old", func(s *flows.State) error {
		s.Token = &flows.Token{AccessToken: old, TokenType: "Bearer"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	open := func() *store.DB {
		t.Helper()
		db, err := store.Open(path, store.Options{Keys: keys, KeysOptional: true})
		if err != nil {
			t.Fatal(err)
		}
		if e := db.Encryption(); e.Source != "keyring" || e.Note != "" {
			t.Fatalf("Encryption = %+v: the Secret Service did not answer", e)
		}
		return db
	}
	db := open()
	if err := db.Update("aha", func(s *flows.State) error {
		s.Token = &flows.Token{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for what, s := range map[string]string{"the access token": access, "the refresh token": refresh, "the plain file's token": old} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the state file holds %s in plain text", what)
		}
	}
	// The key is in the keyring, under the file's path.
	if v, err := gokeyring.Get(Service, path); err != nil || len(v) != 44 {
		t.Fatalf("the keyring entry: %d characters, %v", len(v), err)
	}
	db = open()
	for name, want := range map[string]string{"aha": access, "old": old} {
		st, err := db.Load(name)
		if err != nil || st.Token == nil || st.Token.AccessToken != want {
			t.Fatalf("Load(%s) = %+v, %v", name, st.Token, err)
		}
	}

	// The entry deleted: signed out, not a damaged file.
	if err := gokeyring.Delete(Service, path); err != nil {
		t.Fatal(err)
	}
	db = open()
	st, err := db.Load("aha")
	if err != nil || st.Token != nil || !strings.HasPrefix(st.LastError, store.KeyGone) {
		t.Fatalf("Load after deleting the entry = %+v, %v", st, err)
	}
	t.Logf("after deleting the entry: %s", st.LastError)
	if m, _ := filepath.Glob(path + ".corrupt-*"); len(m) > 0 || len(db.Warnings()) > 0 {
		t.Fatalf("moved aside: %q; warnings %q", m, db.Warnings())
	}
	_ = keys.Delete()
}

// runInSession runs this test again under dbus-run-session, in a home of
// its own, and fails with its output when it fails.
func runInSession(t *testing.T) {
	var missing []string
	for _, c := range []string{"dbus-run-session", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(c); err != nil {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		msg := "no " + strings.Join(missing, " and ") + " (Debian: apt-get install dbus gnome-keyring; .ci/run installs them)"
		if os.Getenv("TOKENTOP_REQUIRE_KEYRING") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	home := t.TempDir()
	runtimeDir := filepath.Join(home, "run")
	if err := os.Mkdir(runtimeDir, 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "dbus-run-session", "--", os.Args[0], "-test.run", "^TestSecretService$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), inSession+"=1", "HOME="+home, "XDG_RUNTIME_DIR="+runtimeDir,
		"XDG_DATA_HOME="+filepath.Join(home, "data"), "XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"XDG_CACHE_HOME="+filepath.Join(home, "cache"))
	// On a hang, the whole group goes: the bus, this binary's second run
	// and the keyring daemon it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: TestSecretService")) {
		t.Fatalf("under dbus-run-session: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "secretservice_test.go") {
			t.Log(strings.TrimSpace(l))
		}
	}
}

// startKeyring starts gnome-keyring-daemon on this session bus with the
// login keyring unlocked (its password on stdin, as PAM gives it), waits
// until it owns org.freedesktop.secrets, and stops it at the end: the
// daemon outlives the bus otherwise.
func startKeyring(t *testing.T) {
	conn, err := dbus.SessionBus()
	if err != nil {
		t.Fatalf("session bus: %v", err)
	}
	const name = "org.freedesktop.secrets"
	if err := conn.AddMatchSignal(dbus.WithMatchInterface("org.freedesktop.DBus"),
		dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, name)); err != nil {
		t.Fatal(err)
	}
	owners := make(chan *dbus.Signal, 8)
	conn.Signal(owners)
	defer conn.RemoveSignal(owners)

	cmd := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	cmd.Stdin = strings.NewReader("tokentop-test")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	// Wait for the name to get its owner: a call before that would start
	// a second, locked daemon by D-Bus activation.
	var owned bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&owned); err != nil {
		t.Fatalf("NameHasOwner: %v", err)
	}
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for !owned {
		select {
		case sig := <-owners:
			if len(sig.Body) == 3 && sig.Body[0] == name && sig.Body[2] != "" {
				owned = true
			}
		case <-exited:
			t.Fatalf("gnome-keyring-daemon ended: %s", logs.String())
		case <-deadline.C:
			cmd.Process.Kill()
			<-exited
			t.Fatalf("gnome-keyring-daemon did not take %s in 20s: %s", name, logs.String())
		}
	}
}
