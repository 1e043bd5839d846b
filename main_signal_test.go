//go:build unix

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tokentop/flows/providertest"
)

// signalPane is the real binary in a tmux pane, started by a shell that
// stays after it: the shell writes tokentop's exit status, as a shell
// reports it ($?: 128 + the signal's number when a signal ended it), and
// keeps the terminal open so that the test can read what tokentop left it
// in. The shell traps (does not ignore) SIGINT and SIGQUIT, so that ctrl+c
// and ctrl+\ do not end it, while tokentop starts with the default
// dispositions as it would from an interactive shell.
type signalPane struct {
	*tmux
	pid        int
	statusFile string
	// tty is the pane's terminal, for stty.
	tty *os.File
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// newSignalPane runs binPath with args in a new tmux pane, so that a signal
// sent to pid reaches tokentop itself.
func newSignalPane(t *testing.T, args []string, env ...string) *signalPane {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tmux is missing: .ci/run installs it")
		}
		t.Skip("tmux is not installed")
	}
	dir := t.TempDir()
	pidFile, statusFile := filepath.Join(dir, "pid"), filepath.Join(dir, "status")
	inner := "echo $$ > " + shellQuote(pidFile) + " && exec " + shellQuote(binPath)
	for _, a := range args {
		inner += " " + shellQuote(a)
	}
	command := "trap : INT QUIT; sh -c " + shellQuote(inner) + "; echo $? > " + shellQuote(statusFile+".new") +
		" && mv " + shellQuote(statusFile+".new") + " " + shellQuote(statusFile) + "; exec sleep 3600"
	tm := &tmux{t: t, socket: fmt.Sprintf("tokentop-sig-%d-%d", os.Getpid(), time.Now().UnixNano()), name: "tt"}
	newSession := []string{"-f", "/dev/null", "new-session", "-d", "-s", tm.name, "-x", "100", "-y", "30"}
	for _, e := range env {
		newSession = append(newSession, "-e", e)
	}
	tm.cmd(append(newSession, command)...)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", tm.socket, "kill-server").Run() })

	p := &signalPane{tmux: tm, statusFile: statusFile}
	tty, err := os.OpenFile(p.info("#{pane_tty}"), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	p.tty = tty
	p.waitUntil("tokentop's pid", 10*time.Second, func() bool {
		b, _ := os.ReadFile(pidFile)
		p.pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	return p
}

// info expands a tmux format for the pane.
func (p *signalPane) info(format string) string {
	return strings.TrimSpace(p.cmd("display-message", "-p", "-t", p.name, format))
}

// waitUntil polls cond until it holds, up to a deadline.
func (p *signalPane) waitUntil(what string, d time.Duration, cond func() bool) {
	p.t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(50 * time.Millisecond) { // polling interval
		if time.Now().After(deadline) {
			p.t.Fatalf("waiting for %s: the screen shows:\n%s", what, p.screen())
		}
	}
}

// waitExit waits for tokentop to end and returns its status as the shell
// reported it.
func (p *signalPane) waitExit() int {
	p.t.Helper()
	var b []byte
	p.waitUntil("tokentop to exit", 10*time.Second, func() bool {
		var err error
		b, err = os.ReadFile(p.statusFile)
		return err == nil
	})
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		p.t.Fatalf("exit status %q: %v", b, err)
	}
	return n
}

// echo reports whether the terminal echoes what is typed.
func (p *signalPane) echo() bool {
	p.t.Helper()
	cmd := exec.Command("stty", "-a")
	cmd.Stdin = p.tty
	out, err := cmd.CombinedOutput()
	if err != nil {
		p.t.Fatalf("stty -a: %v: %s", err, out)
	}
	for _, f := range strings.Fields(string(out)) {
		switch f {
		case "echo":
			return true
		case "-echo":
			return false
		}
	}
	p.t.Fatalf("stty -a shows no echo setting:\n%s", out)
	return false
}

// A password prompt ends at once on ctrl+c, ctrl+\, SIGTERM or SIGHUP (the
// terminal closing), with echo back on, and a shell reports 128 + the
// signal's number, as it does for sudo and ssh: 130 for ctrl+c.
func TestLoginPasswordPromptSignals(t *testing.T) {
	// The keys cases type some text first: it reaches the terminal before
	// the keystroke that ends the prompt, so it must never show. A signal
	// sent with kill could overtake text still on its way through tmux,
	// so those cases type nothing.
	cases := []struct {
		name   string
		typed  bool
		send   func(p *signalPane)
		status int
	}{
		{"ctrl+c", true, func(p *signalPane) { p.keys("C-c") }, 130},
		{`ctrl+\`, true, func(p *signalPane) { p.keys(`C-\`) }, 131},
		{"SIGTERM", false, func(p *signalPane) { syscall.Kill(p.pid, syscall.SIGTERM) }, 143},
		{"SIGHUP", false, func(p *signalPane) { syscall.Kill(p.pid, syscall.SIGHUP) }, 129},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newCLI(t, providertest.Options{})
			p := newSignalPane(t, []string{"--config", c.config, "--state", c.state, "login", "aerion"})
			p.waitFor("the password prompt", 20*time.Second, func(s string) bool { return strings.Contains(s, "Password for") })
			p.waitUntil("echo off at the prompt", 5*time.Second, func() bool { return !p.echo() })
			if tc.typed {
				p.keys("not-the-password") // typed, not echoed, then abandoned
			}
			tc.send(p)
			if status := p.waitExit(); status != tc.status {
				t.Errorf("exit status %d, want %d", status, tc.status)
			}
			if !p.echo() {
				t.Error("the terminal was left with echo off")
			}
			screen := p.screen()
			if !strings.Contains(screen, "aerion: sign-in interrupted") {
				t.Errorf("no word of the interruption:\n%s", screen)
			}
			if strings.Contains(screen, "not-the-password") {
				t.Errorf("what was typed at the prompt shows:\n%s", screen)
			}
			if n := c.fake.Count(providertest.Aerion, ""); n != 0 {
				t.Errorf("%d requests reached the provider", n)
			}
		})
	}
}

// demoPane starts tokentop --demo with its temporary files in tmp, and
// waits until the dashboard is on screen and the demo's directory exists.
func demoPane(t *testing.T, tmp string) *signalPane {
	t.Helper()
	p := newSignalPane(t, []string{"--demo"}, "NO_COLOR=1", "TOKENTOP_CONFIG=/nonexistent", "HOME="+t.TempDir(), "TMPDIR="+tmp)
	p.waitFor("every demo connection", 20*time.Second, func(s string) bool {
		for _, n := range demoConnections {
			if rowOf(s, n) == "" {
				return false
			}
		}
		return true
	})
	if p.info("#{alternate_on}") != "1" {
		t.Fatal("the dashboard is not on the alternate screen")
	}
	if p.echo() {
		t.Fatal("the dashboard runs with echo on")
	}
	if left := demoDirs(t, tmp); len(left) != 1 {
		t.Fatalf("demo directories before the signal: %v", left)
	}
	return p
}

func demoDirs(t *testing.T, tmp string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(tmp, "tokentop-demo-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The dashboard ends on SIGHUP, SIGTERM, SIGQUIT and SIGINT as it does on q
// (normal screen back, cursor shown, echo on), removes the demo's directory
// with its literal secrets, and exits 128 + the signal's number.
func TestDashboardSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM, syscall.SIGQUIT, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			p := demoPane(t, tmp)
			if err := syscall.Kill(p.pid, sig); err != nil {
				t.Fatal(err)
			}
			if status, want := p.waitExit(), 128+int(sig); status != want {
				t.Errorf("exit status %d, want %d", status, want)
			}
			if p.info("#{alternate_on}") != "0" {
				t.Error("the terminal was left on the alternate screen")
			}
			if p.info("#{cursor_flag}") != "1" {
				t.Error("the cursor was left hidden")
			}
			if !p.echo() {
				t.Error("the terminal was left with echo off")
			}
			if left := demoDirs(t, tmp); len(left) != 0 {
				t.Errorf("the demo left %v behind", left)
			}
		})
	}
}

// Closing the terminal window (tmux kill-session) leaves no demo directory
// behind, and the process ends: as with a terminal emulator's window, the
// terminal hangs up, the shell that leads its session gets SIGHUP and dies,
// and the kernel sends SIGHUP to tokentop, in the foreground.
func TestDashboardClosedTerminal(t *testing.T) {
	tmp := t.TempDir()
	p := demoPane(t, tmp)
	p.cmd("kill-session", "-t", p.name)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if len(demoDirs(t, tmp)) == 0 && !alive(p.pid) {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("after the terminal closed: demo directories %v, process alive: %v", demoDirs(t, tmp), alive(p.pid))
		}
		time.Sleep(50 * time.Millisecond) // polling interval
	}
}

// alive reports whether pid runs (a zombie has ended).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

// catchSignals cancels its context on a signal and says which, also when
// the signal ended its parent first (run's signal.NotifyContext), and says
// nil when none came.
func TestCatchSignals(t *testing.T) {
	t.Run("none", func(t *testing.T) {
		ctx, caught := catchSignals(context.Background(), syscall.SIGUSR1)
		if ctx.Err() != nil {
			t.Fatal("cancelled before any signal")
		}
		if sig := caught(); sig != nil {
			t.Fatalf("caught %v, want none", sig)
		}
		if ctx.Err() == nil {
			t.Fatal("caught leaves its context running")
		}
	})
	t.Run("cancels", func(t *testing.T) {
		ctx, caught := catchSignals(context.Background(), syscall.SIGUSR1)
		if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("the signal did not cancel the context")
		}
		if sig := caught(); sig != syscall.SIGUSR1 {
			t.Fatalf("caught %v, want SIGUSR1", sig)
		}
	})
	t.Run("the parent ended first", func(t *testing.T) {
		// Which of the two channels gets the signal first varies: repeat
		// to meet both orders.
		for i := range 100 {
			parent, stop := signal.NotifyContext(context.Background(), syscall.SIGUSR2)
			ctx, caught := catchSignals(parent, syscall.SIGUSR2)
			if err := syscall.Kill(os.Getpid(), syscall.SIGUSR2); err != nil {
				t.Fatal(err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("the signal did not cancel the context")
			}
			sig := caught()
			stop()
			if sig != syscall.SIGUSR2 {
				t.Fatalf("run %d: caught %v, want SIGUSR2", i, sig)
			}
		}
	})
}
