package oauth

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"tokentop/flows"
	"tokentop/flows/fault"
)

// retryPolicy says which failures of a call may be retried.
type retryPolicy int

const (
	// noRetry: password and code exchange. A second request could spend a
	// one-time code twice or count twice against a lockout.
	noRetry retryPolicy = iota
	// retryIdempotent: client_credentials, health check, discovery. Up to
	// maxAttempts on no answer, 5xx or 429.
	retryIdempotent
	// retryNoAnswer: refresh. One more request, only when no answer came at
	// all, because a server that saw the first may have rotated the refresh
	// token (RFC 9700 §4.14.2).
	retryNoAnswer
)

// signInError is the error of a refresh that got no answer twice: it
// matches ErrSignInRequired and keeps the transport error as its cause.
type signInError struct {
	msg   string
	cause error
}

func (e *signInError) Error() string   { return e.msg }
func (e *signInError) Unwrap() []error { return []error{flows.ErrSignInRequired, e.cause} }

// do sends r under policy p and returns the final answer.
func (e *endpoint) do(ctx context.Context, p retryPolicy, r *request) (*response, error) {
	if _, ok := ctx.Deadline(); !ok && p == retryIdempotent {
		// One deadline for the call and all its retries, so a client
		// credentials grant or a health check ends within about 30 s
		// whatever the server does.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.timeout)
		defer cancel()
	}
	for attempt := 1; ; attempt++ {
		if attempt > 1 && r.rebuild != nil {
			b, err := r.rebuild()
			if err != nil {
				return nil, err
			}
			r.body = b
		}
		resp, err := e.send(ctx, r)
		var na *fault.NoAnswerError
		noAnswer := errors.As(err, &na) && !na.Certificate && ctx.Err() == nil
		switch p {
		case retryNoAnswer:
			if !noAnswer || !na.Sent {
				// An answer, or a request that never left: the refresh
				// token is as good as before, and the caller retries later.
				return resp, err
			}
			if attempt == 2 {
				return nil, &signInError{
					msg:   "the refresh request was sent twice and never answered (" + na.Msg + "); the provider may have rotated the refresh token",
					cause: err,
				}
			}
			e.log.Debug("retrying refresh once", "what", r.what)
			if e.sleep(ctx, backoff(1)) != nil {
				return nil, err
			}
			continue
		case retryIdempotent:
			if attempt >= maxAttempts {
				return resp, err
			}
			var wait time.Duration
			switch {
			case noAnswer:
				wait = backoff(attempt)
			case err == nil && (resp.status >= 500 || resp.status == http.StatusTooManyRequests):
				wait = retryAfter(resp.header.Get("Retry-After"), e.now())
				if wait <= 0 {
					wait = backoff(attempt)
				}
			default:
				return resp, err
			}
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
				// The wait would outlast the call's deadline: the answer
				// in hand is the answer.
				return resp, err
			}
			if serr := e.sleep(ctx, wait); serr != nil {
				if err == nil {
					return resp, nil
				}
				return nil, err
			}
		default:
			return resp, err
		}
	}
}

// backoff is the wait before attempt+1: 1 s, then 2 s.
func backoff(attempt int) time.Duration { return time.Duration(attempt) * time.Second }

// retryAfter reads a Retry-After header (RFC 9110 §10.2.3): seconds or an
// HTTP date, capped at maxRetryAfter. Zero means none usable.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}
