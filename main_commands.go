package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cli/browser"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"tokentop/flows/config"
	uicli "tokentop/ui/cli" // main_test.go has a type cli
)

// The commands: each turns its flags and arguments into the options of
// its ui/cli run function, on a Service built for what it needs.

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
		Args:          noCommand,
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
	root.AddCommand(a.execCmd())
	root.AddCommand(a.credentialHelperCmd())
	root.AddCommand(a.proxyCmd())
	root.AddCommand(a.renewCmd())
	root.AddCommand(a.kubectlCredentialCmd(), a.gitCredentialCmd())
	root.AddCommand(a.teamCmd())
	return root
}

// connArg completes connection names in shells.
func (a *app) connArg(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	cfg, err := a.loadConfig(all)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	for _, c := range cfg.Connections {
		names = append(names, c.Name+"\t"+string(c.Provider)+" "+string(c.Flow))
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// noCommand refuses any argument to a command that only has subcommands
// (or, for the root, a dashboard): an unknown command is a usage error
// (exit 2) with cobra's suggestions, as cobra says it for the root alone
// when Args is unset ("tokentop config bogus" would print help and exit 0).
func noCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default, which SuggestionsFor alone does not apply
	}
	// Report indents the lines after the first under it.
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "\nDid you mean this? " + strings.Join(s, ", ")
	}
	msg += fmt.Sprintf("\nRun '%s --help' for usage.", cmd.CommandPath())
	return usageErr(errors.New(msg))
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageErr(fmt.Errorf("%s: %w (usage: %s)", cmd.Name(), err, cmd.UseLine()))
		}
		return nil
	}
}

func (a *app) statusCmd() *cobra.Command {
	opts := uicli.StatusOptions{Out: a.stdout}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show every connection's state (exit 1 when any needs attention)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if opts.Service, err = a.service(all); err != nil {
				return err
			}
			opts.IsTeam = a.team.IsTeam
			a.encryptionStatus(&opts)
			a.warnMoves(opts.Service.Config().Names())
			return uicli.RunStatus(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&opts.Check, "check", false, "run every health check first")
	return cmd
}

func (a *app) tokenCmd() *cobra.Command {
	return a.bearerCmd("token NAME", "Print a fresh access token of a connection",
		"Print only the access token and a newline, renewing it first without a person when less than --min-valid is left.",
		false)
}

func (a *app) headerCmd() *cobra.Command {
	return a.bearerCmd("header NAME", "Print an Authorization header with a fresh bearer token",
		"Print \"Authorization: Bearer <token>\" and a newline, renewing the token first without a person when less than --min-valid is left.",
		true)
}

// bearerCmd is a command that prints a fresh token of one connection, bare
// or as a header: the path scripts take, which loads that connection alone.
func (a *app) bearerCmd(use, short, long string, header bool) *cobra.Command {
	opts := uicli.TokenOptions{Header: header, Out: a.stdout, ErrOut: a.stderr}
	cmd := &cobra.Command{
		Use:               use,
		Short:             short,
		Long:              long,
		Args:              exactArgs(1),
		ValidArgsFunction: a.connArg,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			opts.Name = args[0]
			opts.MinValidGiven = cmd.Flags().Changed("min-valid")
			if opts.Service, err = a.service(only(opts.Name)); err != nil {
				return err
			}
			err = uicli.RunToken(cmd.Context(), opts)
			if err != nil {
				// Only on failure: a token handed out costs no look at
				// the other store.
				a.warnMoves([]string{opts.Name})
			}
			return err
		},
	}
	cmd.Flags().DurationVar(&opts.MinValid, "min-valid", 5*time.Minute, "renew first when less than this is left (longer than the provider's token life: renew any token older than a tenth of it)")
	if !header {
		cmd.Flags().StringVar(&opts.Format, "format", uicli.FormatRaw, "print the token as "+strings.Join(uicli.Formats, ", ")+" (curl: a curl -K - config line)")
	}
	return cmd
}

func (a *app) checkCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:               "check [NAME...]",
		Short:             "Run health checks (all connections when none is named)",
		ValidArgsFunction: a.connArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := a.service(all)
			if err != nil {
				return err
			}
			var enc uicli.StatusOptions
			a.encryptionStatus(&enc)
			return uicli.RunCheck(cmd.Context(), uicli.CheckOptions{Service: svc, Names: args, Out: a.stdout, JSON: asJSON, IsTeam: a.team.IsTeam,
				Encryption: enc.Encryption, TeamEncryption: enc.TeamEncryption})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print each checked connection as status --json does")
	return cmd
}

func (a *app) logoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:               "logout NAME",
		Short:             "Revoke (where the provider can) and forget a connection's tokens",
		Args:              exactArgs(1),
		ValidArgsFunction: a.connArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := a.service(all)
			if err != nil {
				return err
			}
			return uicli.RunLogout(cmd.Context(), uicli.LogoutOptions{Service: svc, Name: args[0], ErrOut: a.stderr})
		},
	}
}

func (a *app) configCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Inspect the configuration, or write a starter file",
		Args:  noCommand,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.configInitCmd())
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Validate the config file (exit 2 on an error)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig(all)
			if err != nil {
				return err
			}
			return uicli.RunConfigCheck(uicli.ConfigCheckOptions{Config: cfg, Out: a.stdout})
		},
	})
	return cmd
}

// configInitCmd writes a commented starter configuration where the config
// file is looked for, never over an existing file.
func (a *app) configInitCmd() *cobra.Command {
	var providers []string
	cmd := &cobra.Command{
		Use:   "init [--provider NAME]...",
		Short: "Write a commented starter config file (never over an existing one)",
		Long: "Write a starter config file with one commented example connection per provider given\n" +
			"(default: " + strings.Join(config.StarterProviders, ", ") + "), mode 0600, at --config, $TOKENTOP_CONFIG or the XDG default.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := a.configFile()
			if err != nil {
				return err
			}
			cfg, err := config.WriteStarter(path, providers)
			switch {
			case errors.Is(err, config.ErrUnknownProvider):
				return usageErr(fmt.Errorf("config init: %w", err))
			case err != nil:
				return attentionErr(fmt.Errorf("config init: %w", err))
			}
			n := len(cfg.Connections)
			noun := "connections"
			if n == 1 {
				noun = "connection"
			}
			fmt.Fprintf(a.stdout, "wrote %s with %d %s (%s); edit it, then run tokentop\n", path, n, noun, strings.Join(cfg.Names(), ", "))
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&providers, "provider", nil, "write an example connection of this provider: "+strings.Join(config.StarterProviders, ", ")+" or oauth2 (repeatable)")
	return cmd
}

func (a *app) loginCmd() *cobra.Command {
	opts := uicli.LoginOptions{In: a.stdin, ErrOut: a.stderr, OpenURL: browser.OpenURL, Password: a.promptPassword}
	cmd := &cobra.Command{
		Use:               "login NAME",
		Short:             "Sign in to a connection in this terminal",
		Args:              exactArgs(1),
		ValidArgsFunction: a.connArg,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			opts.Name = args[0]
			if opts.Service, err = a.service(all); err != nil {
				return err
			}
			return uicli.RunLogin(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.NoBrowser, "no-browser", false, "print the sign-in URL instead of opening a browser")
	f.BoolVar(&opts.PasswordStdin, "password-stdin", false, "read the password from standard input")
	f.BoolVar(&opts.RefreshTokenStdin, "refresh-token-stdin", false, "sign in with a refresh token read from standard input")
	return cmd
}

// promptPassword is uicli.LoginOptions.Password: a prompt on the terminal
// without echo, which ctrl+c, kill or the terminal closing end at once with
// echo back on.
func (a *app) promptPassword(prompt string) (string, error) {
	f, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("no terminal to ask for the password: use --password-stdin")
	}
	fmt.Fprint(a.stderr, prompt)
	b, sig, err := readPasswordOrSignal(int(f.Fd()))
	fmt.Fprintln(a.stderr)
	if sig != nil {
		// The process ends by the signal once run has printed the error
		// and cleaned up: first in the list, this runs last.
		a.cleanup = append([]func(){func() { exitBySignal(sig) }}, a.cleanup...)
		return "", errors.New("sign-in interrupted")
	}
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	return string(b), nil
}
