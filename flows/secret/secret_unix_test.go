//go:build unix

package secret

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// secretPid reads the pid a test command wrote to path.
func secretPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the command wrote no pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		t.Fatalf("bad pid %q", b)
	}
	return pid
}

// secretProcessDead reports whether pid has exited: gone, or a zombie
// nobody has reaped yet (in a container, pid 1 may never reap it).
func secretProcessDead(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	// pid (comm) STATE ...; comm may hold ")".
	if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) {
		return b[i+2] == 'Z' || b[i+2] == 'X'
	}
	return false
}

// secretAssertDead fails unless pid dies within a few seconds: SIGKILL is
// delivered asynchronously, so death is awaited, with a bound.
func secretAssertDead(t *testing.T, pid int) {
	t.Helper()
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !secretProcessDead(pid) {
		select {
		case <-deadline.C:
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("process %d, started by the secret command, is still alive", pid)
		case <-tick.C:
		}
	}
}

// TestSecretCommandDeadlineKillsGroup: at the deadline the whole process
// group dies, so a grandchild holding stdout open (pass → gpg → pinentry)
// cannot stretch the wait; the error says it timed out and keeps the
// stderr for Stderr.
func TestSecretCommandDeadlineKillsGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	lim := limits{timeout: 200 * time.Millisecond, waitDelay: 100 * time.Millisecond}
	spec := "cmd:sleep 60 & echo $! > " + pidFile + "; echo 'waiting for a touch' >&2; sleep 60"
	_, err := secretWithin(t, 5*time.Second, spec, lim)
	if err == nil || err.Error() != "cmd: secret command failed (timed out after 200ms)" {
		t.Fatalf("error %v", err)
	}
	if got := Stderr(err); got != "waiting for a touch" {
		t.Errorf("Stderr = %q", got)
	}
	secretAssertDead(t, secretPid(t, pidFile))
}

// TestSecretCommandOrphanHoldsStdout: a command that prints its secret and
// exits, leaving a child that holds stdout, returns the secret at once
// (WaitDelay, not the child's lifetime, bounds the wait) and the child is
// killed. The timeout is long, so only WaitDelay can end the wait in time.
func TestSecretCommandOrphanHoldsStdout(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	lim := limits{timeout: time.Minute, waitDelay: 100 * time.Millisecond}
	spec := "cmd:sleep 60 & echo $! > " + pidFile + "; echo SENTINEL-orphan-secret"
	v, err := secretWithin(t, 5*time.Second, spec, lim)
	if err != nil || v != "SENTINEL-orphan-secret" {
		t.Fatalf("got %d bytes, %v", len(v), err)
	}
	secretAssertDead(t, secretPid(t, pidFile))
}

// TestSecretFileNotRegular: a FIFO nobody writes, a device and a directory
// are refused at once, by type, rather than read.
func TestSecretFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct{ path, kind string }{
		"fifo":         {fifo, "a FIFO"},
		"link to fifo": {link, "a FIFO"},
		"device":       {"/dev/zero", "a device"},
		"directory":    {dir, "a directory"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := os.Stat(tc.path); err != nil {
				t.Skip(err)
			}
			lim := limits{timeout: time.Minute, waitDelay: time.Second}
			_, err := secretWithin(t, 5*time.Second, "file:"+tc.path, lim)
			want := "file: secret file " + tc.path + " is " + tc.kind + ", not a regular file"
			if err == nil || err.Error() != want {
				t.Fatalf("error %v, want %q", err, want)
			}
		})
	}
}
