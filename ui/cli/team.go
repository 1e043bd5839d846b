package cli

import (
	"context"
	"fmt"
	"io"

	"tokentop/flows"
)

// Where a connection's state is, in status and status --json.
const (
	storeTeam  = "team"
	storeLocal = "local"
)

func storeOf(isTeam func(string) bool, name string) string {
	if isTeam != nil && isTeam(name) {
		return storeTeam
	}
	return storeLocal
}

// anyTeam reports whether any row is a team connection: only then does
// status print the STORE column, so a file without one prints as before.
func anyTeam(rows []statusRow) bool {
	for _, r := range rows {
		if r.Store == storeTeam {
			return true
		}
	}
	return false
}

func storeHeader(team bool) string {
	if !team {
		return ""
	}
	return "\tSTORE"
}

func storeCell(team bool, r statusRow) string {
	if !team {
		return ""
	}
	return "\t" + r.Store
}

// MoveHint is the line that says how to move a connection's tokens to the
// store its config now names: toTeam when it became a team connection and
// its tokens are in the local state file, else the reverse.
func MoveHint(name string, toTeam bool) string {
	if toTeam {
		return fmt.Sprintf("%s: its tokens are in the local state file but it is now a team connection: run tokentop team push %s", name, name)
	}
	return fmt.Sprintf("%s: its tokens are in the team store but it is now a local connection: run tokentop team pull %s", name, name)
}

// MoveOptions are the inputs of tokentop team push and team pull.
type MoveOptions struct {
	Name        string
	Local, Team flows.Store
	// ToTeam is push (local → team); false is pull (team → local).
	ToTeam bool
	// Force overwrites a token the destination already holds.
	Force bool
	Out   io.Writer
}

// RunMove copies a connection's state (tokens, history, checks, events)
// from one store to the other under both stores' renewal locks, so no
// renewal on either side runs meanwhile, then forgets it where it was. It
// refuses when there is nothing to move, or when the destination already
// holds a token and Force is not set.
func RunMove(ctx context.Context, opts MoveOptions) error {
	from, to := opts.Local, opts.Team
	fromName, toName, verb := "the local state file", "the team store", "push"
	if !opts.ToTeam {
		from, to = to, from
		fromName, toName, verb = toName, fromName, "pull"
	}
	unlockTo, err := to.Lock(ctx, opts.Name)
	if err != nil {
		return attentionErr(fmt.Errorf("%s: locking it in %s: %w", opts.Name, toName, err))
	}
	defer unlockTo()
	unlockFrom, err := from.Lock(ctx, opts.Name)
	if err != nil {
		return attentionErr(fmt.Errorf("%s: locking it in %s: %w", opts.Name, fromName, err))
	}
	defer unlockFrom()
	st, err := from.Load(opts.Name)
	if err != nil {
		return attentionErr(fmt.Errorf("%s: reading %s: %w", opts.Name, fromName, err))
	}
	if st.Token == nil {
		return attentionErr(fmt.Errorf("%s: nothing to %s: %s holds no token for it", opts.Name, verb, fromName))
	}
	dst, err := to.Load(opts.Name)
	if err != nil {
		return attentionErr(fmt.Errorf("%s: reading %s: %w", opts.Name, toName, err))
	}
	if dst.Token != nil && !opts.Force {
		return attentionErr(fmt.Errorf("%s: %s already holds a token for it; run tokentop team %s --force %s to overwrite it", opts.Name, toName, verb, opts.Name))
	}
	if err := to.Update(opts.Name, func(s *flows.State) error {
		rev := s.Rev
		*s = st.Clone()
		s.Rev = rev
		return nil
	}); err != nil {
		return attentionErr(fmt.Errorf("%s: writing %s: %w", opts.Name, toName, err))
	}
	if err := from.Forget(opts.Name); err != nil {
		return attentionErr(fmt.Errorf("%s: copied to %s, but forgetting it in %s failed: %w", opts.Name, toName, fromName, err))
	}
	fmt.Fprintf(opts.Out, "%s: moved its tokens from %s to %s\n", opts.Name, fromName, toName)
	return nil
}
