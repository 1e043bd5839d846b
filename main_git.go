package main

import (
	"time"

	"github.com/spf13/cobra"

	uicli "tokentop/ui/cli" // main_test.go has a type cli
)

// gitCredentialCmd is a git credential helper (git-credential(1)), set
// with git config credential.https://host.helper '!tokentop git-credential NAME'.
func (a *app) gitCredentialCmd() *cobra.Command {
	opts := uicli.GitOptions{In: a.stdin, Out: a.stdout, ErrOut: a.stderr}
	cmd := &cobra.Command{
		Use:   "git-credential NAME get|store|erase",
		Short: "Answer git's credential requests with a fresh token of a connection",
		Long: "A git credential helper: get answers the connection's token as the password (user name\n" +
			"git_username, default oauth2), or as a Bearer credential when git announces capability[]=authtype;\n" +
			"erase marks the token refused so the next get renews it; store does nothing. Requests for URLs\n" +
			"the connection's match patterns (without any, the origin of api_url or check_url) do not cover get no answer.",
		Args:              exactArgs(2),
		ValidArgsFunction: a.connArg,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			opts.Name, opts.Operation = args[0], args[1]
			if opts.Operation != "get" && opts.Operation != "erase" {
				// store: tokentop keeps its own tokens; other operations
				// are ignored, as git-credential(1) asks. The request is
				// read all the same, so git never writes into a closed pipe.
				_, _ = uicli.ParseGitRequest(a.stdin)
				return nil
			}
			if opts.Service, err = a.service(only(opts.Name)); err != nil {
				return err
			}
			return uicli.RunGitCredential(cmd.Context(), opts)
		},
	}
	cmd.Flags().DurationVar(&opts.MinValid, "min-valid", 5*time.Minute, "renew first when less than this is left")
	return cmd
}
