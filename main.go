// Command tokentop is a terminal dashboard for API account connections: it
// lists every configured connection, counts down to each token's expiry,
// runs sign-in flows, keeps token state in a local bbolt file and hands out
// fresh bearer tokens to people and scripts.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/cli/browser"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/flows/oauth"
	"tokentop/flows/providertest"
	"tokentop/flows/redact"
	"tokentop/flows/secret"
	"tokentop/store"
	"tokentop/ui"
)

// Exit statuses: scripts rely on them.
const (
	exitOK        = 0
	exitAttention = 1 // a connection needs a person, or the command failed
	exitUsage     = 2 // bad flags or a bad config file
	// exitSignal plus a signal's number is the status when a signal ends
	// a command (129 SIGHUP, 130 SIGINT, 131 SIGQUIT, 143 SIGTERM), as
	// shells report a process a signal killed.
	exitSignal = 128
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func main() {
	// xdg-open's chatter must not reach a script's stdout or the dashboard's
	// screen; OpenURL's error says what matters.
	browser.Stdout, browser.Stderr = io.Discard, io.Discard
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// exitError carries an exit status through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

func usageErr(err error) error     { return &exitError{exitUsage, err} }
func attentionErr(err error) error { return &exitError{exitAttention, err} }

// app holds what the commands share: flags, and the pieces built from them.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	configPath string
	// only names the one connection a command needs (token, header): the
	// config's other connections are not even parsed.
	only      string
	statePath string
	logPath   string
	demo      bool

	// openURLFallback is tried when no browser opens (the demo's fake browser).
	openURLFallback func(string) error

	// storeWarnings are the state file's warnings (a damaged file moved
	// aside), for the dashboard to show too.
	storeWarnings []string

	cfg     *flows.Config
	db      *store.DB
	svc     *flows.Service
	logFile *os.File
	cleanup []func()
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	defer a.close()
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	// ctrl+c, kill and a closed terminal stop what has not been sent yet;
	// a renewal already on the wire is finished and saved (drain) first.
	ctx, caught := catchSignals(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	err := root.ExecuteContext(ctx)
	a.drain()
	if sig := caught(); sig != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			err = ee.err
		}
		if err != nil && !errors.Is(err, context.Canceled) && err.Error() != "" {
			fmt.Fprintln(stderr, "tokentop: "+oneLine(err.Error()))
		}
		return signalStatus(sig)
	}
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(stderr, "tokentop: "+oneLine(ee.err.Error()))
			// A secret command's own words, for this terminal only: they
			// are never in the error, which the state file keeps.
			if said := secret.Stderr(ee.err); said != "" {
				fmt.Fprintln(stderr, "tokentop: the secret command said: "+said)
			}
		}
		return ee.code
	}
	// Cobra's own errors: unknown command or flag, wrong arguments.
	fmt.Fprintln(stderr, "tokentop: "+oneLine(err.Error()))
	return exitUsage
}

// drain waits for the renewals already sent to be answered and saved, so
// that exiting never drops a rotated refresh token on its way.
func (a *app) drain() {
	if a.svc == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), flows.DefaultRenewalDeadline+5*time.Second)
	defer cancel()
	if !a.svc.Drain(ctx, func() { fmt.Fprintln(a.stderr, "tokentop: finishing the renewal already sent…") }) {
		fmt.Fprintln(a.stderr, "tokentop: gave up waiting for the renewal already sent; its answer may be lost")
	}
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

func (a *app) close() {
	for i := len(a.cleanup) - 1; i >= 0; i-- {
		a.cleanup[i]()
	}
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "tokentop",
		Short: "A terminal dashboard for API account connections and their tokens",
		Long: `tokentop lists every configured API connection, counts down to each token's
expiry, runs sign-in flows, and hands out fresh bearer tokens.

Run it without a command to open the dashboard; "tokentop --demo" opens it
against built-in fake providers.`,
		Version:       buildVersion(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE:          a.runDashboard,
	}
	root.SetVersionTemplate("tokentop {{.Version}}\n")
	pf := root.PersistentFlags()
	pf.StringVar(&a.configPath, "config", "", "config file (default $TOKENTOP_CONFIG or $XDG_CONFIG_HOME/tokentop/config.toml)")
	pf.StringVar(&a.statePath, "state", "", "state file (default $TOKENTOP_STATE or $XDG_STATE_HOME/tokentop/tokentop.db)")
	pf.StringVar(&a.logPath, "log", os.Getenv("TOKENTOP_LOG"), "write a debug log to this file (secrets redacted)")
	root.Flags().BoolVar(&a.demo, "demo", false, "open the dashboard against built-in loopback providers")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })

	root.AddCommand(a.statusCmd(), a.tokenCmd(), a.headerCmd(), a.loginCmd(), a.logoutCmd(), a.checkCmd(), a.configCmd())
	return root
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// loadConfig reads the config file named by --config, $TOKENTOP_CONFIG or
// the XDG default.
func (a *app) loadConfig() (*flows.Config, error) {
	if a.cfg != nil {
		return a.cfg, nil
	}
	path := a.configPath
	if path == "" {
		p, err := config.DefaultPath()
		if err != nil {
			return nil, usageErr(err)
		}
		path = p
	}
	var cfg *flows.Config
	var err error
	if a.only != "" {
		cfg, err = config.LoadFor(path, a.only)
	} else {
		cfg, err = config.Load(path)
	}
	if err != nil {
		return nil, usageErr(err)
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(a.stderr, "tokentop: warning: "+redact.Sanitize(w))
	}
	a.cfg = cfg
	return cfg, nil
}

// service builds the Service on the state file, with the debug log.
func (a *app) service() (*flows.Service, error) {
	if a.svc != nil {
		return a.svc, nil
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return nil, err
	}
	path := a.statePath
	if path == "" {
		if path, err = store.DefaultPath(); err != nil {
			return nil, usageErr(err)
		}
	}
	red := redact.New()
	logger, err := a.logger(red)
	if err != nil {
		return nil, usageErr(err)
	}
	db, err := store.Open(path, store.Options{Logger: logger})
	if err != nil {
		return nil, attentionErr(err)
	}
	for _, w := range db.Warnings() {
		fmt.Fprintln(a.stderr, "tokentop: warning: "+redact.Sanitize(w))
	}
	a.storeWarnings = db.Warnings()
	a.db = db
	a.svc = flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: db, Logger: logger, Redactor: red})
	return a.svc, nil
}

// logger returns the debug logger: a file when --log is given, else nothing.
// Every record passes through the redactor.
func (a *app) logger(red *redact.Redactor) (*slog.Logger, error) {
	if a.logPath == "" {
		return slog.New(slog.DiscardHandler), nil
	}
	f, err := os.OpenFile(a.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the log file: %w", err)
	}
	a.cleanup = append(a.cleanup, func() { f.Close() })
	h := slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug})
	return slog.New(red.Handler(h)), nil
}

// connArg completes connection names in shells.
func (a *app) connArg(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	cfg, err := a.loadConfig()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	for _, c := range cfg.Connections {
		names = append(names, c.Name+"\t"+string(c.Provider)+" "+string(c.Flow))
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

func (a *app) tokenCmd() *cobra.Command {
	return a.bearerCmd("token NAME", "Print a fresh access token of a connection",
		"Print only the access token and a newline, renewing it first without a person when less than --min-valid is left.",
		func(tok string) string { return tok })
}

func (a *app) headerCmd() *cobra.Command {
	return a.bearerCmd("header NAME", "Print an Authorization header with a fresh bearer token",
		"Print \"Authorization: Bearer <token>\" and a newline, renewing the token first without a person when less than --min-valid is left.",
		func(tok string) string { return "Authorization: Bearer " + tok })
}

// bearerCmd is a command that prints a fresh token of one connection, as
// format renders it: the path scripts take.
func (a *app) bearerCmd(use, short, long string, format func(string) string) *cobra.Command {
	var minValid time.Duration
	cmd := &cobra.Command{
		Use:               use,
		Short:             short,
		Long:              long,
		Args:              exactArgs(1),
		ValidArgsFunction: a.connArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			tok, err := a.freshToken(cmd.Context(), args[0], minValid)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, format(tok.AccessToken))
			return nil
		},
	}
	cmd.Flags().DurationVar(&minValid, "min-valid", 5*time.Minute, "renew first when less than this is left")
	return cmd
}

// freshToken is the path scripts take: no work for any other connection.
func (a *app) freshToken(ctx context.Context, name string, minValid time.Duration) (*flows.Token, error) {
	a.only = name
	svc, err := a.service()
	if err != nil {
		return nil, err
	}
	tok, err := svc.Token(ctx, name, minValid)
	switch {
	case err == nil:
		return tok, nil
	case flows.Usable(err) && tok != nil:
		fmt.Fprintln(a.stderr, "tokentop: warning: "+redact.Sanitize(err.Error()))
		return tok, nil
	case errors.Is(err, flows.ErrUnknownConnection):
		return nil, usageErr(err)
	case errors.Is(err, flows.ErrSignInRequired):
		// The cause says which happened: a refusal by the provider, a
		// request sent and never answered, a changed token_url.
		msg := err.Error()
		if !strings.Contains(msg, "tokentop login") {
			msg += ": run tokentop login " + name
		}
		return nil, attentionErr(errors.New(msg))
	}
	return nil, attentionErr(err)
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageErr(fmt.Errorf("%s: %w (usage: %s)", cmd.Name(), err, cmd.UseLine()))
		}
		return nil
	}
}

// statusRow is one line of tokentop status, and its JSON form.
type statusRow struct {
	Name      string     `json:"name"`
	Provider  string     `json:"provider"`
	Flow      string     `json:"flow"`
	State     string     `json:"state"`
	Attention bool       `json:"needs_attention"`
	Reason    string     `json:"reason,omitempty"`
	Left      string     `json:"time_left"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	LastCheck string     `json:"last_check,omitempty"`
}

func (a *app) statusCmd() *cobra.Command {
	var asJSON, check bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show every connection's state (exit 1 when any needs attention)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := a.service()
			if err != nil {
				return err
			}
			if check {
				a.checkAll(cmd.Context(), svc, svc.Config().Names(), false)
			}
			rows, attention, err := a.statusRows(svc)
			if err != nil {
				return attentionErr(err)
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rows); err != nil {
					return err
				}
			} else {
				printStatus(a.stdout, rows)
			}
			if attention {
				return &exitError{exitAttention, nil}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&check, "check", false, "run every health check first")
	return cmd
}

func (a *app) statusRows(svc *flows.Service) ([]statusRow, bool, error) {
	states, _, err := svc.Changed(0)
	if err != nil {
		return nil, false, err
	}
	now := svc.Now()
	attention := false
	rows := make([]statusRow, 0, len(svc.Config().Connections))
	for _, c := range svc.Config().Connections {
		st := states[c.Name]
		as := flows.Assess(c, st, now)
		r := statusRow{
			Name: c.Name, Provider: string(c.Provider), Flow: string(c.Flow),
			State: as.Condition.String(), Attention: as.Condition.NeedsAttention(),
			Reason: redact.Sanitize(as.Reason), Left: flows.TimeLeft(st.Token, now),
		}
		if st.Token == nil && c.Renewable(st) {
			r.Left = "no token yet"
		}
		if st.Token != nil && st.Token.HasExpiry() {
			e := st.Token.Expiry
			r.ExpiresAt = &e
		}
		if lc := st.LastCheck; lc != nil {
			r.LastCheck = describeCheck(lc, now)
		}
		attention = attention || r.Attention
		rows = append(rows, r)
	}
	return rows, attention, nil
}

func describeCheck(c *flows.Check, now time.Time) string {
	ago := flows.Countdown(now.Sub(c.At)) + " ago"
	if c.Status == 0 {
		return "failed · " + ago
	}
	return fmt.Sprintf("%d · %d ms · %s", c.Status, c.Latency.Milliseconds(), ago)
}

func printStatus(w io.Writer, rows []statusRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPROVIDER\tFLOW\tSTATE\tTIME LEFT\tLAST CHECK")
	for _, r := range rows {
		state := r.State
		if r.Attention && r.Reason != "" {
			state += ": " + r.Reason
		}
		lc := r.LastCheck
		if lc == "" {
			lc = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Provider, r.Flow, state, r.Left, lc)
	}
	tw.Flush()
}

func (a *app) checkCmd() *cobra.Command {
	return &cobra.Command{
		Use:               "check [NAME...]",
		Short:             "Run health checks (all connections when none is named)",
		ValidArgsFunction: a.connArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := a.service()
			if err != nil {
				return err
			}
			names := args
			if len(names) == 0 {
				names = svc.Config().Names()
			}
			for _, n := range names {
				if svc.Config().Connection(n) == nil {
					return usageErr(fmt.Errorf("%s: %w", n, flows.ErrUnknownConnection))
				}
			}
			if failed := a.checkAll(cmd.Context(), svc, names, true); failed > 0 {
				return &exitError{exitAttention, nil}
			}
			return nil
		},
	}
}

// checkAll runs health checks, a few at a time, and returns how many failed.
func (a *app) checkAll(ctx context.Context, svc *flows.Service, names []string, print bool) int {
	type result struct {
		chk *flows.Check
		err error
	}
	results := make([]result, len(names))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			chk, err := svc.Check(ctx, n)
			results[i] = result{chk, err}
		}()
	}
	wg.Wait()
	failed := 0
	for i, r := range results {
		switch {
		case r.err != nil:
			failed++
			if print {
				fmt.Fprintln(a.stdout, redact.Sanitize(r.err.Error()))
			}
		case !r.chk.OK():
			failed++
			if print {
				fmt.Fprintf(a.stdout, "%s: HTTP %d · %d ms %s\n", names[i], r.chk.Status, r.chk.Latency.Milliseconds(), redact.Sanitize(r.chk.Err))
			}
		default:
			if print {
				fmt.Fprintf(a.stdout, "%s: HTTP %d · %d ms\n", names[i], r.chk.Status, r.chk.Latency.Milliseconds())
			}
		}
	}
	return failed
}

func (a *app) logoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:               "logout NAME",
		Short:             "Revoke (where the provider can) and forget a connection's tokens",
		Args:              exactArgs(1),
		ValidArgsFunction: a.connArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := a.service()
			if err != nil {
				return err
			}
			if err := svc.Logout(cmd.Context(), args[0]); err != nil {
				if errors.Is(err, flows.ErrUnknownConnection) {
					return usageErr(err)
				}
				return attentionErr(err)
			}
			fmt.Fprintf(a.stderr, "%s: signed out; tokens forgotten\n", args[0])
			return nil
		},
	}
}

func (a *app) configCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Inspect the configuration"}
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Validate the config file (exit 2 on an error)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s: %d connections, ok\n", cfg.Path, len(cfg.Connections))
			return nil
		},
	})
	return cmd
}

func (a *app) loginCmd() *cobra.Command {
	var noBrowser, passwordStdin, refreshStdin bool
	cmd := &cobra.Command{
		Use:               "login NAME",
		Short:             "Sign in to a connection in this terminal",
		Args:              exactArgs(1),
		ValidArgsFunction: a.connArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := a.service()
			if err != nil {
				return err
			}
			name := args[0]
			ctx := cmd.Context()
			if refreshStdin {
				rt, err := readLine(a.stdin)
				if err != nil {
					return usageErr(fmt.Errorf("%s: reading the refresh token from standard input: %w", name, err))
				}
				if _, err := svc.SeedRefreshToken(ctx, name, rt); err != nil {
					return loginErr(err)
				}
				fmt.Fprintf(a.stderr, "%s: signed in\n", name)
				return nil
			}
			p, err := svc.BeginLogin(ctx, name)
			if err != nil {
				return loginErr(err)
			}
			defer p.Cancel()
			if err := a.present(ctx, name, p, noBrowser, passwordStdin); err != nil {
				return err
			}
			tok, err := p.Wait(ctx)
			if err != nil && tok == nil {
				return loginErr(err)
			}
			left := "no expiry"
			if tok.HasExpiry() {
				left = "valid for " + flows.Countdown(tok.Expiry.Sub(svc.Now()))
			}
			fmt.Fprintf(a.stderr, "%s: signed in (%s)\n", name, left)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&noBrowser, "no-browser", false, "print the sign-in URL instead of opening a browser")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input")
	f.BoolVar(&refreshStdin, "refresh-token-stdin", false, "sign in with a refresh token read from standard input")
	return cmd
}

func loginErr(err error) error {
	if errors.Is(err, flows.ErrUnknownConnection) {
		return usageErr(err)
	}
	return attentionErr(err)
}

// present shows a pending sign-in in the terminal: the URL (and opens the
// browser), a password prompt without echo, or the device code.
func (a *app) present(ctx context.Context, name string, p flows.Pending, noBrowser, passwordStdin bool) error {
	switch p.Kind() {
	case flows.LoginBrowser:
		fmt.Fprintf(a.stderr, "%s: open this URL to sign in:\n\n  %s\n\n", name, p.URL())
		if !noBrowser {
			if err := browser.OpenURL(p.URL()); err != nil {
				fmt.Fprintln(a.stderr, "(could not open a browser; open the URL yourself)")
			}
		}
		fmt.Fprintln(a.stderr, "Waiting for the browser to come back. If it runs on another machine, paste the URL it ends on here and press enter.")
		go a.readPastes(p)
	case flows.LoginPassword:
		pw, err := a.readPassword(name, p.Username(), passwordStdin)
		if err != nil {
			return usageErr(err)
		}
		if err := p.SubmitPassword(pw); err != nil {
			return usageErr(fmt.Errorf("%s: %w", name, err))
		}
	case flows.LoginDevice:
		fmt.Fprintf(a.stderr, "%s: enter the code %s at %s\n", name, p.UserCode(), p.URL())
		if !noBrowser {
			_ = browser.OpenURL(p.URL())
		}
	}
	return nil
}

// readPastes hands every line typed on standard input to the sign-in as a
// pasted redirect URL; a refused one is explained and the wait goes on.
func (a *app) readPastes(p flows.Pending) {
	sc := bufio.NewScanner(a.stdin)
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if err := p.Paste(line); err != nil {
			fmt.Fprintln(a.stderr, "tokentop: "+redact.Sanitize(err.Error()))
		}
	}
}

func (a *app) readPassword(name, username string, fromStdin bool) (string, error) {
	if fromStdin {
		pw, err := readLine(a.stdin)
		if err != nil {
			return "", fmt.Errorf("%s: reading the password from standard input: %w", name, err)
		}
		return pw, nil
	}
	f, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", fmt.Errorf("%s: no terminal to ask for the password: use --password-stdin", name)
	}
	fmt.Fprintf(a.stderr, "Password for %s (%s): ", username, name)
	b, sig, err := readPasswordOrSignal(int(f.Fd()))
	fmt.Fprintln(a.stderr)
	if sig != nil {
		// ctrl+c, kill or the terminal closing: echo is back on. The
		// process ends by the signal once run has printed the error and
		// cleaned up: first in the list, this runs last.
		a.cleanup = append([]func(){func() { exitBySignal(sig) }}, a.cleanup...)
		return "", fmt.Errorf("%s: sign-in interrupted", name)
	}
	if err != nil {
		return "", fmt.Errorf("%s: reading the password: %w", name, err)
	}
	return string(b), nil
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

// runDashboard opens the dashboard, or the demo. SIGHUP (the terminal
// closing), SIGTERM, SIGINT and SIGQUIT end it as q does: the program
// quits and restores the terminal, run's clean-up removes the demo's
// directory, and the exit status is signalStatus.
func (a *app) runDashboard(cmd *cobra.Command, _ []string) (err error) {
	ctx, caught := catchSignals(cmd.Context(), endSignals...)
	defer func() {
		if sig := caught(); sig != nil {
			err = &exitError{signalStatus(sig), nil}
		}
	}()
	if a.demo {
		if err := a.setUpDemo(); err != nil {
			return attentionErr(err)
		}
	}
	opts := ui.Options{Demo: a.demo, OpenURL: a.openURL}
	svc, err := a.service()
	if err != nil {
		// The dashboard shows a missing or broken config itself.
		opts.ConfigErr = err
		opts.ConfigPath = a.configPath
		if opts.ConfigPath == "" {
			opts.ConfigPath, _ = config.DefaultPath()
		}
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitUsage {
			return err
		}
		if !term.IsTerminal(int(os.Stdout.Fd())) {
			return err
		}
		return ui.Run(ctx, nil, opts)
	}
	if !term.IsTerminal(int(os.Stdout.Fd())) {
		// Not a terminal: print what the dashboard would show.
		rows, attention, err := a.statusRows(svc)
		if err != nil {
			return attentionErr(err)
		}
		printStatus(a.stdout, rows)
		if attention {
			return &exitError{exitAttention, nil}
		}
		return nil
	}
	opts.Warnings = a.storeWarnings
	return ui.Run(ctx, svc, opts)
}

func (a *app) openURL(u string) error {
	err := browser.OpenURL(u)
	if err != nil && a.openURLFallback != nil {
		return a.openURLFallback(u)
	}
	return err
}

// setUpDemo starts the fake providers on loopback, writes a demo config and
// an empty state file in a temporary directory, and points tokentop at them.
// Everything is removed on exit; the user's own files are never touched.
func (a *app) setUpDemo() error {
	dir, err := os.MkdirTemp("", "tokentop-demo-")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	a.cleanup = append(a.cleanup, func() { os.RemoveAll(dir) })
	srv, err := providertest.Listen(providertest.NewDemo())
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	a.cleanup = append(a.cleanup, srv.Close)
	cfgPath := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(providertest.DemoConfig(srv)), 0o600); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	a.configPath = cfgPath
	a.statePath = filepath.Join(dir, "tokentop.db")
	// Without a real browser, the demo's own fake browser approves sign-ins.
	a.openURLFallback = func(u string) error {
		return providertest.Browse(context.Background(), u)
	}
	return nil
}
