package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"tokentop/flows"
	"tokentop/flows/redact"
)

// LoginOptions are the inputs of tokentop login.
type LoginOptions struct {
	Service *flows.Service
	Name    string
	// In gives a password or a refresh token (PasswordStdin,
	// RefreshTokenStdin), or the redirect URLs a person pastes from a
	// browser on another machine.
	In     io.Reader
	ErrOut io.Writer
	// NoBrowser prints the sign-in URL without opening a browser.
	NoBrowser bool
	// PasswordStdin reads the password from In instead of asking.
	PasswordStdin bool
	// RefreshTokenStdin signs in with a refresh token read from In.
	RefreshTokenStdin bool
	// OpenURL opens a URL in the person's browser.
	OpenURL func(url string) error
	// Password shows prompt and reads a password from the terminal without
	// echo. Its errors are worded for people; the connection's name is put
	// before them.
	Password func(prompt string) (string, error)
}

// RunLogin signs a connection in in this terminal, presenting the sign-in
// its way: the URL to open (and a browser), a password prompt, or the
// device code. It says on ErrOut when the connection is signed in.
func RunLogin(ctx context.Context, opts LoginOptions) error {
	svc, name := opts.Service, opts.Name
	if opts.RefreshTokenStdin {
		rt, err := readLine(opts.In)
		if err != nil {
			return usageErr(fmt.Errorf("%s: reading the refresh token from standard input: %w", name, err))
		}
		if _, err := svc.SeedRefreshToken(ctx, name, rt); err != nil {
			return failed(err)
		}
		fmt.Fprintf(opts.ErrOut, "%s: signed in\n", name)
		return nil
	}
	p, err := svc.BeginLogin(ctx, name)
	if err != nil {
		return failed(err)
	}
	defer p.Cancel()
	if err := present(opts, p); err != nil {
		return err
	}
	tok, err := p.Wait(ctx)
	if err != nil && tok == nil {
		return failed(err)
	}
	left := "no expiry"
	if tok.HasExpiry() {
		left = "valid for " + flows.Countdown(tok.Expiry.Sub(svc.Now()))
	}
	fmt.Fprintf(opts.ErrOut, "%s: signed in (%s)\n", name, left)
	return nil
}

// present shows a pending sign-in in the terminal: the URL (and opens the
// browser), a password prompt without echo, or the device code.
func present(opts LoginOptions, p flows.Pending) error {
	name := opts.Name
	switch p := p.(type) {
	case flows.BrowserSignIn:
		fmt.Fprintf(opts.ErrOut, "%s: open this URL to sign in:\n\n  %s\n\n", name, p.URL())
		if !opts.NoBrowser {
			if err := opts.OpenURL(p.URL()); err != nil {
				fmt.Fprintln(opts.ErrOut, "(could not open a browser; open the URL yourself)")
			}
		}
		fmt.Fprintln(opts.ErrOut, "Waiting for the browser to come back. If it runs on another machine, paste the URL it ends on here and press enter.")
		go readPastes(opts.In, opts.ErrOut, p)
	case flows.PasswordSignIn:
		pw, err := readPassword(opts, p.Username())
		if err != nil {
			return usageErr(err)
		}
		if err := p.SubmitPassword(pw); err != nil {
			return usageErr(fmt.Errorf("%s: %w", name, err))
		}
	case flows.DeviceSignIn:
		fmt.Fprintf(opts.ErrOut, "%s: enter the code %s at %s\n", name, p.UserCode(), p.URL())
		if !opts.NoBrowser {
			_ = opts.OpenURL(p.URL())
		}
	}
	return nil
}

// readPastes hands every line of in to the sign-in as a pasted redirect
// URL; a refused one is explained on errOut and the wait goes on.
func readPastes(in io.Reader, errOut io.Writer, p flows.BrowserSignIn) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if err := p.Paste(line); err != nil {
			fmt.Fprintln(errOut, "tokentop: "+redact.Sanitize(err.Error()))
		}
	}
}

// readPassword gets the password of username: from In with
// PasswordStdin, else from the terminal prompt.
func readPassword(opts LoginOptions, username string) (string, error) {
	if opts.PasswordStdin {
		pw, err := readLine(opts.In)
		if err != nil {
			return "", fmt.Errorf("%s: reading the password from standard input: %w", opts.Name, err)
		}
		return pw, nil
	}
	pw, err := opts.Password(fmt.Sprintf("Password for %s (%s): ", username, opts.Name))
	if err != nil {
		return "", fmt.Errorf("%s: %w", opts.Name, err)
	}
	return pw, nil
}

// readLine reads one line, without its line ending.
func readLine(r io.Reader) (string, error) {
	br := bufio.NewReaderSize(r, 4096)
	line, err := br.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", errors.New("nothing was given")
		}
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("nothing was given")
	}
	return line, nil
}

// LogoutOptions are the inputs of tokentop logout.
type LogoutOptions struct {
	Service *flows.Service
	Name    string
	ErrOut  io.Writer
}

// RunLogout revokes the connection's tokens where the provider can, forgets
// them, and says so on ErrOut.
func RunLogout(ctx context.Context, opts LogoutOptions) error {
	if err := opts.Service.Logout(ctx, opts.Name); err != nil {
		return failed(err)
	}
	fmt.Fprintf(opts.ErrOut, "%s: signed out; tokens forgotten\n", opts.Name)
	return nil
}
