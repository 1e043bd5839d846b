package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"tokentop/flows"
	"tokentop/flows/redact"
	"tokentop/store"
)

// StatusOptions are the inputs of tokentop status, and of tokentop without
// a command when its output is not a terminal.
type StatusOptions struct {
	Service *flows.Service
	Out     io.Writer
	// JSON prints the rows as a JSON array instead of a table.
	JSON bool
	// Check runs every connection's health check first.
	Check bool
	// IsTeam tells the connections whose state is in the team store; nil
	// when every connection is local.
	IsTeam func(name string) bool
	// Encryption is how the state file keeps tokens ("keyring", "cmd",
	// "env", "file" or "none"), for the line under the table and each
	// local connection's "encryption" in --json; EncryptionNote says why
	// "none" when it was not asked for, and TeamEncryption is the team
	// store's ("team_key" or "none"). Empty prints neither.
	Encryption, EncryptionNote, TeamEncryption string
}

// RunStatus prints every connection's state. When any needs a person it
// returns an *Error of kind Attention with nothing more to print.
func RunStatus(ctx context.Context, opts StatusOptions) error {
	svc := opts.Service
	if opts.Check {
		svc.CheckAll(ctx, svc.Config().Names())
	}
	rows, attention, teamDown, err := statusRows(svc, opts.IsTeam)
	if err != nil {
		return attentionErr(err)
	}
	if opts.JSON {
		out := statusJSON(svc, rows)
		fillEncryption(out, rows, opts.Encryption, opts.TeamEncryption)
		if err := writeJSON(opts.Out, out); err != nil {
			return err
		}
	} else {
		printStatus(opts.Out, rows, svc.Now())
		printEncryption(opts.Out, opts)
	}
	if teamDown != nil {
		return attentionErr(teamDown)
	}
	if attention {
		return &Error{Kind: Attention}
	}
	return nil
}

// statusRow is one line of tokentop status, and what its JSON form is
// made of.
type statusRow struct {
	Name      string
	Provider  string
	Flow      string
	State     string // the condition's word for people
	Attention bool
	Reason    string
	Left      string
	Store     string // storeTeam or storeLocal
	// CopyReadAt is set for a team connection shown from the copy last
	// read, because the team store could not be reached.
	CopyReadAt time.Time

	conn      *flows.Connection
	st        flows.State
	condition flows.Condition // State is its word
}

// statusRows are the rows of every connection, and whether any needs a
// person. When the team store fails and the state file answers, the local
// rows are as ever, the team rows show the copy last read (or, with none,
// that they are unknown), and teamDown says what failed, in one line.
func statusRows(svc *flows.Service, isTeam func(string) bool) (rows []statusRow, attention bool, teamDown, err error) {
	states, _, err := svc.Changed(0)
	var te *store.TeamError
	if errors.As(err, &te) {
		teamDown, err = teamDownErr(te), nil
	}
	if err != nil {
		return nil, false, nil, err
	}
	now := svc.Now()
	rows = make([]statusRow, 0, len(svc.Config().Connections))
	for _, c := range svc.Config().Connections {
		st, known := states[c.Name]
		as := flows.Assess(c, st, now)
		r := statusRow{
			Name: c.Name, Provider: string(c.Provider), Flow: string(c.Flow),
			State: as.Condition.String(), Attention: as.Condition.NeedsAttention(),
			Reason: redact.Sanitize(as.Reason), Left: flows.TimeLeft(st.Token, now),
			Store: storeOf(isTeam, c.Name), conn: c, st: st, condition: as.Condition,
		}
		if st.Token == nil && c.Renewable(st) {
			r.Left = "no token yet"
		}
		if te != nil && r.Store == storeTeam {
			r.CopyReadAt = copyReadAt(te)
			if !known {
				r.condition, r.State, r.Attention = flows.Failing, flows.Failing.String(), true
				r.Reason, r.Left, r.CopyReadAt = "the team store is unreachable and no copy was read here", "unknown", time.Time{}
			}
		}
		attention = attention || r.Attention
		rows = append(rows, r)
	}
	return rows, attention, teamDown, nil
}

// copyReadAt is when the team copies Changed returned with te were read;
// zero when none came.
func copyReadAt(te *store.TeamError) time.Time {
	var se *store.StaleError
	if errors.As(te, &se) {
		return se.ReadAt
	}
	return time.Time{}
}

// teamDownErr is status's one line for a team store that failed:
// "team store unreachable (etcd http://…: no answer in time): team
// connections show the copy read at 14:00:56".
func teamDownErr(te *store.TeamError) error {
	if at := copyReadAt(te); !at.IsZero() {
		return fmt.Errorf("%v: team connections show the copy read at %s", te, at.Local().Format("15:04:05"))
	}
	return fmt.Errorf("%v: team connections are not known here", te)
}

// describeCheck is the LAST CHECK column: "200 · 41 ms · 3m 05s ago".
func describeCheck(c *flows.Check, now time.Time) string {
	ago := flows.Countdown(now.Sub(c.At)) + " ago"
	if c.Status == 0 {
		return "failed · " + ago
	}
	return fmt.Sprintf("%d · %d ms · %s", c.Status, c.Latency.Milliseconds(), ago)
}

func printStatus(w io.Writer, rows []statusRow, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	team := anyTeam(rows)
	fmt.Fprintln(tw, "NAME\tPROVIDER\tFLOW\tSTATE\tTIME LEFT\tLAST CHECK"+storeHeader(team))
	for _, r := range rows {
		lc := "-"
		if r.st.LastCheck != nil {
			lc = describeCheck(r.st.LastCheck, now)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s%s\n", r.Name, r.Provider, r.Flow, stateColumn(r), r.Left, lc, storeCell(team, r))
	}
	tw.Flush()
}

// stateColumn is a row's STATE: the condition, then why it needs
// attention, and for a connection only a person can sign in, what to run.
func stateColumn(r statusRow) string {
	switch {
	case r.condition == flows.SignedOut:
		// The domain's reason ("no token") says nothing "signed out" does
		// not: say what to do instead.
		return r.State + ": " + signInHint("", r.Name)
	case r.condition == flows.SignInRequired:
		return r.State + ": " + signInHint(r.Reason, r.Name)
	case r.Attention && r.Reason != "":
		return r.State + ": " + r.Reason
	}
	return r.State
}

// printEncryption is the line under the table that says how the state
// file keeps tokens: "encryption: keyring (tokens sealed with
// AES-256-GCM)", "encryption: none: tokens are stored in plain text".
func printEncryption(w io.Writer, opts StatusOptions) {
	switch {
	case opts.Encryption == "":
	case opts.Encryption != "none":
		fmt.Fprintf(w, "encryption: %s (tokens sealed with AES-256-GCM)\n", opts.Encryption)
	case opts.EncryptionNote != "":
		fmt.Fprintf(w, "encryption: none: tokens are stored in plain text, because %s\n", redact.Sanitize(opts.EncryptionNote))
	default:
		fmt.Fprintln(w, "encryption: none: tokens are stored in plain text")
	}
}
