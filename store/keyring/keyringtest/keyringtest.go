//go:build linux

// Package keyringtest gives a test a real Secret Service of its own:
// gnome-keyring-daemon with an unlocked login keyring on a private D-Bus
// session bus, in a home of its own, so that neither the developer's
// keyring nor their session is touched (as etcdtest gives a real etcd).
package keyringtest

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
)

// InSession marks the run of a test binary that dbus-run-session started:
// it has a session bus of its own, and starts gnome-keyring there. A
// TestMain that clears the session bus from the environment must leave it
// in such a run.
const InSession = "TOKENTOP_KEYRING_SESSION"

// Session reports whether t runs inside a private session with the Secret
// Service ready, to go on with its test. Outside one, it runs the test
// again under dbus-run-session, reports that run as t's result and returns
// false. Without dbus-run-session and gnome-keyring-daemon it skips t,
// unless TOKENTOP_REQUIRE_KEYRING=1 (set by .ci/run) makes that a failure.
func Session(t *testing.T) bool {
	t.Helper()
	if os.Getenv(InSession) == "" {
		runInSession(t)
		return false
	}
	startKeyring(t)
	return true
}

// runInSession runs this test again under dbus-run-session, in a home of
// its own, and fails with its output when it fails.
func runInSession(t *testing.T) {
	t.Helper()
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
	cmd := exec.CommandContext(ctx, "dbus-run-session", "--", os.Args[0], "-test.run", "^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), InSession+"=1", "HOME="+home, "XDG_RUNTIME_DIR="+runtimeDir,
		"XDG_DATA_HOME="+filepath.Join(home, "data"), "XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"XDG_CACHE_HOME="+filepath.Join(home, "cache"))
	// On a hang, the whole group goes: the bus, this binary's second run
	// and the keyring daemon it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: "+t.Name()+"")) {
		t.Fatalf("under dbus-run-session: %v\n%s", err, out)
	}
	// The second run's own logs, for -v.
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); strings.Contains(l, "_test.go:") {
			t.Log(l)
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
