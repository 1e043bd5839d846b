package main

import (
	"context"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"tokentop/store"
	uicli "tokentop/ui/cli" // main_test.go has a type cli
)

// proxyCmd is tokentop proxy NAME: a reverse proxy to the connection's API
// that adds a fresh bearer token to every request.
func (a *app) proxyCmd() *cobra.Command {
	opts := uicli.ProxyOptions{ErrOut: a.stderr}
	cmd := &cobra.Command{
		Use:   "proxy NAME [--listen 127.0.0.1:PORT]",
		Short: "Serve a local reverse proxy to a connection's API that adds a fresh bearer token",
		Long: `Forward every request to the connection's api_url (default: the origin of its
check_url) with "Authorization: Bearer <fresh token>" in place of any
Authorization the client sent. The token is renewed ahead of expiry once for
all requests, and once more after a 401 invalid_token when the request can be
sent again. By default the proxy listens on the Unix socket proxy-NAME.sock
(mode 0600) beside the state file; --listen takes a loopback TCP address,
which every local user can reach. ctrl+c or SIGTERM stops it (exit 0).`,
		Args:              exactArgs(1),
		ValidArgsFunction: a.connArg,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			opts.Name = args[0]
			state := a.statePath
			if state == "" {
				if state, err = store.DefaultPath(); err != nil {
					return usageErr(err)
				}
			}
			opts.SocketDir = filepath.Dir(state)
			if opts.Service, err = a.service(only(opts.Name)); err != nil {
				return err
			}
			opts.Until = func(ctx context.Context) (context.Context, context.CancelFunc) {
				// SIGINT and SIGTERM are the proxy's normal end, exit 0:
				// taken from run's handler (which would exit 128+n) for
				// this command alone, once it serves. Ignore first, so
				// that no signal finds the default action (death, the
				// socket left behind) in between.
				signal.Ignore(syscall.SIGINT, syscall.SIGTERM)
				return signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
			}
			return uicli.RunProxy(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Listen, "listen", "", "listen on this loopback TCP address (127.0.0.1:PORT, [::1]:PORT, localhost:PORT) instead of the Unix socket")
	return cmd
}
