// Command tokentop is a terminal dashboard for API account connections: it
// lists every configured connection, counts down to each token's expiry,
// runs sign-in flows, keeps token state in a local bbolt file and hands out
// fresh bearer tokens to people and scripts.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/cli/browser"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/flows/oauth"
	"tokentop/flows/redact"
	"tokentop/store"
	uicli "tokentop/ui/cli" // main_test.go has a type cli
)

// Exit statuses: scripts rely on them.
const (
	exitOK        = 0
	exitAttention = 1 // a connection needs a person, or the command failed (uicli.Attention)
	exitUsage     = 2 // bad flags or a bad config file (uicli.Usage)
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

func usageErr(err error) error     { return &uicli.Error{Kind: uicli.Usage, Err: err} }
func attentionErr(err error) error { return &uicli.Error{Kind: uicli.Attention, Err: err} }

// signalledError is the dashboard ended by a signal: run exits with the
// signal's status.
type signalledError struct{ sig os.Signal }

func (*signalledError) Error() string { return "" }

// app holds what the commands share: flags, and the pieces built from them.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	configPath string
	statePath  string
	logPath    string
	demo       bool

	// openURLFallback is tried when no browser opens (the demo's fake browser).
	openURLFallback func(string) error

	// storeWarnings are the state file's warnings (a damaged file moved
	// aside), for the dashboard to show too.
	storeWarnings []string
	// plainText is set when the state file keeps tokens unsealed.
	plainText bool

	svc     *flows.Service
	cleanup []func()

	// team is the config file's [team] table (nil without one); local is
	// the state file and teamStore the team's store once opened
	// (main_team.go).
	team      *config.Team
	local     *store.DB
	teamStore flows.Store
	// live is the dashboard's set of team connections, which a reload of
	// the config changes (main_teamlive.go); nil elsewhere.
	live *teamSet
	// split is set once the Service's store is a store.Split.
	split bool
	log   *slog.Logger
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
	var failure *uicli.Error
	var signalled *signalledError
	var exited *uicli.ExitStatus
	switch sig := caught(); {
	case errors.As(err, &exited):
		// tokentop exec: the command's status, even when a signal came
		// (it was forwarded, and the command chose how to end).
		uicli.Report(stderr, exited.Err)
		return exited.Code
	case sig != nil:
		if errors.As(err, &failure) {
			err = failure.Err
		}
		if !errors.Is(err, context.Canceled) {
			uicli.Report(stderr, err)
		}
		return signalStatus(sig)
	case err == nil:
		return exitOK
	case errors.As(err, &signalled):
		return signalStatus(signalled.sig)
	case errors.As(err, &failure):
		uicli.Report(stderr, failure.Err)
		if failure.Kind == uicli.Usage {
			return exitUsage
		}
		return exitAttention
	}
	// Cobra's own errors: unknown command or flag, wrong arguments.
	uicli.Report(stderr, err)
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

func (a *app) close() {
	for i := len(a.cleanup) - 1; i >= 0; i-- {
		a.cleanup[i]()
	}
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

// A loader reads the config file at path and its [team] table: all for
// every connection, only(name) for one.
type loader func(path string) (*flows.Config, *config.Team, error)

// all loads every connection (config.LoadTeam).
var all loader = config.LoadTeam

// only loads connection name alone (config.LoadTeamFor): the path scripts
// take costs the same with one connection configured or a thousand.
func only(name string) loader {
	return func(path string) (*flows.Config, *config.Team, error) { return config.LoadTeamFor(path, name) }
}

// configFile is the config file's path: --config, $TOKENTOP_CONFIG or the
// XDG default.
func (a *app) configFile() (string, error) {
	if a.configPath != "" {
		return a.configPath, nil
	}
	p, err := config.DefaultPath()
	if err != nil {
		return "", usageErr(err)
	}
	return p, nil
}

// loadConfig reads the config file with load, and prints its warnings.
func (a *app) loadConfig(load loader) (*flows.Config, error) {
	path, err := a.configFile()
	if err != nil {
		return nil, err
	}
	cfg, team, err := load(path)
	if err != nil {
		return nil, usageErr(uicli.MissingConfig(err, path))
	}
	a.team = team
	for _, w := range cfg.Warnings {
		uicli.Warn(a.stderr, w)
	}
	return cfg, nil
}

// service builds the Service on the config as load reads it and on the
// state file, with the debug log.
func (a *app) service(load loader) (*flows.Service, error) {
	cfg, err := a.loadConfig(load)
	if err != nil {
		return nil, err
	}
	return a.openService(cfg)
}

// openService opens the state file and builds the Service of cfg on it.
func (a *app) openService(cfg *flows.Config) (*flows.Service, error) {
	path := a.statePath
	if path == "" {
		var err error
		if path, err = store.DefaultPath(); err != nil {
			return nil, usageErr(err)
		}
	}
	red := redact.New()
	logger, err := a.logger(red)
	if err != nil {
		return nil, usageErr(err)
	}
	opts, err := withEncryption(store.Options{Logger: logger}, cfg, path)
	if err != nil {
		return nil, usageErr(err)
	}
	db, err := store.Open(path, opts)
	if err != nil {
		return nil, attentionErr(err)
	}
	for _, w := range db.Warnings() {
		uicli.Warn(a.stderr, w)
	}
	a.storeWarnings = db.Warnings()
	if w := plainTextWarning(db.Encryption()); w != "" {
		a.storeWarnings = append(a.storeWarnings, w) // the dashboard's alone: scripts are not told on every run
		a.plainText = true
	}
	a.local, a.log = db, logger
	st, err := a.stateStore(cfg)
	if err != nil {
		return nil, err
	}
	a.svc = flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: st, Logger: logger, Redactor: red})
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
