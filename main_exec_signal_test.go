//go:build unix

package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"tokentop/flows/providertest"
)

// countSignalsEnv makes this test binary, run as tokentop exec's command,
// a process that writes each SIGINT, SIGQUIT and SIGTERM it gets to the
// file the variable names, and exits at SIGTERM.
const countSignalsEnv = "TOKENTOP_TEST_COUNT_SIGNALS"

func init() {
	if path := os.Getenv(countSignalsEnv); path != "" {
		countSignals(path)
	}
}

func countSignals(path string) {
	ch := make(chan os.Signal, 16)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		os.Exit(3)
	}
	fmt.Fprintln(f, "ready")
	for s := range ch {
		fmt.Fprintln(f, s)
		if s == syscall.SIGTERM {
			os.Exit(0)
		}
	}
}

// TestCLIExecCtrlCOnce: ctrl+c in the terminal reaches the command once
// (the terminal sends it to the whole foreground group; tokentop does not
// forward it again), while a kill -TERM sent to tokentop alone is
// forwarded; tokentop exits with the command's status.
func TestCLIExecCtrlCOnce(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(t.TempDir(), "signals")
	p := newSignalPane(t, []string{"--config", c.config, "--state", c.state, "exec", "aikido", "--", self}, countSignalsEnv+"="+marker)
	read := func() string { b, _ := os.ReadFile(marker); return string(b) }
	p.waitUntil("the command to start", 10*time.Second, func() bool { return read() == "ready\n" })
	p.keys("C-c")
	p.waitUntil("the command to get ctrl+c", 10*time.Second, func() bool { return strings.Contains(read(), "interrupt") })
	// A forwarded SIGINT would be sent before tokentop handles the
	// SIGTERM that comes after it, and reach the command first.
	if err := syscall.Kill(p.pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.waitExit(); code != 0 {
		t.Fatalf("exit %d, want 0 (the command's); it saw %q", code, read())
	}
	if got := read(); got != "ready\ninterrupt\nterminated\n" {
		t.Fatalf("the command got %q, want one interrupt then terminated", got)
	}
}
