package fault

import (
	"context"
	"errors"
)

// NoAnswerError is a request that got no HTTP answer at all: connection
// refused or reset, TLS failure, timeout. Only such failures may be retried
// for a refresh, because the server may or may not have seen the request.
type NoAnswerError struct {
	// What names the URL ("token endpoint", "check_url").
	What string
	// Msg says what happened, in words ("cannot connect: connection refused").
	Msg string
	Err error
	// Certificate is set for a TLS certificate failure: asking again
	// cannot help, so it is never retried.
	Certificate bool
	// Sent is set once the request's headers were written to a
	// connection: from then on the provider may have acted on it. Before
	// that (dial refused, no DNS, no route, a TLS handshake or a proxy's
	// CONNECT refused) nothing left the machine, and a refresh token sent
	// with it is intact.
	Sent bool
}

// Error says what happened, in one line.
func (e *NoAnswerError) Error() string {
	if !e.Sent {
		return e.What + ": not sent: " + e.Msg
	}
	return e.What + ": no answer: " + e.Msg
}

// Unwrap returns the transport's error.
func (e *NoAnswerError) Unwrap() error { return e.Err }

// NotSent reports whether err is the failure of a request that never left
// the machine, so the provider cannot have acted on it: what it carried (a
// refresh token above all) is as good as before.
func NotSent(err error) bool {
	var na *NoAnswerError
	return errors.As(err, &na) && !na.Sent && !isCancel(err)
}

// isCancel reports whether err comes from the caller giving up.
func isCancel(err error) bool { return errors.Is(err, context.Canceled) }

// commitKey carries the function a token request calls when it gets a
// connection, after which it can no longer be taken back (see finish).
type commitKey struct{}

// WithCommit returns ctx with fn, which a token request sent under it calls
// once it has a connection: from then on the caller's cancellation no
// longer stops it (see Committed).
func WithCommit(ctx context.Context, fn func()) context.Context {
	return context.WithValue(ctx, commitKey{}, fn)
}

// Committed returns the function WithCommit put in ctx, or nil.
func Committed(ctx context.Context) func() {
	fn, _ := ctx.Value(commitKey{}).(func())
	return fn
}
