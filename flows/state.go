package flows

import (
	"time"
)

// maxEvents is how many events a connection's log keeps; older ones are dropped.
const maxEvents = 100

// MaxChecks is how many health checks a connection's history keeps: at the
// default check_every of 5m, four hours.
const MaxChecks = 48

// State is everything tokentop remembers about one connection between runs.
// It never holds a password or a client secret.
type State struct {
	// Token is nil when the connection is signed out.
	Token *Token
	// LastError is the last failure, already made safe to print (one line,
	// no control characters, no secrets); empty after a success.
	LastError   string
	LastErrorAt time.Time
	// NeedsSignIn is set when the provider refused the stored grant
	// (invalid_grant): only a person signing in again can fix it.
	NeedsSignIn bool
	LastRenewal time.Time
	// Failures counts the renewals that failed in a row for a cause a
	// person need not act on (the provider unreachable, an HTTP 503);
	// RetryAt is when the next one is due. Both are cleared by a success.
	Failures int
	RetryAt  time.Time
	// InFlight is set, before a refresh token is sent, by the process that
	// sends it, and cleared when the result is saved or the attempt
	// recorded. Writing it proves the state file can take the rotated
	// refresh token; found set by a later holder of the renewal lock, it
	// says an earlier renewal ended without saving what it got.
	InFlight *InFlight
	// Refused says a tool reported the token refused (git's erase): it is
	// not handed out again, and the next request renews.
	Refused   bool
	LastCheck *Check
	// Checks is the recent health checks, oldest first, at most
	// MaxChecks: what the dashboard draws as a trend.
	Checks []Check
	// Events is the connection's history, oldest first, at most maxEvents.
	Events []Event
	// Rev is the store's revision of this state; it grows on every write.
	Rev uint64
}

// InFlight records a renewal on its way: which process sent it, and when.
type InFlight struct {
	PID   int
	Since time.Time
}

// Check is the outcome of one health check: GET check_url with the bearer,
// or an RFC 7662 introspection of the access token.
type Check struct {
	At      time.Time
	Status  int // HTTP status; 0 when no answer came
	Latency time.Duration
	// Err is a one-line safe description of a failure; empty on success.
	Err string
	// Introspection is the answer of check = "introspect"; nil otherwise.
	Introspection *Introspection
}

// OK reports whether the check got a 2xx answer.
func (c *Check) OK() bool { return c != nil && c.Err == "" && c.Status >= 200 && c.Status < 300 }

// EventKind names what happened to a connection.
type EventKind string

// The kinds of event a connection's log records.
const (
	EventSignIn  EventKind = "sign-in"
	EventRenewal EventKind = "renewal"
	EventFailure EventKind = "failure"
	EventCheck   EventKind = "check"
	EventLogout  EventKind = "logout"
)

// Event is one entry of a connection's history.
type Event struct {
	At     time.Time
	Kind   EventKind
	Detail string // safe to print
}

// Record appends an event, keeping at most maxEvents.
func (s *State) Record(at time.Time, kind EventKind, detail string) {
	s.Events = append(s.Events, Event{At: at, Kind: kind, Detail: detail})
	if n := len(s.Events); n > maxEvents {
		s.Events = append([]Event(nil), s.Events[n-maxEvents:]...)
	}
}

// Clone returns a deep copy of s.
func (s State) Clone() State {
	c := s
	c.Token = s.Token.Clone()
	if s.InFlight != nil {
		r := *s.InFlight
		c.InFlight = &r
	}
	if s.LastCheck != nil {
		lc := *s.LastCheck
		c.LastCheck = &lc
	}
	c.Checks = append([]Check(nil), s.Checks...)
	c.Events = append([]Event(nil), s.Events...)
	return c
}
