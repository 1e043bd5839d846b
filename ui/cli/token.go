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
	// MinValidGiven says MinValid was asked for explicitly (--min-valid):
	// then a provider whose tokens live less than MinValid gets any token
	// older than a tenth of its life renewed, rather than the half-life
	// rule of Token.ValidFor that the default margin keeps.
	MinValidGiven bool
	// Header prints "Authorization: Bearer <token>" instead of the bare
	// token.
	Header      bool
	Out, ErrOut io.Writer
}

// RunToken prints a fresh access token of one connection and a newline.
// A token that serves but could not be saved is printed with a warning.
func RunToken(ctx context.Context, opts TokenOptions) error {
	tok, err := token(ctx, opts)
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

// token gets the token RunToken prints. An explicit --min-valid longer
// than the provider's token life cannot be met; the next best is a token
// at most a tenth of its life old, so an older token is renewed, once for
// every concurrent caller (RenewFrom shares one renewal in this process,
// and answers with the token another caller renewed since tok was read),
// and ErrOut says so once. When that renewal fails, a token the half-life
// rule accepts is handed out with a warning, as without the flag.
func token(ctx context.Context, opts TokenOptions) (*flows.Token, error) {
	svc := opts.Service
	if !opts.MinValidGiven {
		return svc.Token(ctx, opts.Name, opts.MinValid)
	}
	st, err := svc.State(opts.Name)
	if err != nil {
		return nil, err
	}
	c := svc.Config().Connection(opts.Name)
	tok := st.Token
	if tok == nil || tok.AccessToken == "" || !tok.HasExpiry() || tok.ObtainedAt.IsZero() || st.Refused || !c.Renewable(st) {
		return svc.Token(ctx, opts.Name, opts.MinValid)
	}
	life := tok.Expiry.Sub(tok.ObtainedAt)
	if life <= 0 || life >= opts.MinValid {
		return svc.Token(ctx, opts.Name, opts.MinValid)
	}
	fmt.Fprintf(opts.ErrOut, "tokentop: %s: the provider's tokens live %s, less than --min-valid %s: renewing any older than %s\n",
		opts.Name, flows.Countdown(life), shortDuration(opts.MinValid), flows.Countdown(life/10))
	if svc.Now().Sub(tok.ObtainedAt) <= life/10 {
		return svc.Token(ctx, opts.Name, opts.MinValid)
	}
	renewed, err := svc.RenewFrom(ctx, opts.Name, tok)
	if err != nil && ctx.Err() == nil && tok.ValidFor(svc.Now(), opts.MinValid) {
		// No worse than without the flag: the token the half-life rule
		// accepts, and why it is not a newer one.
		Warn(opts.ErrOut, fmt.Sprintf("%s: renewal failed, so the current token is handed out, valid for %s", forPeople(err, opts.Name), flows.Countdown(tok.Left(svc.Now()))))
		return tok, nil
	}
	return renewed, err
}
