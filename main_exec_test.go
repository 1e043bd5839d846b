package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tokentop/flows/providertest"
)

// runEnv runs tokentop with env added to this process's environment.
func (c *cli) runEnv(env []string, stdin string, args ...string) (string, string, int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, append([]string{"--config", c.config, "--state", c.state}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errb.String(), ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("running tokentop: %v", err)
	}
	return out.String(), errb.String(), 0
}

// token is connection name's token as tokentop token prints it.
func (c *cli) token(name string) string {
	c.t.Helper()
	out, errOut, code := c.run("", "token", name)
	if code != 0 {
		c.t.Fatalf("token %s: exit %d: %s", name, code, errOut)
	}
	return strings.TrimSuffix(out, "\n")
}

func TestCLIExecExitStatus(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	dir := t.TempDir()
	notExec := filepath.Join(dir, "script")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\nexit 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		command []string
		code    int
		stderr  string
	}{
		{"success", []string{"true"}, 0, ""},
		{"status 3", []string{"sh", "-c", "exit 3"}, 3, ""},
		{"killed by SIGTERM", []string{"sh", "-c", "kill -TERM $$"}, 128 + 15, ""},
		{"not found", []string{"tokentop-no-such-command"}, 127, "tokentop: exec: tokentop-no-such-command: command not found\n"},
		{"no such path", []string{filepath.Join(dir, "missing")}, 127, "command not found"},
		{"not executable", []string{notExec}, 126, "cannot execute: permission denied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := c.run("", append([]string{"exec", "aikido", "--"}, tc.command...)...)
			if code != tc.code || (tc.stderr == "" && errOut != "") || !strings.Contains(errOut, tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d, %q", code, errOut, tc.code, tc.stderr)
			}
		})
	}
}

// TestExecInProcess: run itself returns the command's status.
func TestExecInProcess(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	var out, errOut bytes.Buffer
	code := run([]string{"--config", c.config, "--state", c.state, "exec", "aikido", "--", "sh", "-c", `test -n "$TOKENTOP_TOKEN" && echo ok && exit 4`}, strings.NewReader(""), &out, &errOut)
	if code != 4 || out.String() != "ok\n" || errOut.Len() != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 4, ok", code, out.String(), errOut.String())
	}
}

func TestCLIExecEnvironment(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	if _, errOut, code := c.run(providertest.AerionPassword+"\n", "login", "aerion", "--password-stdin"); code != 0 {
		t.Fatalf("login: exit %d: %s", code, errOut)
	}
	aikido, aerion := c.token("aikido"), c.token("aerion")
	show := `printf '%s|%s|%s|%s|%s\n' "${TOKENTOP_TOKEN-unset}" "${AIKIDO_TOKEN-unset}" "${AERION_TOKEN-unset}" "${A-unset}" "${B-unset}"`
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"one", []string{"aikido"}, aikido + "|unset|unset|stale|unset"},
		{"several", []string{"aikido", "aerion"}, "stale|" + aikido + "|" + aerion + "|stale|unset"},
		{"--env", []string{"--env", "A=aikido", "--env", "B=aerion"}, "stale|unset|unset|" + aikido + "|" + aerion},
		{"--env and a default", []string{"aikido", "--env", "B=aerion"}, "stale|" + aikido + "|unset|stale|" + aerion},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// A stale variable in the environment is replaced when tokentop
			// sets it, and passed on untouched when not.
			args := append(append([]string{"exec"}, tc.args...), "--", "sh", "-c", show)
			out, errOut, code := c.runEnv([]string{"TOKENTOP_TOKEN=stale", "A=stale"}, "", args...)
			if code != 0 || out != tc.want+"\n" {
				t.Fatalf("exit %d (stderr %q): the command saw the wrong variables (%d bytes, want %d)", code, errOut, len(out), len(tc.want)+1)
			}
		})
	}
	if n := c.fake.Count(providertest.Aikido, "client_credentials"); n != 1 {
		t.Fatalf("%d token requests, want 1: exec must reuse the stored token", n)
	}
}

func TestCLIExecRefuses(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	marker := filepath.Join(t.TempDir(), "started")
	start := []string{"--", "sh", "-c", "touch " + shellQuote(marker)}
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"a connection fails", append([]string{"aikido", "aerion"}, start...), 1, "tokentop: aerion: sign-in required: run tokentop login aerion\n"},
		{"unknown connection", append([]string{"nope"}, start...), 2, "tokentop: nope: unknown connection"},
		{"not a portable name", append([]string{"--env", "MY-TOKEN=aikido"}, start...), 2, "is not a portable environment variable name"},
		{"no --", []string{"aikido", "sh"}, 2, "give the command after --"},
		{"no command", []string{"aikido", "--"}, 2, "give the command after --"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := c.run("", append([]string{"exec"}, tc.args...)...)
			if code != tc.code || !strings.HasPrefix(errOut, tc.stderr) && !strings.Contains(errOut, tc.stderr) || strings.Count(errOut, "\n") != 1 {
				t.Fatalf("exit %d, stderr %q; want %d and one line with %q", code, errOut, tc.code, tc.stderr)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Fatal("the command started")
			}
		})
	}
}

// startExec starts tokentop exec with script as the command (sh -c, with
// args) and returns it with the lines of its standard output.
func (c *cli) startExec(script string, args ...string) (*exec.Cmd, io.WriteCloser, <-chan string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	c.t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, binPath, append([]string{"--config", c.config, "--state", c.state, "exec", "aikido", "--", "sh", "-c", script, "sh"}, args...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return cmd, stdin, lines
}

func nextLine(t *testing.T, lines <-chan string) string {
	t.Helper()
	select {
	case l, ok := <-lines:
		if !ok {
			t.Fatal("the command's output ended early")
		}
		return l
	case <-time.After(20 * time.Second):
		t.Fatal("no line from the command in 20s")
	}
	return ""
}

// TestCLIExecForwardsSignals: each signal tokentop receives reaches the
// command, which traps it, writes a marker and exits 7; tokentop waits
// for it and exits 7 too.
func TestCLIExecForwardsSignals(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	script := `trap 'kill $p 2>/dev/null; echo "got $1" > "$2"; exit 7' "$1"
sleep 30 >/dev/null 2>&1 &
p=$!
echo ready
wait $p`
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT} {
		name := strings.TrimPrefix(map[syscall.Signal]string{syscall.SIGTERM: "TERM", syscall.SIGINT: "INT", syscall.SIGHUP: "HUP", syscall.SIGQUIT: "QUIT"}[sig], "SIG")
		t.Run(name, func(t *testing.T) {
			marker := filepath.Join(t.TempDir(), "marker")
			cmd, _, lines := c.startExec(script, name, marker)
			if l := nextLine(t, lines); l != "ready" {
				t.Fatalf("the command said %q", l)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			code := cmd.ProcessState.ExitCode()
			if code != 7 {
				t.Fatalf("tokentop: %v (exit %d), want exit 7, the command's: %s", err, code, cmd.Stderr)
			}
			b, err := os.ReadFile(marker)
			if err != nil || string(b) != "got "+name+"\n" {
				t.Fatalf("marker %q (%v): the command did not get SIG%s", b, err, name)
			}
		})
	}
}

// TestCLIExecNoTokenInArgv reads the command lines of tokentop and of the
// running command: the token is in neither, only in the command's
// environment.
func TestCLIExecNoTokenInArgv(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	tok := c.token("aikido")
	cmd, stdin, lines := c.startExec(`echo $$; read x; exit 0`)
	child, err := strconv.Atoi(nextLine(t, lines))
	if err != nil {
		t.Fatal(err)
	}
	for _, pid := range []int{cmd.Process.Pid, child} {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 || bytes.Contains(b, []byte(tok)) {
			t.Fatalf("/proc/%d/cmdline (%d bytes) holds the token", pid, len(b))
		}
	}
	own, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/environ")
	if err != nil || bytes.Contains(own, []byte(tok)) {
		t.Fatalf("tokentop's own environment holds the token (%v)", err)
	}
	env, err := os.ReadFile("/proc/" + strconv.Itoa(child) + "/environ")
	if err != nil || !bytes.Contains(env, []byte("\x00TOKENTOP_TOKEN="+tok+"\x00")) {
		t.Fatalf("the command's environment lacks TOKENTOP_TOKEN (%v)", err)
	}
	stdin.Write([]byte("\n"))
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("tokentop: %v", err)
	}
}
