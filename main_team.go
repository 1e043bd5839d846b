package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/store"
	uicli "tokentop/ui/cli" // main_test.go has a type cli
)

// stateStore is the Store of cfg's connections: the state file alone,
// unless the [team] table names a team connection among those cfg loaded;
// then a store.Split of the state file and the team store. A local
// connection's tokentop token loads that connection alone, so it never
// opens the team store.
func (a *app) stateStore(cfg *flows.Config) (flows.Store, error) {
	if !a.anyTeam(cfg) {
		return a.local, nil
	}
	ts, err := a.openTeam()
	if err != nil {
		return nil, attentionErr(err)
	}
	// The team's states last read are kept in the state file, for when
	// the team store is away (store.ReadThrough).
	a.split = true
	return store.NewSplit(a.local, &store.ReadThrough{Team: ts, Cache: a.local}, a.isTeam), nil
}

// anyTeam reports whether any connection of cfg is a team one.
func (a *app) anyTeam(cfg *flows.Config) bool {
	for _, c := range cfg.Connections {
		if a.team.IsTeam(c.Name) {
			return true
		}
	}
	return false
}

// openTeam opens the team store once, resolving the [team] table's
// password and key (secret references) only now.
func (a *app) openTeam() (flows.Store, error) {
	if a.teamStore != nil {
		return a.teamStore, nil
	}
	if a.team == nil {
		return nil, fmt.Errorf("the config file has no [team] table")
	}
	where := "the team store"
	if len(a.team.Endpoints) > 0 {
		where += " (" + a.team.Endpoints[0] + ")"
	}
	// A cmd: secret has its own bound (flows/secret: 30 s, for a password
	// manager that asks); the team's timeout is for etcd's requests.
	password, key, err := resolveTeamSecrets(context.Background(), a.team)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	ts, err := openTeamStore(a.team, password, key, a.log)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	a.teamStore = ts
	if c, ok := ts.(io.Closer); ok {
		// The etcd store may hold a lease or a watch: released on exit.
		a.cleanup = append(a.cleanup, func() { c.Close() })
	}
	return ts, nil
}

// resolveTeamSecrets resolves the [team] table's password and key. The
// errors name the key, never the value.
func resolveTeamSecrets(ctx context.Context, t *config.Team) (password string, key []byte, err error) {
	if !t.Password.IsZero() {
		if password, err = t.Password.Resolve(ctx); err != nil {
			return "", nil, fmt.Errorf("team.password: %w", err)
		}
	}
	if !t.Key.IsZero() {
		k, err := t.Key.Resolve(ctx)
		if err != nil {
			return "", nil, fmt.Errorf("team.key: %w", err)
		}
		key = []byte(k)
	}
	return password, key, nil
}

// warnMoves prints a line for each of names whose tokens are in the other
// store than its config says, with the command that moves them.
func (a *app) warnMoves(names []string) {
	if a.team == nil || a.local == nil {
		return
	}
	for _, h := range uicli.MoveHints(names, a.team.IsTeam, a.local, a.openTeam) {
		uicli.Warn(a.stderr, h)
	}
}

// teamCmd is tokentop team push/pull: moving a connection's tokens between
// the state file and the team store when its team setting changed.
func (a *app) teamCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "team",
		Short: "Move a connection's tokens between the state file and the team store",
		Args:  noCommand,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.moveCmd(true), a.moveCmd(false))
	return cmd
}

func (a *app) moveCmd(toTeam bool) *cobra.Command {
	opts := uicli.MoveOptions{ToTeam: toTeam, Out: a.stdout}
	use, short := "push NAME", "Move a team connection's tokens from the state file to the team store"
	if !toTeam {
		use, short = "pull NAME", "Move a local connection's tokens from the team store to the state file"
	}
	cmd := &cobra.Command{
		Use:               use,
		Short:             short,
		Args:              exactArgs(1),
		ValidArgsFunction: a.connArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			cfg, err := a.loadConfig(only(opts.Name))
			if err != nil {
				return err
			}
			// What the file says is checked before any store is opened.
			if cfg.Connection(opts.Name) == nil {
				return usageErr(fmt.Errorf("%s: %w", opts.Name, flows.ErrUnknownConnection))
			}
			if a.team == nil {
				return usageErr(fmt.Errorf("%s: the config file has no [team] table naming the team store", opts.Name))
			}
			switch isTeam := a.team.IsTeam(opts.Name); {
			case toTeam && !isTeam:
				return usageErr(fmt.Errorf("%s: not a team connection: set team = true in its [connections.%s] table first", opts.Name, opts.Name))
			case !toTeam && isTeam:
				return usageErr(fmt.Errorf("%s: still a team connection: remove team = true from its [connections.%s] table first", opts.Name, opts.Name))
			}
			cfg = &flows.Config{Path: cfg.Path, Connections: []*flows.Connection{cfg.Connection(opts.Name)}}
			if _, err := a.openService(cfg); err != nil {
				return err
			}
			ts, err := a.openTeam()
			if err != nil {
				return attentionErr(err)
			}
			opts.Local, opts.Team = a.local, ts
			return uicli.RunMove(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite a token the destination already holds")
	return cmd
}
