// Package cli is tokentop's command line: an options struct and a run
// function per command, printing tables, tokens and sign-in prompts as
// plain text for people and scripts.
package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"tokentop/flows"
	"tokentop/flows/redact"
	"tokentop/flows/secret"
)

// Kind is what a failed command asks its caller to report in the exit
// status.
type Kind int

const (
	// Attention is a command that failed, or that found a connection a
	// person must look at.
	Attention Kind = iota + 1
	// Usage is a command given wrong flags or arguments, an unknown
	// connection or a bad config file: the person must change the command
	// or the file.
	Usage
)

// Error is a failed command: its Kind, and Err, the cause to print; Err is
// nil when the command has already said everything (status, when a
// connection needs attention).
type Error struct {
	Kind Kind
	Err  error
}

// Error returns Err's text, or "" when there is nothing to print.
func (e *Error) Error() string {
	if e.Err == nil {
		return ""
	}
	return e.Err.Error()
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

func usageErr(err error) error     { return &Error{Usage, err} }
func attentionErr(err error) error { return &Error{Attention, err} }

// failed is err as a command's failure: naming a connection the config
// does not have is a usage error, anything else needs attention.
func failed(err error) error {
	if errors.Is(err, flows.ErrUnknownConnection) {
		return usageErr(err)
	}
	return attentionErr(err)
}

// Report writes err to w for a person: "tokentop: " and its text, the
// lines of a multi-error indented under the first, nothing but printable
// text; then what a secret command said on its standard error, which the
// error never holds since the state file keeps errors. An error without
// text prints nothing.
func Report(w io.Writer, err error) {
	if err == nil || err.Error() == "" {
		return
	}
	fmt.Fprintln(w, "tokentop: "+oneLine(err.Error()))
	if said := secret.Stderr(err); said != "" {
		fmt.Fprintln(w, "tokentop: the secret command said: "+said)
	}
}

// Warn writes a warning to w: a problem that does not stop the command.
func Warn(w io.Writer, msg string) {
	fmt.Fprintln(w, "tokentop: warning: "+redact.Sanitize(msg))
}

// oneLine keeps multi-error messages readable while guaranteeing nothing
// outside printable text reaches the terminal.
func oneLine(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = redact.Sanitize(l)
	}
	return strings.Join(lines, "\n  ")
}

// signInHint is the command line's sentence for a connection that only a
// person can sign in again: msg, then "run tokentop login NAME". The domain
// states the facts; what to type is said here alone, unless the domain's
// text already says it (it still does in places).
func signInHint(msg, name string) string {
	switch {
	case strings.Contains(msg, "tokentop login"):
		return msg
	case msg == "":
		return "run tokentop login " + name
	}
	return msg + ": run tokentop login " + name
}

// forPeople wraps a failure of connection name with what to do about it,
// when a person must sign in again; the cause stays in the chain.
func forPeople(err error, name string) error {
	if !errors.Is(err, flows.ErrSignInRequired) || strings.Contains(err.Error(), "tokentop login") {
		return err
	}
	return fmt.Errorf("%w: run tokentop login %s", err, name)
}

// known fails with a usage error naming the first of names that is not a
// configured connection, with the nearest configured name when one is
// near: the Service's own error, so every command says it alike.
func known(svc *flows.Service, names []string) error {
	for _, n := range names {
		if svc.Config().Connection(n) == nil {
			_, err := svc.State(n)
			return usageErr(err)
		}
	}
	return nil
}

// MissingConfig adds what to run to err when it says that the config file
// at path does not exist: a new user's first command meets it.
func MissingConfig(err error, path string) error {
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != path || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return fmt.Errorf("%w: run tokentop config init to write a starter file, or tokentop --demo to look around with fake providers", err)
}

// handOut is the connection a command hands a token out for, and where
// its warnings go.
type handOut struct {
	errOut io.Writer
	name   string
}

// usable separates a token that may be handed out from a failure: a usable
// token that came with a warning (not saved, or kept because renewing was
// not safe) is returned after the warning is printed; any other error
// becomes the command's failure, with what to run added. A sign-in
// required says its cause (a refusal by the provider, a request sent and
// never answered, a changed token_url).
func (h handOut) usable(tok *flows.Token, err error) (*flows.Token, error) {
	switch {
	case err == nil:
		return tok, nil
	case flows.Usable(err) && tok != nil:
		Warn(h.errOut, err.Error())
		return tok, nil
	}
	return nil, failed(forPeople(err, h.name))
}
