//go:build unix

package store

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

var sink byte

// TestGuardedTurnsFaultIntoError reads a mapping past the end of a file that
// was truncated after mapping it, the SIGBUS bbolt would hit on a truncated
// state file if checkFile missed it. Without SetPanicOnFault the runtime
// kills the process; guarded must return a *corruptError instead.
func TestGuardedTurnsFaultIntoError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	size := 2 * os.Getpagesize()
	if err := os.WriteFile(path, make([]byte, size), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	defer syscall.Munmap(m)
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}

	err = guarded(path, stamp{}, nil, func() error {
		sink = m[size-1]
		return nil
	})
	var ce *corruptError
	if !errors.As(err, &ce) {
		t.Fatalf("guarded read of a truncated mapping returned %v, want a *corruptError", err)
	}
	t.Log(err)
}

// cpuTime is the process's user and system CPU time so far. Benchmarks
// report it per operation besides wall time, which on a busy machine
// mostly measures waiting for a CPU.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
