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
// connection's redirect_uri (package callback), with the RFC 9207 check of
// the response's issuer.
func (e *endpoint) ListenRedirect(state string, fragment bool) (flows.Redirect, error) {
	mode := callback.Code
	if fragment {
		mode = callback.Fragment
	}
	srv, err := callback.Listen(e.Connection().RedirectURI, state, mode, e.issuer())
	if err != nil {
		return nil, err
	}
	return redirect{srv}, nil
}

// issuer is what a browser sign-in checks the authorization response's iss
// against (RFC 9207 §2.4): the connection's issuer, which discovery
// confirmed is the metadata's, and whether the metadata promises iss. A
// connection without an issuer (the provider presets, an oauth2 connection
// with explicit URLs) has nothing to compare an iss with, and none is
// checked.
func (e *endpoint) issuer() callback.Issuer {
	e.mu.Lock()
	defer e.mu.Unlock()
	return callback.Issuer{ID: e.conn.Issuer, Required: e.issRequired && e.conn.Issuer != ""}
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
