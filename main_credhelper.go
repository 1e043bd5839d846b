package main

import (
	"fmt"

	"github.com/spf13/cobra"

	uicli "tokentop/ui/cli" // main_test.go has a type cli
)

// credentialHelperCmd is tokentop credential-helper get, a credential
// helper as Bazel's --credential_helper runs it.
func (a *app) credentialHelperCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "credential-helper get",
		Short: "Answer a Bazel-style credential-helper request ({\"uri\": …} on stdin)",
		Long: `Read {"uri": "…"} on standard input and print {"headers": {"Authorization":
["Bearer …"]}, "expires": "…"} for the first connection (in file order) whose
match patterns cover the URI, renewing its token first when less than its
refresh_before is left; {"headers": {}} when none does. This is the protocol of
Bazel's --credential_helper.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := exactArgs(1)(cmd, args); err != nil {
				return err
			}
			if args[0] != "get" {
				return usageErr(fmt.Errorf("credential-helper: unknown operation %q (the protocol has get)", args[0]))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Every connection's match is needed; their secrets are
			// resolved only for the one that matches, when it renews.
			cfg, err := a.loadConfig(all)
			if err != nil {
				return err
			}
			return uicli.RunCredentialHelper(cmd.Context(), uicli.CredentialHelperOptions{
				Config: cfg, Service: a.openService, In: a.stdin, Out: a.stdout, ErrOut: a.stderr,
			})
		},
	}
}
