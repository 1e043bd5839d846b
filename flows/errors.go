package flows

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrSignInRequired means the connection has no token that can be used or
// renewed without a person: run its login flow.
var ErrSignInRequired = errors.New("sign-in required")

// ErrUnknownConnection means no connection of that name is configured.
var ErrUnknownConnection = errors.New("unknown connection")

// NotSavedError is returned with a usable token when renewal succeeded but
// the store could not save the result. The token is still good; tokentop
// keeps it in memory and tries to save it again.
type NotSavedError struct {
	Err error
	// RotatedLost is set when the provider rotated the refresh token and
	// the new one could not be saved however long tokentop tried: once this
	// process ends, only a sign-in can replace it.
	RotatedLost bool
}

// Error says what happened, in one line.
func (e *NotSavedError) Error() string {
	if e.RotatedLost {
		return fmt.Sprintf("renewed but not saved: %v; the rotated refresh token could not be kept, so the next renewal will need a sign-in", e.Err)
	}
	return fmt.Sprintf("renewed but not saved: %v", e.Err)
}

// Unwrap returns the cause.
func (e *NotSavedError) Unwrap() error { return e.Err }

// NotWritableError means a renewal that would send a refresh token was not
// attempted, because the state file could not be written (disk full,
// read-only, over its size cap): the provider would retire the refresh
// token sent and the new one could not be kept. It comes with the current
// token when that is still valid.
type NotWritableError struct{ Err error }

// Error says what happened, in one line.
func (e *NotWritableError) Error() string {
	return fmt.Sprintf("state file cannot be written (%v): not renewing, so the refresh token is not lost", e.Err)
}

// Unwrap returns the cause.
func (e *NotWritableError) Unwrap() error { return e.Err }

// Usable reports whether err comes with a token that can be used all the
// same: one renewed but not saved, one kept because renewing was not safe,
// or one whose Usable method says so (a store's copy, store.StaleError).
func Usable(err error) bool {
	ns, nw := (*NotSavedError)(nil), (*NotWritableError)(nil)
	var u interface{ Usable() bool }
	return errors.As(err, &ns) || errors.As(err, &nw) || errors.As(err, &u) && u.Usable()
}

// ConnError ties an error to the connection it happened on. Its message is
// "NAME: cause", the one line the command line and dashboard show.
type ConnError struct {
	Conn string
	Err  error
}

// Error says what happened, in one line.
func (e *ConnError) Error() string {
	if _, ok := e.Err.(*LockHeldError); ok {
		// "aerion is being renewed by process 4242 (since 10:02:13); …"
		return e.Conn + " " + e.Err.Error()
	}
	return e.Conn + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *ConnError) Unwrap() error { return e.Err }

// LockHeldError means another process held a connection's renewal lock for
// longer than a renewal may take, so the wait for it was given up. The store
// fills in the holder it recorded in the lock file; PID is 0 and Since zero
// when that record is missing or unreadable.
type LockHeldError struct {
	PID    int
	Since  time.Time
	Waited time.Duration
}

// Error says what happened, in one line.
func (e *LockHeldError) Error() string {
	who := "another tokentop"
	if e.PID > 0 {
		who = fmt.Sprintf("process %d", e.PID)
	}
	s := "is being renewed by " + who
	if !e.Since.IsZero() {
		s += " (since " + e.Since.Local().Format("15:04:05") + ")"
	}
	w := e.Waited.Round(time.Second)
	if e.Waited < 10*time.Second {
		w = e.Waited.Round(100 * time.Millisecond)
	}
	return s + "; gave up after " + w.String()
}

// isCancel reports whether err comes from the caller giving up.
func isCancel(err error) bool { return errors.Is(err, context.Canceled) }
