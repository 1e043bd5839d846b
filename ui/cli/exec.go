package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"tokentop/flows"
)

// Binding puts connection Name's token in environment variable Var.
type Binding struct{ Var, Name string }

// ExecBindings are the variables tokentop exec sets: each --env VAR=NAME
// as given, then for every connection named in names and given no
// variable by env, TOKENTOP_TOKEN when only one connection is involved,
// else <NAME>_TOKEN (upper-cased, every character but a letter or digit
// turned into _). A variable that is not a portable name (letters, digits
// and _, not starting with a digit; POSIX.1-2017 §8.1) or that two
// connections would share is a usage error.
func ExecBindings(names, env []string) ([]Binding, error) {
	var out []Binding
	explicit := map[string]bool{}
	conns := map[string]bool{}
	for _, e := range env {
		v, name, ok := strings.Cut(e, "=")
		if !ok || v == "" || name == "" {
			return nil, usageErr(fmt.Errorf("--env %q: want VAR=NAME", e))
		}
		out = append(out, Binding{v, name})
		explicit[name], conns[name] = true, true
	}
	for _, n := range names {
		conns[n] = true
	}
	seen := map[string]bool{}
	for _, n := range names {
		if explicit[n] || seen[n] {
			continue
		}
		seen[n] = true
		v := "TOKENTOP_TOKEN"
		if len(conns) > 1 {
			v = envName(n) + "_TOKEN"
		}
		out = append(out, Binding{v, n})
	}
	if len(out) == 0 {
		return nil, usageErr(errors.New("exec: name a connection (tokentop exec NAME… -- COMMAND ARGS…)"))
	}
	vars := map[string]string{}
	for _, b := range out {
		if !portableName(b.Var) {
			return nil, usageErr(fmt.Errorf("%s: %q is not a portable environment variable name (letters, digits and _, not starting with a digit): use --env VAR=%s", b.Name, b.Var, b.Name))
		}
		if other, ok := vars[b.Var]; ok {
			return nil, usageErr(fmt.Errorf("%s and %s would both set %s: choose with --env VAR=NAME", other, b.Name, b.Var))
		}
		vars[b.Var] = b.Name
	}
	return out, nil
}

// Connections are the distinct connections of bindings, in order.
func Connections(bindings []Binding) []string {
	var names []string
	seen := map[string]bool{}
	for _, b := range bindings {
		if !seen[b.Name] {
			seen[b.Name] = true
			names = append(names, b.Name)
		}
	}
	return names
}

func envName(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, name)
}

func portableName(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// ExecOptions are the inputs of tokentop exec.
type ExecOptions struct {
	// Service knows every connection the bindings name.
	Service  *flows.Service
	Bindings []Binding
	// MinValid is how long each token must stay valid at the start; when
	// MinValidSet is false, each connection's refresh_before.
	MinValid    time.Duration
	MinValidSet bool
	// Command is the program and its arguments.
	Command []string
	In      io.Reader
	Out     io.Writer
	ErrOut  io.Writer
	// Signals are forwarded to the command while it runs; one that comes
	// before it starts means it is not started.
	Signals <-chan os.Signal
	// Delivered, when set, reports whether a signal has reached the
	// command already, so that forwarding it would make two: ctrl+c and
	// ctrl+\ go from the terminal to its whole foreground process group,
	// the command included.
	Delivered func(os.Signal) bool
}

// ExitStatus is a command that ran (or could not be started) and the
// status tokentop exits with: the command's own, 128+N for a command a
// signal N killed, 127 for a command not found and 126 for one that
// cannot be executed, as shells report them. Err, when not nil, is what to
// print first.
type ExitStatus struct {
	Code int
	Err  error
}

// Error returns Err's text, or "".
func (e *ExitStatus) Error() string {
	if e.Err == nil {
		return ""
	}
	return e.Err.Error()
}

// Unwrap returns Err.
func (e *ExitStatus) Unwrap() error { return e.Err }

// childWaitDelay bounds how long exec waits, after the command has exited,
// for the pipes a process it left behind still holds (only when Out or
// ErrOut is not a file, as in tests): os/exec's WaitDelay.
const childWaitDelay = 2 * time.Second

// RunExec gets every connection's token, then runs the command with them
// in its environment (never in an argument), its standard streams the
// caller's, forwarding the signals it is given, and returns *ExitStatus
// once the command has exited. When a token cannot be had, it prints one
// line per failing connection and starts nothing.
func RunExec(ctx context.Context, opts ExecOptions) error {
	if len(opts.Command) == 0 {
		return usageErr(errors.New("exec: no command given after --"))
	}
	cfg := opts.Service.Config()
	for _, name := range Connections(opts.Bindings) {
		if cfg.Connection(name) == nil {
			_, err := opts.Service.Token(ctx, name, 0) // the usual unknown-connection error
			return failed(err)
		}
	}
	tokens := map[string]string{}
	bad := false
	for _, name := range Connections(opts.Bindings) {
		min := opts.MinValid
		if !opts.MinValidSet {
			min = cfg.Connection(name).RefreshBefore
		}
		tok, err := opts.Service.Token(ctx, name, min)
		switch {
		case err == nil:
		case flows.Usable(err) && tok != nil:
			Warn(opts.ErrOut, err.Error())
		case ctx.Err() != nil:
			return attentionErr(ctx.Err())
		default:
			Report(opts.ErrOut, forPeople(err, name))
			bad = true
			continue
		}
		tokens[name] = tok.AccessToken
	}
	if bad {
		return attentionErr(nil)
	}
	env := childEnv(os.Environ(), opts.Bindings, tokens)
	return runChild(ctx, opts, env)
}

// childEnv is environ without the variables the bindings set, then each
// binding's variable with its token.
func childEnv(environ []string, bindings []Binding, tokens map[string]string) []string {
	set := map[string]bool{}
	for _, b := range bindings {
		set[b.Var] = true
	}
	env := make([]string, 0, len(environ)+len(bindings))
	for _, kv := range environ {
		if k, _, _ := strings.Cut(kv, "="); !set[k] {
			env = append(env, kv)
		}
	}
	for _, b := range bindings {
		env = append(env, b.Var+"="+tokens[b.Name])
	}
	return env
}

// runChild starts the command and waits for it. Its life is its own: no
// context kills it. A signal tokentop receives (ctrl+c, kill, the
// terminal closing) is passed on, and the command decides; tokentop
// exits when it has, with its status. So exec.Command rather than
// CommandContext: the cancellation that ends tokentop's other commands is
// what must not reach this one.
func runChild(ctx context.Context, opts ExecOptions, env []string) error {
	select {
	case sig := <-opts.Signals:
		return &ExitStatus{Code: signalCode(sig)}
	default:
	}
	if ctx.Err() != nil {
		return attentionErr(ctx.Err())
	}
	name := opts.Command[0]
	cmd := exec.Command(name, opts.Command[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = opts.In, opts.Out, opts.ErrOut
	cmd.WaitDelay = childWaitDelay
	if err := cmd.Start(); err != nil {
		return startFailure(name, err)
	}
	done := make(chan struct{})
	forwarded := make(chan struct{})
	go func() {
		defer close(forwarded)
		for {
			select {
			case sig := <-opts.Signals:
				if opts.Delivered == nil || !opts.Delivered(sig) {
					_ = cmd.Process.Signal(sig)
				}
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	<-forwarded
	code := 0
	if cmd.ProcessState != nil {
		ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
		switch {
		case ws.Signaled():
			code = 128 + int(ws.Signal())
		default:
			code = ws.ExitStatus()
		}
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		// The command exited, but its output could not all be passed on.
		return &ExitStatus{Code: code, Err: fmt.Errorf("exec: %s: %w", name, err)}
	}
	return &ExitStatus{Code: code}
}

// startFailure is the status of a command that could not start: 127 when
// there is no such command, 126 when it cannot be executed, as shells
// say it.
func startFailure(name string, err error) error {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, exec.ErrDot) {
		return &ExitStatus{Code: 127, Err: fmt.Errorf("exec: %s: command not found", name)}
	}
	cause := err
	var pe *fs.PathError
	if errors.As(err, &pe) {
		cause = pe.Err
	}
	return &ExitStatus{Code: 126, Err: fmt.Errorf("exec: %s: cannot execute: %w", name, cause)}
}

func signalCode(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}
