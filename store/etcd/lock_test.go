package etcd_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/store/etcd"
	"tokentop/store/etcd/etcdtest"
)

// Two Store values are two machines: while one holds the lock the other
// waits, gives up at its deadline with a LockHeldError, and gets the lock
// as soon as it is released.
func TestLockExcludesAcrossStores(t *testing.T) {
	srv := etcdtest.Start(t)
	a := mustOpen(t, etcd.Options{Endpoints: []string{srv.Endpoint}})
	b := mustOpen(t, etcd.Options{Endpoints: []string{srv.Endpoint}})

	unlockA, err := a.Lock(context.Background(), "aerion")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, err = b.Lock(ctx, "aerion")
	cancel()
	var held *flows.LockHeldError
	if !errors.As(err, &held) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock while held = %v; want a LockHeldError wrapping the deadline", err)
	}
	if held.Waited < 300*time.Millisecond {
		t.Errorf("Waited = %v", held.Waited)
	}

	// Another connection's lock is independent.
	unlockOther, err := b.Lock(context.Background(), "bolt")
	if err != nil {
		t.Fatal(err)
	}
	unlockOther()

	got := make(chan error, 1)
	var unlockB func()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var err error
		unlockB, err = b.Lock(ctx, "aerion")
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("b took the lock while a held it: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	unlockA()
	unlockA() // twice is harmless
	if err := <-got; err != nil {
		t.Fatalf("Lock after the holder released it: %v", err)
	}
	unlockB()

	// A cancelled wait says so and wraps context.Canceled.
	unlockA, err = a.Lock(context.Background(), "aerion")
	if err != nil {
		t.Fatal(err)
	}
	defer unlockA()
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	if _, err := b.Lock(ctx, "aerion"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Lock = %v", err)
	}
}

// The holder's lease is kept alive beyond its TTL: a lock held for more
// than two TTLs still excludes.
func TestLockKeepsItsLeaseAlive(t *testing.T) {
	defer etcd.SetLeaseTTL(2)()
	srv := etcdtest.Start(t)
	a := mustOpen(t, etcd.Options{Endpoints: []string{srv.Endpoint}})
	b := mustOpen(t, etcd.Options{Endpoints: []string{srv.Endpoint}})
	unlock, err := a.Lock(context.Background(), "aerion")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := b.Lock(ctx, "aerion"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock 5 s into a 2 s lease kept alive = %v; want the deadline", err)
	}
	unlock()
}

// holdEnv makes the test binary a lock holder: it takes the lock, prints
// "locked" and waits to be killed.
const holdEnv = "TOKENTOP_ETCDTEST_HOLD"

func TestHelperHoldLock(t *testing.T) {
	ep := os.Getenv(holdEnv)
	if ep == "" {
		t.Skip("helper process only")
	}
	s, err := etcd.Open(etcd.Options{Endpoints: []string{ep}, Prefix: "/tokentop/test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lock(context.Background(), "aerion"); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("locked\n")
	select {}
}

// A holder killed with SIGKILL stops keeping its lease alive: another
// machine gets the lock within the TTL (15 s) + 5 s.
func TestLockOfAKilledHolderIsTakenOver(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a 15 s lease")
	}
	srv := etcdtest.Start(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldLock$")
	cmd.Env = append(os.Environ(), holdEnv+"="+srv.Endpoint)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("helper said %q, %v", line, err)
	}

	b := mustOpen(t, etcd.Options{Endpoints: []string{srv.Endpoint}})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, err = b.Lock(ctx, "aerion")
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock while the helper holds it = %v", err)
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	unlock, err := b.Lock(ctx, "aerion")
	if err != nil {
		t.Fatalf("Lock after the holder was killed: %v (after %v)", err, time.Since(killed))
	}
	unlock()
	t.Logf("lock taken over %v after SIGKILL", time.Since(killed).Round(100*time.Millisecond))
}
