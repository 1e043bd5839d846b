package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"tokentop/flows"
)

// TokenOptions are the inputs of tokentop token and tokentop header, the
// path scripts take.
type TokenOptions struct {
	// Service needs only connection Name: build it on a config loaded for
	// that connection alone, so no work is done for the others.
	Service *flows.Service
	Name    string
	// MinValid is how much validity must be left; with less, the token is
	// renewed first, without a person.
	MinValid time.Duration
	// Header prints "Authorization: Bearer <token>" instead of the bare
	// token.
	Header      bool
	Out, ErrOut io.Writer
}

// RunToken prints a fresh access token of one connection and a newline.
// A token that serves but could not be saved is printed with a warning.
func RunToken(ctx context.Context, opts TokenOptions) error {
	tok, err := opts.Service.Token(ctx, opts.Name, opts.MinValid)
	switch {
	case err == nil:
	case flows.Usable(err) && tok != nil:
		Warn(opts.ErrOut, err.Error())
	default:
		// A sign-in required says its cause (a refusal by the provider, a
		// request sent and never answered, a changed token_url); what to
		// run is added here.
		return failed(forPeople(err, opts.Name))
	}
	if opts.Header {
		fmt.Fprintln(opts.Out, "Authorization: Bearer "+tok.AccessToken)
	} else {
		fmt.Fprintln(opts.Out, tok.AccessToken)
	}
	return nil
}
