package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"tokentop/flows"
	"tokentop/flows/fanout"
	"tokentop/flows/redact"
)

// renewalsAtOnce bounds tokentop renew, as flows bounds CheckAll: a long
// list goes quickly without a burst of requests to one provider.
const renewalsAtOnce = 8

// RenewOptions are the inputs of tokentop renew.
type RenewOptions struct {
	Service *flows.Service
	// Names are the connections to renew; with All, none may be given.
	Names []string
	// All renews every connection that can renew without a person, and
	// says which it skipped and why.
	All         bool
	Out, ErrOut io.Writer
}

// renewal is what became of one connection in tokentop renew.
type renewal struct {
	name string
	tok  *flows.Token
	err  error
}

// RunRenew renews the connections now, without a person, a few at a time:
// a line per connection renewed on Out ("aikido: renewed, valid for 59m
// 59s"), and per failure on ErrOut. It returns an *Error of kind Attention
// with nothing more to print when any failed, of kind Usage before renewing
// anything when the names are wrong.
func RunRenew(ctx context.Context, opts RenewOptions) error {
	svc := opts.Service
	names, err := renewNames(svc, opts)
	if err != nil {
		return err
	}
	results := make([]renewal, len(names))
	fanout.Each(len(names), renewalsAtOnce, func(i int) {
		tok, err := svc.Renew(ctx, names[i])
		results[i] = renewal{names[i], tok, err}
	})
	failures := 0
	for _, r := range results {
		switch {
		case r.err == nil:
		case flows.Usable(r.err) && r.tok != nil:
			Warn(opts.ErrOut, r.err.Error())
		default:
			failures++
			Report(opts.ErrOut, forPeople(r.err, r.name))
			continue
		}
		fmt.Fprintf(opts.Out, "%s: renewed, %s\n", r.name, validity(r.tok, svc.Now()))
	}
	if failures > 0 {
		return &Error{Kind: Attention}
	}
	return nil
}

// renewNames are the connections to renew: the names given, each once and
// each configured, or with All every connection that can renew without a
// person, the others said skipped on ErrOut.
func renewNames(svc *flows.Service, opts RenewOptions) ([]string, error) {
	switch {
	case opts.All && len(opts.Names) > 0:
		return nil, usageErr(errors.New("renew: give connection names or --all, not both"))
	case !opts.All && len(opts.Names) == 0:
		return nil, usageErr(errors.New("renew: name the connections to renew, or give --all (usage: tokentop renew NAME... | --all)"))
	case !opts.All:
		if err := known(svc, opts.Names); err != nil {
			return nil, err
		}
		var names []string
		seen := make(map[string]bool)
		for _, n := range opts.Names {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
		return names, nil
	}
	states, _, err := svc.Changed(0)
	if err != nil {
		return nil, attentionErr(err)
	}
	var names []string
	for _, c := range svc.Config().Connections {
		if st := states[c.Name]; !c.Renewable(st) {
			fmt.Fprintf(opts.ErrOut, "tokentop: %s: skipped: %s\n", c.Name, skipReason(c, st))
			continue
		}
		names = append(names, c.Name)
	}
	return names, nil
}

// skipReason says why --all does not renew connection c: only a person
// can get it a token, and what to run for that.
func skipReason(c *flows.Connection, st flows.State) string {
	why := "no refresh token to renew with"
	switch {
	case st.Token == nil:
		why = "signed out"
	case st.NeedsSignIn:
		why = "the provider refused the stored grant"
		if st.LastError != "" {
			why += " (" + redact.Sanitize(st.LastError) + ")"
		}
	}
	return why + "; only a person can sign in: run tokentop login " + c.Name
}

// validity is how long a token serves: "valid for 59m 59s", "no expiry".
func validity(tok *flows.Token, now time.Time) string {
	if !tok.HasExpiry() {
		return "no expiry"
	}
	return "valid for " + flows.Countdown(tok.Left(now))
}

// shortDuration writes d as a person gives it to a flag: "2h", "1h30m",
// "90s", not time.Duration's "2h0m0s".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
