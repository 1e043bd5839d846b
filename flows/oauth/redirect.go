package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"tokentop/flows"
	"tokentop/flows/callback"
)

// ListenRedirect starts the loopback listener of a browser sign-in at the
// connection's redirect_uri (package callback).
func (e *endpoint) ListenRedirect(state string, fragment bool) (flows.Redirect, error) {
	mode := callback.Code
	if fragment {
		mode = callback.Fragment
	}
	srv, err := callback.Listen(e.Connection().RedirectURI, state, mode)
	if err != nil {
		return nil, err
	}
	return redirect{srv}, nil
}

// redirect is a callback.Server that tells a refusal in flows' words.
type redirect struct{ *callback.Server }

func (r redirect) Wait(ctx context.Context) (url.Values, error) {
	v, err := r.Server.Wait(ctx)
	if errors.Is(err, callback.ErrAccessDenied) {
		err = fmt.Errorf("%w", flows.ErrAccessDenied)
	}
	return v, err
}
