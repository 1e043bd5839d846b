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
	if !r.CopyReadAt.IsZero() {
		return "\t" + r.Store + " (copy read " + r.CopyReadAt.Local().Format("15:04:05") + ")"
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

// MoveHints returns a MoveHint for each of names whose tokens are in the
// other store than the one its config names: a team connection with no
// token in the team store and one in the local file, or a local connection
// with none in the local file and one in the team store. team opens the
// team store on first need, so a local connection that holds a token never
// touches it; once the team store fails, the local connections are not
// asked about any more (a hint is not worth a wait per connection).
func MoveHints(names []string, isTeam func(string) bool, local flows.Store, team func() (flows.Store, error)) []string {
	var hints []string
	teamDown := false
	has := func(s flows.Store, name string) (bool, error) {
		st, err := s.Load(name)
		return err == nil && st.Token != nil, err
	}
	for _, name := range names {
		if isTeam(name) {
			ts, err := team()
			if err != nil {
				continue
			}
			if inTeam, err := has(ts, name); err != nil || inTeam {
				continue
			}
			if inLocal, _ := has(local, name); inLocal {
				hints = append(hints, MoveHint(name, true))
			}
			continue
		}
		if inLocal, err := has(local, name); err != nil || inLocal || teamDown {
			continue
		}
		ts, err := team()
		if err != nil {
			teamDown = true
			continue
		}
		inTeam, err := has(ts, name)
		teamDown = err != nil
		if inTeam {
			hints = append(hints, MoveHint(name, false))
		}
	}
	return hints
}
