package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The tests below run this test binary again as a second process, the way a
// dashboard and a script share the state file. childEnv selects what the
// child does, pathEnv is its state file.
const (
	childEnv = "TOKENTOP_STORE_TEST_CHILD"
	pathEnv  = "TOKENTOP_STORE_TEST_PATH"
)

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "writer":
		childWriter(os.Getenv(pathEnv))
	case "hold-shared":
		childHoldLock(os.Getenv(pathEnv), false)
	case "hold-exclusive":
		childHoldLock(os.Getenv(pathEnv), true)
	case "hold-renewal":
		childHoldRenewal(os.Getenv(pathEnv))
	default:
		fmt.Fprintln(os.Stderr, "unknown child", os.Getenv(childEnv))
		os.Exit(2)
	}
	os.Exit(0)
}

// childWriter saves token pairs N/N for ever, printing N after each commit.
// Every fifth round it also saves and forgets another connection, so that a
// kill can land in a compaction too.
func childWriter(path string) {
	db, err := Open(path, Options{Timeout: time.Minute})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s, err := db.Load("pair")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	n := 0
	if s.Token != nil {
		n, _ = strconv.Atoi(s.Token.AccessToken)
	}
	for {
		n++
		v := strconv.Itoa(n)
		if err := db.Update("pair", setToken(v, v)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if n%5 == 0 {
			if err := db.Update("other", setToken("o"+v, "o"+v)); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			if err := db.Forget("other"); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
		fmt.Println(n)
	}
}

// childHoldLock takes the store lock of path as another tokentop would,
// says so, and keeps it until its stdin is closed.
func childHoldLock(path string, exclusive bool) {
	lf, err := openLockFile(path+".lock", "lock file", false)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// The parent holds no lock when it starts a holder.
	if ok, err := lf.tryLock(exclusive); !ok {
		fmt.Fprintln(os.Stderr, "store lock not granted:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// childHoldRenewal takes the renewal lock of connection "aha", says so, and
// keeps it until its stdin is closed or it is killed.
func childHoldRenewal(path string) {
	db, err := Open(path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := db.Lock(context.Background(), "aha"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// startChild runs the test binary as child kind on path and returns it with
// its stdout; the caller must stop it.
func startChild(t *testing.T, kind, path string) (*exec.Cmd, *bufio.Scanner, io.WriteCloser, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+kind, pathEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd, bufio.NewScanner(out), in, &stderr
}

// TestKilledWriterLeavesWholePairs kills a process that keeps saving token
// pairs at a random point, several times over, and checks after each kill
// that the stored pair is whole (access and refresh from the same save) and
// no older than the last save the writer reported done.
func TestKilledWriterLeavesWholePairs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	path := testPath(t)
	last := 0
	for round := range 8 {
		cmd, out, _, stderr := startChild(t, "writer", path)
		// Let it commit a random number of saves, then kill it, wherever
		// it is in the next one.
		for range 1 + rng.IntN(12) {
			if !out.Scan() {
				_ = cmd.Wait()
				t.Fatalf("round %d: writer stopped: %s", round, stderr)
			}
			n, err := strconv.Atoi(out.Text())
			if err != nil || n <= last {
				t.Fatalf("round %d: writer printed %q after %d", round, out.Text(), last)
			}
			last = n
		}
		// The kill must not always land at the start of the next save: the
		// wait is random, and nothing depends on its length.
		time.Sleep(time.Duration(rng.IntN(10_000)) * time.Microsecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()

		db := mustOpenAt(t, path, Options{})
		s := mustLoad(t, db, "pair")
		if s.Token == nil {
			t.Fatalf("round %d: no pair stored after %d saves", round, last)
		}
		access, refresh := s.Token.AccessToken, s.Token.RefreshToken
		if access != refresh {
			t.Fatalf("round %d: torn pair: access %s, refresh %s", round, access, refresh)
		}
		if n, _ := strconv.Atoi(access); n < last {
			t.Fatalf("round %d: pair %d is older than save %d the writer reported", round, n, last)
		}
		if w := db.Warnings(); len(w) != 0 {
			t.Fatalf("round %d: warnings after a kill: %q", round, w)
		}
		if o := mustLoad(t, db, "other"); o.Token != nil && o.Token.AccessToken != o.Token.RefreshToken {
			t.Fatalf("round %d: torn pair of other", round)
		}
		last, _ = strconv.Atoi(access)
	}
}

// TestBusyAcrossProcesses holds the store lock in another process and
// checks who waits for it, and that a waiter gives up after Timeout with the
// error that says why.
func TestBusyAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	const timeout = 150 * time.Millisecond
	tests := map[string]struct {
		holder   string
		op       func(*DB) error
		wantBusy string // "" when the operation must go through
	}{
		"read while another writes": {
			holder:   "hold-exclusive",
			op:       func(db *DB) error { _, err := db.Load("c"); return err },
			wantBusy: "(another tokentop is writing)",
		},
		"write while another reads": {
			holder:   "hold-shared",
			op:       func(db *DB) error { return db.Update("c", setToken("b", "r")) },
			wantBusy: "(another tokentop is using it)",
		},
		"changes while another writes": {
			holder:   "hold-exclusive",
			op:       func(db *DB) error { _, _, err := db.Changed(0); return err },
			wantBusy: "(another tokentop is writing)",
		},
		"read while another reads": {
			holder: "hold-shared",
			op:     func(db *DB) error { _, err := db.Load("c"); return err },
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			path := testPath(t)
			mustUpdate(t, mustOpenAt(t, path, Options{}), "c", setToken("a", "r"))
			db := mustOpenAt(t, path, Options{Timeout: timeout})

			_, out, in, stderr := startChild(t, tt.holder, path)
			if !out.Scan() || out.Text() != "locked" {
				t.Fatalf("holder did not take the lock: %s", stderr)
			}
			start := time.Now()
			err := tt.op(db)
			waited := time.Since(start)
			in.Close()

			if tt.wantBusy == "" {
				if err != nil {
					t.Fatalf("got %v, want no wait", err)
				}
				return
			}
			want := fmt.Sprintf("state file %s is busy %s: gave up after %s", path, tt.wantBusy, timeout)
			// Update and Forget say which connection they were saving first.
			if !errors.Is(err, ErrBusy) || !strings.HasSuffix(err.Error(), want) {
				t.Fatalf("got %v\nwant %s", err, want)
			}
			if waited < timeout || waited > timeout+2*time.Second {
				t.Errorf("gave up after %s, want about %s", waited, timeout)
			}
		})
	}
}

// TestChangedSeesOtherProcess checks that a write by another process is
// reported to this one.
func TestChangedSeesOtherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	db := mustOpen(t)
	path := db.Path()
	_, mark, err := db.Changed(0)
	if err != nil {
		t.Fatal(err)
	}
	cmd, out, _, stderr := startChild(t, "writer", path)
	if !out.Scan() {
		t.Fatalf("writer: %s", stderr)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	changed, next, err := db.Changed(mark)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := changed["pair"]; !ok || s.Token == nil || next <= mark {
		t.Errorf("Changed(%d) = %v, %d; want the other process's pair", mark, changed, next)
	}
}
