package cli

import (
	"context"
	"fmt"
	"io"

	"tokentop/flows"
	"tokentop/flows/redact"
)

// CheckOptions are the inputs of tokentop check.
type CheckOptions struct {
	Service *flows.Service
	// Names are the connections to check; none means all of them.
	Names []string
	Out   io.Writer
	// JSON prints the checked connections as status --json does, after
	// their checks, instead of a line each.
	JSON bool
	// IsTeam tells the team connections, as StatusOptions.IsTeam does.
	IsTeam func(name string) bool
	// Encryption and TeamEncryption are as in StatusOptions, for --json.
	Encryption, TeamEncryption string
}

// RunCheck runs the health checks and prints a line for each: the HTTP
// status and latency, or why it failed. When any failed it returns an
// *Error of kind Attention with nothing more to print.
func RunCheck(ctx context.Context, opts CheckOptions) error {
	svc := opts.Service
	names := opts.Names
	if len(names) == 0 {
		names = svc.Config().Names()
	}
	if err := known(svc, names); err != nil {
		return err
	}
	failures := 0
	for _, r := range svc.CheckAll(ctx, names) {
		if !r.OK() {
			failures++
		}
		if !opts.JSON {
			printCheck(opts.Out, r)
		}
	}
	if opts.JSON {
		rows, _, teamDown, err := statusRows(svc, opts.IsTeam)
		if err != nil {
			return attentionErr(err)
		}
		rows = only(rows, names)
		out := statusJSON(svc, rows)
		fillEncryption(out, rows, opts.Encryption, opts.TeamEncryption)
		if err := writeJSON(opts.Out, out); err != nil {
			return err
		}
		if teamDown != nil {
			return attentionErr(teamDown)
		}
	}
	if failures > 0 {
		return &Error{Kind: Attention}
	}
	return nil
}

// only is the rows of names, in the order of names.
func only(rows []statusRow, names []string) []statusRow {
	by := make(map[string]statusRow, len(rows))
	for _, r := range rows {
		by[r.Name] = r
	}
	out := make([]statusRow, 0, len(names))
	for _, n := range names {
		if r, ok := by[n]; ok {
			out = append(out, r)
		}
	}
	return out
}

// printCheck writes one result: "aikido: HTTP 200 · 41 ms", with the
// failure after it when the answer was not a success.
func printCheck(w io.Writer, r flows.CheckResult) {
	switch {
	case r.Err != nil:
		fmt.Fprintln(w, redact.Sanitize(forPeople(r.Err, r.Name).Error()))
	case !r.Check.OK():
		fmt.Fprintf(w, "%s: HTTP %d · %d ms %s\n", r.Name, r.Check.Status, r.Check.Latency.Milliseconds(), redact.Sanitize(r.Check.Err))
	default:
		fmt.Fprintf(w, "%s: HTTP %d · %d ms\n", r.Name, r.Check.Status, r.Check.Latency.Milliseconds())
	}
}

// ConfigCheckOptions are the inputs of tokentop config check.
type ConfigCheckOptions struct {
	// Config is the file as loaded: loading it was the check.
	Config *flows.Config
	Out    io.Writer
}

// RunConfigCheck says that the config file is valid and how many
// connections it holds.
func RunConfigCheck(opts ConfigCheckOptions) error {
	noun := "connections"
	if len(opts.Config.Connections) == 1 {
		noun = "connection"
	}
	fmt.Fprintf(opts.Out, "%s: %d %s, ok\n", opts.Config.Path, len(opts.Config.Connections), noun)
	return nil
}
