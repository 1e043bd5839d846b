package main

import (
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	uicli "tokentop/ui/cli" // main_test.go has a type cli
)

// execCmd is tokentop exec: a command run with fresh tokens in its
// environment, as aws-vault exec and op run do.
func (a *app) execCmd() *cobra.Command {
	var env []string
	opts := uicli.ExecOptions{In: a.stdin, Out: a.stdout, ErrOut: a.stderr}
	cmd := &cobra.Command{
		Use:   "exec NAME... [--env VAR=NAME]... -- COMMAND [ARG...]",
		Short: "Run a command with fresh tokens in its environment",
		Long: `Get every named connection's token (valid for --min-valid, default each
connection's refresh_before), then run COMMAND with them in its environment:
TOKENTOP_TOKEN for one connection, <NAME>_TOKEN for several (upper-cased, every
character but a letter or digit turned into _), or the variables --env VAR=NAME
names. Standard streams and signals pass through; tokentop exits with
COMMAND's status (128+N when signal N killed it, 127 when it is not found, 126
when it cannot be executed). A token is never put on a command line.`,
		ValidArgsFunction: func(cmd *cobra.Command, args []string, s string) ([]string, cobra.ShellCompDirective) {
			if cmd.ArgsLenAtDash() >= 0 {
				return nil, cobra.ShellCompDirectiveDefault // the command's own arguments
			}
			return a.connArg(cmd, args, s)
		},
		Args: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() < 0 || cmd.ArgsLenAtDash() == len(args) {
				return usageErr(errors.New("exec: give the command after -- (usage: " + cmd.UseLine() + ")"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			// From here on, the signals run's context turns into a
			// cancellation are also forwarded to the command once it
			// runs, and SIGQUIT no longer dumps tokentop's goroutines;
			// they stay caught until run has drained and cleaned up.
			sigs := make(chan os.Signal, 8)
			signal.Notify(sigs, endSignals...)
			a.cleanup = append(a.cleanup, func() { signal.Stop(sigs) })
			opts.Signals, opts.Delivered = sigs, fromTerminal

			dash := cmd.ArgsLenAtDash()
			opts.Command = args[dash:]
			if opts.Bindings, err = uicli.ExecBindings(args[:dash], env); err != nil {
				return err
			}
			opts.MinValidSet = cmd.Flags().Changed("min-valid")
			load := all
			if names := uicli.Connections(opts.Bindings); len(names) == 1 {
				load = only(names[0])
			}
			if opts.Service, err = a.service(load); err != nil {
				return err
			}
			return uicli.RunExec(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&env, "env", nil, "put connection NAME's token in variable VAR (VAR=NAME, repeatable)")
	f.DurationVar(&opts.MinValid, "min-valid", 0, "each token must stay valid this long at the start (default: each connection's refresh_before)")
	return cmd
}

// fromTerminal reports whether sig is ctrl+c or ctrl+\ typed on the
// terminal whose foreground process group is tokentop's: the terminal has
// sent it to the whole group, the command of exec included, and
// forwarding it too would deliver it twice (a program that takes a
// second ctrl+c as "quit now" would cut its own clean-up short). A kill
// -INT sent to tokentop alone while it is in the foreground is the one
// case this cannot tell apart; kill -TERM and -HUP are always forwarded.
func fromTerminal(sig os.Signal) bool {
	if sig != syscall.SIGINT && sig != syscall.SIGQUIT {
		return false
	}
	own := unix.Getpgrp()
	for _, fd := range []int{0, 1, 2} {
		if pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP); err == nil {
			return pgrp == own
		}
	}
	return false
}
