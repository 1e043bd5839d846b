package main

import (
	"fmt"
	"os"
	"time"

	"github.com/cli/browser"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	uicli "tokentop/ui/cli" // main_test.go has a type cli
)

// kubectlCredentialCmd is the kubectl exec credential plugin: kubectl runs
// it as the kubeconfig's users[].user.exec says and reads an ExecCredential
// on its stdout.
func (a *app) kubectlCredentialCmd() *cobra.Command {
	opts := uicli.KubeOptions{Out: a.stdout, ErrOut: a.stderr}
	var apiVersion string
	cmd := &cobra.Command{
		Use:   "kubectl-credential NAME",
		Short: "Print a kubectl ExecCredential with a fresh token of a connection",
		Long: "Print a client.authentication.k8s.io ExecCredential for kubectl's exec plugin stanza, in the\n" +
			"apiVersion KUBERNETES_EXEC_INFO names (v1 when it names none). When only a person can sign in,\n" +
			"it signs in on the terminal if kubectl gives it one (interactiveMode IfAvailable), and fails at once otherwise.",
		Args:              exactArgs(1),
		ValidArgsFunction: a.connArg,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			opts.Name = args[0]
			if opts.Info, err = uicli.ParseExecInfo(os.Getenv("KUBERNETES_EXEC_INFO"), a.stdinIsTerminal()); err != nil {
				return usageErr(fmt.Errorf("%s: %w", opts.Name, err))
			}
			switch apiVersion {
			case "":
			case "v1", uicli.ExecCredentialV1:
				opts.Info.APIVersion = uicli.ExecCredentialV1
			case "v1beta1", uicli.ExecCredentialV1beta1:
				opts.Info.APIVersion = uicli.ExecCredentialV1beta1
			default:
				return usageErr(fmt.Errorf("kubectl-credential: --api-version %q: want v1 or v1beta1", apiVersion))
			}
			// Prompts and URLs go to the terminal's stderr: stdout is
			// kubectl's, for the ExecCredential alone.
			opts.Login = uicli.LoginOptions{In: a.stdin, ErrOut: a.stderr, OpenURL: browser.OpenURL, Password: a.promptPassword}
			if opts.Service, err = a.service(only(opts.Name)); err != nil {
				return err
			}
			return uicli.RunKubeCredential(cmd.Context(), opts)
		},
	}
	cmd.Flags().DurationVar(&opts.MinValid, "min-valid", 5*time.Minute, "renew first when less than this is left")
	cmd.Flags().StringVar(&apiVersion, "api-version", "", "answer in this ExecCredential version (v1 or v1beta1) whatever KUBERNETES_EXEC_INFO says, for a kubectl that names none")
	return cmd
}

// stdinIsTerminal reports whether standard input is a terminal a person
// can answer on.
func (a *app) stdinIsTerminal() bool {
	f, ok := a.stdin.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
