//go:build unix

package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tokentop/flows"
)

// TestLockRecordsHolder takes a renewal lock and waits for it on a second
// descriptor, as another process would: the holder's record is in the lock
// file, and a wait that runs out names that holder.
func TestLockRecordsHolder(t *testing.T) {
	db := mustOpenAt(t, testPath(t), Options{Now: fixedNow})
	lock := filepath.Join(db.Path()+".locks", lockFileName("aha"))
	unlock, err := db.Lock(context.Background(), "aha")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	want := fmt.Sprintf("pid %d since 2026-11-23T15:42:00Z\n", os.Getpid())
	if b, err := os.ReadFile(lock); err != nil || string(b) != want {
		t.Fatalf("lock file holds %q (%v), want %q", b, err, want)
	}

	t.Run("deadline", func(t *testing.T) {
		const wait = 50 * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		start := time.Now()
		_, err := db.Lock(ctx, "aha")
		waited := time.Since(start)
		var held *flows.LockHeldError
		if !errors.As(err, &held) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Lock while held: %v, want a *flows.LockHeldError and context.DeadlineExceeded", err)
		}
		// Waited counts from the call, which a loaded machine may start
		// late in the deadline: more than nothing, and no more than the
		// caller saw.
		if held.PID != os.Getpid() || !held.Since.Equal(fixedNow()) || held.Waited <= 0 || held.Waited > waited {
			t.Errorf("LockHeldError = %+v, want pid %d since %v, waited up to %s", held, os.Getpid(), fixedNow(), waited)
		}
		// The caller names the connection (flows.ConnError), not the store.
		if err.Error() != held.Error() || strings.Contains(err.Error(), "aha") || strings.Contains(err.Error(), lockFileName("aha")) {
			t.Errorf("message %q, want %q", err, held.Error())
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		// Whether the cancel comes before the first try or during the wait,
		// the answer is the same.
		stop := time.AfterFunc(20*time.Millisecond, cancel)
		defer stop.Stop()
		_, err := db.Lock(ctx, "aha")
		var held *flows.LockHeldError
		if !errors.Is(err, context.Canceled) || errors.As(err, &held) {
			t.Errorf("Lock cancelled: %v, want context.Canceled and no LockHeldError", err)
		}
	})
	t.Run("unreadable record", func(t *testing.T) {
		for _, record := range []string{"", "garbage\n", strings.Repeat("pid 1 ", 200)} {
			if err := os.WriteFile(lock, []byte(record), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			_, err := db.Lock(ctx, "aha")
			cancel()
			var held *flows.LockHeldError
			if !errors.As(err, &held) || held.PID != 0 || !held.Since.IsZero() {
				t.Errorf("record %.20q: %v (%+v), want a LockHeldError of an unknown holder", record, err, held)
			}
		}
	})

	unlock()
	if b, err := os.ReadFile(lock); err != nil || len(b) != 0 {
		t.Errorf("after unlock the lock file holds %q (%v), want nothing", b, err)
	}
}

// TestLockOfKilledProcess: a renewal lock whose holder was killed (SIGKILL,
// no chance to clean up) does not block: its record names the dead holder,
// but the lock goes at once to the next.
func TestLockOfKilledProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	db := mustOpen(t)
	lock := filepath.Join(db.Path()+".locks", lockFileName("aha"))
	cmd, out, _, stderr := startChild(t, "hold-renewal", db.Path())
	if !out.Scan() || out.Text() != "locked" {
		t.Fatalf("holder did not take the lock: %s", stderr)
	}
	child := cmd.Process.Pid
	if b, err := os.ReadFile(lock); err != nil || !strings.HasPrefix(string(b), fmt.Sprintf("pid %d since ", child)) {
		t.Fatalf("lock file of a live holder holds %q (%v), want pid %d", b, err, child)
	}
	short, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	_, err := db.Lock(short, "aha")
	cancel()
	var held *flows.LockHeldError
	if !errors.As(err, &held) || held.PID != child {
		t.Fatalf("Lock while another process holds it: %v, want a LockHeldError of pid %d", err, child)
	}

	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = cmd.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	unlock, err := db.Lock(ctx, "aha")
	if err != nil {
		t.Fatalf("Lock after its holder was killed: %v", err)
	}
	defer unlock()
	want := fmt.Sprintf("pid %d since ", os.Getpid())
	if b, err := os.ReadFile(lock); err != nil || !strings.HasPrefix(string(b), want) {
		t.Errorf("lock file holds %q (%v), want %q…", b, err, want)
	}
}
