// Package secret resolves the secrets a connection names (env:, cmd:, file:
// or a literal) only when they are needed, bounded in time and size.
package secret

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"time"
	"tokentop/flows/redact"
)

// Secret is a configured secret value: "env:NAME", "cmd:COMMAND" (run with
// sh -c, stdout trimmed, bounded in time), "file:PATH", or a literal. It is
// resolved only when its connection needs it, and it never prints itself.
type Secret struct {
	spec string
}

// New returns a Secret for a config value.
func New(spec string) Secret { return Secret{spec: spec} }

// IsZero reports whether no value was configured.
func (s Secret) IsZero() bool { return s.spec == "" }

// IsLiteral reports whether the value is written in the config itself.
func (s Secret) IsLiteral() bool {
	return s.spec != "" && s.Source() == "literal"
}

// String describes where the secret comes from, never its value.
func (s Secret) String() string {
	if s.spec == "" {
		return "(none)"
	}
	return "(" + s.Source() + " secret)"
}

// LogValue implements slog.LogValuer without the value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Resolve returns the secret's value: it reads the environment variable, the
// file, or runs the command. ctx bounds the command's run time. A value
// larger than 64 KiB is refused, whatever its source; a failed command gives
// a *CommandError, whose stderr Stderr returns.
func (s Secret) Resolve(ctx context.Context) (string, error) {
	return resolve(ctx, s.spec)
}

// Source names where the secret comes from: "env", "cmd", "file" or "literal".
func (s Secret) Source() string {
	for _, p := range []string{"env", "cmd", "file"} {
		if strings.HasPrefix(s.spec, p+":") {
			return p
		}
	}
	return "literal"
}

const (
	// commandTimeout bounds a cmd: secret, so a password manager
	// waiting for a touch cannot hang tokentop forever.
	commandTimeout = 30 * time.Second
	// commandWaitDelay bounds the wait for a command's output once it has
	// exited or been killed: a descendant that keeps stdout open (an agent
	// started on the way, or one that left the process group) must not
	// hold the caller beyond it (os/exec, Cmd.WaitDelay).
	commandWaitDelay = time.Second
	// MaxSize bounds every secret, from every source: real ones are a
	// few hundred bytes, and a mistaken file:/dev/zero or cmd:yes must not
	// exhaust memory or end up in a request.
	MaxSize = 64 << 10
	// maxStderr is how much of a command's stderr is kept for
	// Stderr, which prints one line of it.
	maxStderr = 4 << 10
)

// limits are the bounds of a cmd: secret; tests shorten them.
type limits struct {
	timeout, waitDelay time.Duration
}

var defaultLimits = limits{timeout: commandTimeout, waitDelay: commandWaitDelay}

// CommandError is the failure of a cmd: secret's command. Its message
// says only how the command ended: errors are kept in the state file and
// the event log, so what the command wrote to stderr is kept apart, for
// Stderr, and what it wrote to stdout (the secret) is never kept.
type CommandError struct {
	// Source is the kind of secret source, "cmd".
	Source string
	// Status is how the command ended: "exit status 1", "signal: killed",
	// "timed out after 30s", "context canceled", "printed nothing".
	Status string

	stderr string // one clean line, see Stderr
	err    error  // the cause, for errors.Is (context.Canceled)
}

// Error returns "cmd: secret command failed (STATUS)".
func (e *CommandError) Error() string {
	return e.Source + ": secret command failed (" + e.Status + ")"
}

// Unwrap returns the cause: the caller's context error when it gave up,
// else the command's exit error, or nil.
func (e *CommandError) Unwrap() error { return e.err }

// Stderr returns the stderr of the failed secret command in err's
// chain, made one printable line (see Sanitize), or "" when err holds no
// *CommandError or the command wrote nothing there. It is meant for
// the terminal of the person who ran tokentop, next to the error, and must
// not be stored.
func Stderr(err error) string {
	var e *CommandError
	if errors.As(err, &e) {
		return e.stderr
	}
	return ""
}

// TooLarge refuses a value above MaxSize; it names the
// source's kind, never the value.
func TooLarge(kind string) error {
	return fmt.Errorf("%s: secret is larger than %d KiB", kind, MaxSize>>10)
}

func resolve(ctx context.Context, spec string) (string, error) {
	return resolveWith(ctx, spec, defaultLimits)
}

func resolveWith(ctx context.Context, spec string, lim limits) (string, error) {
	kind, arg, _ := strings.Cut(spec, ":")
	switch kind {
	case "env":
		v, ok := os.LookupEnv(arg)
		if !ok || v == "" {
			return "", fmt.Errorf("environment variable %s is not set", arg)
		}
		if len(v) > MaxSize {
			return "", TooLarge(kind)
		}
		return v, nil
	case "file":
		return readFile(arg)
	case "cmd":
		return runCommand(ctx, arg, lim)
	}
	if spec == "" {
		return "", errors.New("no value configured")
	}
	if len(spec) > MaxSize {
		return "", TooLarge("literal")
	}
	return spec, nil
}

// readFile reads a file: secret. Only a regular file will do: it is
// opened without blocking and checked before it is read, so a FIFO that
// nobody writes, a device such as /dev/zero or a directory is refused at
// once rather than hanging or filling memory.
func readFile(path string) (string, error) {
	f, err := os.OpenFile(path, openFlags, 0)
	if err != nil {
		return "", fmt.Errorf("reading secret file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("reading secret file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("file: secret file %s is %s, not a regular file", path, fileKind(info.Mode()))
	}
	// Room for the value, a line ending and one byte that proves it larger.
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+3))
	if err != nil {
		return "", fmt.Errorf("reading secret file: %w", err)
	}
	v, tooLarge := trimValue(b, func(s string) string { return strings.TrimRight(s, "\r\n") })
	if tooLarge {
		return "", TooLarge("file")
	}
	if v == "" {
		return "", fmt.Errorf("secret file %s is empty", path)
	}
	return v, nil
}

// trimValue trims what a source produced and reports whether it exceeds
// MaxSize. b may hold up to two bytes more than the cap for a line
// ending; a third byte more means the source held more than can be kept.
func trimValue(b []byte, trim func(string) string) (string, bool) {
	if len(b) > MaxSize+2 {
		return "", true
	}
	v := trim(string(b))
	if len(v) > MaxSize {
		return "", true
	}
	return v, false
}

// fileKind names a file type for the refusal of a non-regular file.
func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "not a plain file"
}

// runCommand runs a cmd: secret with sh -c in a process group of its
// own, so that at the deadline the whole group is killed: a password
// manager's helpers (pass → gpg → pinentry) die with it and cannot keep
// the wait going by holding stdout open. The command cannot read the
// terminal: stdin is /dev/null, and outside the terminal's foreground group
// a read of /dev/tty stops it until the deadline.
func runCommand(ctx context.Context, command string, lim limits) (string, error) {
	runCtx, cancel := context.WithTimeout(ctx, lim.timeout)
	defer cancel()
	cmd := exec.CommandContext(runCtx, "sh", "-c", command)
	cmd.Stdin = nil
	// A command that prints more than a secret's worth (cmd:yes) is
	// stopped at once instead of running to the deadline.
	stdout := &cappedBuffer{max: MaxSize + 3, full: cancel}
	stderr := &cappedBuffer{max: maxStderr}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	setProcessGroup(cmd)
	cmd.WaitDelay = lim.waitDelay
	err := cmd.Run()
	if errors.Is(err, exec.ErrWaitDelay) {
		// The command exited, but something it started still held its
		// output when WaitDelay closed the pipes: it is ours, and its
		// output is no longer read.
		_ = killGroup(cmd.Process)
		err = nil
	}
	if stdout.overflow {
		return "", TooLarge("cmd")
	}
	fail := func(status string, cause error) error {
		return &CommandError{Source: "cmd", Status: status, stderr: redact.Clean(nil, stderr.String(), redact.MaxLine), err: cause}
	}
	switch {
	case err == nil:
	case ctx.Err() != nil:
		// The caller gave up: a cancellation, not a failure of the command.
		return "", fail(ctx.Err().Error(), context.Cause(ctx))
	case runCtx.Err() != nil:
		return "", fail("timed out after "+lim.timeout.String(), nil)
	default:
		return "", fail(err.Error(), err)
	}
	v, tooLarge := trimValue(stdout.Bytes(), strings.TrimSpace)
	if tooLarge {
		return "", TooLarge("cmd")
	}
	if v == "" {
		return "", fail("printed nothing", nil)
	}
	return v, nil
}

// cappedBuffer keeps the first max bytes written to it and drops the rest,
// calling full once when it first drops something. It always reports the
// whole write as done, so the command it reads from is never stuck on a
// full pipe.
type cappedBuffer struct {
	max      int
	full     func()
	b        []byte
	overflow bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := c.max - len(c.b); len(p) > room {
		p = p[:room]
		if !c.overflow {
			c.overflow = true
			if c.full != nil {
				c.full()
			}
		}
	}
	c.b = append(c.b, p...)
	return n, nil
}

func (c *cappedBuffer) Bytes() []byte  { return c.b }
func (c *cappedBuffer) String() string { return string(c.b) }
