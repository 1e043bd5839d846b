package store

import (
	"time"

	"tokentop/flows"
)

// introspectionV1 is flows.Introspection on disk: what check = "introspect"
// learnt of the token (RFC 7662 §2.2). Added within v1: an older tokentop
// ignores it.
type introspectionV1 struct {
	Active   bool      `json:"active"`
	Expiry   time.Time `json:"exp,omitzero"`
	Scope    string    `json:"scope,omitempty"`
	ClientID string    `json:"client_id,omitempty"`
	Subject  string    `json:"sub,omitempty"`
}

// checkToV1 is a Check as stored.
func checkToV1(c flows.Check) checkV1 {
	w := checkV1{At: c.At, Status: c.Status, LatencyNS: int64(c.Latency), Err: c.Err}
	if in := c.Introspection; in != nil {
		w.Introspection = &introspectionV1{Active: in.Active, Expiry: in.Expiry, Scope: in.Scope, ClientID: in.ClientID, Subject: in.Subject}
	}
	return w
}

// checkFromV1 is a stored Check.
func checkFromV1(w checkV1) flows.Check {
	c := flows.Check{At: w.At, Status: w.Status, Latency: time.Duration(w.LatencyNS), Err: w.Err}
	if in := w.Introspection; in != nil {
		c.Introspection = &flows.Introspection{Active: in.Active, Expiry: in.Expiry, Scope: in.Scope, ClientID: in.ClientID, Subject: in.Subject}
	}
	return c
}
