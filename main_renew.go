package main

import (
	"github.com/spf13/cobra"

	uicli "tokentop/ui/cli" // main_test.go has a type cli
)

// renewCmd renews connections now, without a person: for a script that
// wants a fresh token before a long job, or to see that renewal works.
func (a *app) renewCmd() *cobra.Command {
	opts := uicli.RenewOptions{Out: a.stdout, ErrOut: a.stderr}
	cmd := &cobra.Command{
		Use:   "renew NAME... | --all",
		Short: "Renew connections' tokens now, without a person (exit 1 if any failed)",
		Long: "Renew the named connections' tokens now, without a person, and print a line for each.\n" +
			"With --all, renew every connection that can renew without a person, and say which were skipped and why.",
		ValidArgsFunction: a.connArg,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			opts.Names = args
			if opts.Service, err = a.service(all); err != nil {
				return err
			}
			return uicli.RunRenew(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "renew every connection that can renew without a person")
	return cmd
}
