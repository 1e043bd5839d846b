package flows

import (
	"errors"
	"fmt"
)

// ErrSignInRequired means the connection has no token that can be used or
// renewed without a person: run its login flow.
var ErrSignInRequired = errors.New("sign-in required")

// ErrUnknownConnection means no connection of that name is configured.
var ErrUnknownConnection = errors.New("unknown connection")

// NotSavedError is returned with a usable token when renewal succeeded but
// the store could not save the result. The token is still good; tokentop
// keeps it in memory and tries to save it again.
type NotSavedError struct{ Err error }

func (e *NotSavedError) Error() string { return fmt.Sprintf("renewed but not saved: %v", e.Err) }
func (e *NotSavedError) Unwrap() error { return e.Err }

// ConnError ties an error to the connection it happened on. Its message is
// "NAME: cause", the one line the command line and dashboard show.
type ConnError struct {
	Conn string
	Err  error
}

func (e *ConnError) Error() string { return e.Conn + ": " + e.Err.Error() }
func (e *ConnError) Unwrap() error { return e.Err }
