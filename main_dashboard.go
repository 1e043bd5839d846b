package main

import (
	"errors"
	"os"
	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/ui"
	uicli "tokentop/ui/cli"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// runDashboard opens the dashboard, or the demo. SIGHUP (the terminal
// closing), SIGTERM, SIGINT and SIGQUIT end it as q does: the program
// quits and restores the terminal, run's clean-up removes the demo's
// directory, and the exit status is signalStatus.
//
// The dashboard reads the config file leniently (a connection with
// problems is an error row beside the others) and watches it, so a file
// missing or broken at start shows what to do and is picked up once
// fixed. Without a terminal it prints what status prints, from the file
// read strictly.
func (a *app) runDashboard(cmd *cobra.Command, _ []string) (err error) {
	ctx, caught := catchSignals(cmd.Context(), endSignals...)
	defer func() {
		if sig := caught(); sig != nil {
			err = &signalledError{sig}
		}
	}()
	if a.demo {
		if err := a.setUpDemo(); err != nil {
			return attentionErr(err)
		}
	}
	if !term.IsTerminal(int(os.Stdout.Fd())) {
		svc, err := a.service(all)
		if err != nil {
			return err
		}
		opts := uicli.StatusOptions{Service: svc, Out: a.stdout, IsTeam: a.team.IsTeam}
		a.encryptionStatus(&opts)
		return uicli.RunStatus(ctx, opts)
	}
	path, err := a.configFile()
	if err != nil {
		return err
	}
	opts := ui.Options{
		Demo:       a.demo,
		OpenURL:    a.openURL,
		ConfigPath: path,
		LoadConfig: func() (*flows.Config, error) { return a.reloadConfig(path) },
	}
	cfg, err := a.loadConfig(config.LoadTeamLenient)
	if err != nil {
		var failure *uicli.Error
		if !errors.As(err, &failure) || failure.Kind != uicli.Usage {
			return err
		}
		// The dashboard shows a missing or broken config itself, and
		// opens the connections once the file is fixed.
		opts.ConfigErr = failure.Err
		cfg = &flows.Config{Path: path}
	}
	a.live = newTeamSet(a.team)
	svc, err := a.openService(cfg)
	if err != nil {
		if opts.ConfigErr == nil {
			return err
		}
		// No state file either: show the config's problem, unwatched.
		opts.LoadConfig = nil
		return ui.Run(ctx, nil, opts)
	}
	opts.Warnings, opts.PlainText = a.storeWarnings, a.plainText
	opts.IsTeam = a.isTeam
	return ui.Run(ctx, svc, opts)
}
