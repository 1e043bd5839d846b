package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"tokentop/flows"
)

// formatVersion is the version of the encoding of one stored State. Bump it
// when the encoding changes in a way an older tokentop cannot read, and keep
// a decoder for every older version.
const formatVersion = 1

// ErrNewerFormat means a value or the file itself was written by a newer
// tokentop than this one; the remedy is to upgrade tokentop.
var ErrNewerFormat = errors.New("saved by a newer tokentop")

// newerFormatError says which connection (or the whole file, when conn is
// empty) a newer tokentop wrote.
type newerFormatError struct {
	conn   string
	path   string
	format uint64
}

func (e *newerFormatError) Error() string {
	if e.conn == "" {
		return fmt.Sprintf("store: state file %s was written by a newer tokentop (format %d); upgrade tokentop", e.path, e.format)
	}
	return fmt.Sprintf("store: connection %q was saved by a newer tokentop (format %d); upgrade tokentop", e.conn, e.format)
}

func (e *newerFormatError) Unwrap() error { return ErrNewerFormat }

// envelope is how every stored State starts: the format version first, so a
// decoder knows how to read the rest before it tries.
type envelope struct {
	V     uint64          `json:"v"`
	State json.RawMessage `json:"state"`
}

// The v1 wire types mirror flows.State field by field. They are separate from
// the domain types so that renaming a Go field, or a flows type growing a
// MarshalJSON that redacts secrets, can never change what is on disk.
type stateV1 struct {
	Token       *tokenV1  `json:"token,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	NeedsSignIn bool      `json:"needs_sign_in,omitempty"`
	Refused     bool      `json:"refused,omitempty"`
	LastRenewal time.Time `json:"last_renewal,omitzero"`
	// Added within v1: an older tokentop ignores them.
	Failures  int         `json:"failures,omitempty"`
	RetryAt   time.Time   `json:"retry_at,omitzero"`
	InFlight  *inFlightV1 `json:"in_flight,omitempty"`
	LastCheck *checkV1    `json:"last_check,omitempty"`
	Checks    []checkV1   `json:"checks,omitempty"`
	Events    []eventV1   `json:"events,omitempty"`
	Rev       uint64      `json:"rev,omitempty"`
}

type tokenV1 struct {
	AccessToken  string            `json:"access_token,omitempty"`
	RefreshToken string            `json:"refresh_token,omitempty"`
	TokenType    string            `json:"token_type,omitempty"`
	Expiry       time.Time         `json:"expiry,omitzero"`
	ObtainedAt   time.Time         `json:"obtained_at,omitzero"`
	Scopes       []string          `json:"scopes,omitempty"`
	Extra        map[string]string `json:"extra,omitempty"`
	Notes        []string          `json:"notes,omitempty"`
	Origin       *originV1         `json:"origin,omitempty"`
}

type originV1 struct {
	TokenURL string `json:"token_url,omitempty"`
	Issuer   string `json:"issuer,omitempty"`
	ClientID string `json:"client_id,omitempty"`
}

type inFlightV1 struct {
	PID   int       `json:"pid,omitempty"`
	Since time.Time `json:"since,omitzero"`
}

type checkV1 struct {
	At        time.Time `json:"at,omitzero"`
	Status    int       `json:"status,omitempty"`
	LatencyNS int64     `json:"latency_ns,omitempty"`
	Err       string    `json:"err,omitempty"`

	Introspection *introspectionV1 `json:"introspection,omitempty"`
}

type eventV1 struct {
	At     time.Time `json:"at,omitzero"`
	Kind   string    `json:"kind,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// encodeState returns the stored form of s.
func encodeState(s flows.State) ([]byte, error) {
	w := stateV1{
		LastError:   s.LastError,
		LastErrorAt: s.LastErrorAt,
		NeedsSignIn: s.NeedsSignIn,
		Refused:     s.Refused,
		LastRenewal: s.LastRenewal,
		Failures:    s.Failures,
		RetryAt:     s.RetryAt,
		Rev:         s.Rev,
	}
	if f := s.InFlight; f != nil {
		w.InFlight = &inFlightV1{PID: f.PID, Since: f.Since}
	}
	if t := s.Token; t != nil {
		w.Token = &tokenV1{
			AccessToken:  t.AccessToken,
			RefreshToken: t.RefreshToken,
			TokenType:    t.TokenType,
			Expiry:       t.Expiry,
			ObtainedAt:   t.ObtainedAt,
			Scopes:       t.Scopes,
			Extra:        t.Extra,
			Notes:        t.Notes,
		}
		if !t.Origin.IsZero() {
			w.Token.Origin = &originV1{TokenURL: t.Origin.TokenURL, Issuer: t.Origin.Issuer, ClientID: t.Origin.ClientID}
		}
	}
	if c := s.LastCheck; c != nil {
		lc := checkToV1(*c)
		w.LastCheck = &lc
	}
	if len(s.Checks) > 0 {
		w.Checks = make([]checkV1, len(s.Checks))
		for i, c := range s.Checks {
			w.Checks[i] = checkToV1(c)
		}
	}
	if len(s.Events) > 0 {
		w.Events = make([]eventV1, len(s.Events))
		for i, e := range s.Events {
			w.Events[i] = eventV1{At: e.At, Kind: string(e.Kind), Detail: e.Detail}
		}
	}
	inner, err := json.Marshal(w)
	if err != nil {
		// Only a time outside years 0-9999 gets here; the message names the
		// field's type, never a value.
		return nil, fmt.Errorf("store: encoding state: %w", err)
	}
	return json.Marshal(envelope{V: formatVersion, State: inner})
}

// decodeState reads a value stored for the connection name. It copies
// everything it keeps, so b may be memory owned by a bbolt transaction.
// Errors never quote the value: it holds tokens.
func decodeState(name string, b []byte) (flows.State, error) {
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return flows.State{}, fmt.Errorf("store: connection %q: stored value is not readable: %w", name, redactJSONError(err))
	}
	switch {
	case env.V > formatVersion:
		return flows.State{}, &newerFormatError{conn: name, format: env.V}
	case env.V == 0:
		return flows.State{}, fmt.Errorf("store: connection %q: stored value has no format version", name)
	}
	var w stateV1
	if err := json.Unmarshal(env.State, &w); err != nil {
		return flows.State{}, fmt.Errorf("store: connection %q: stored value is not readable (format %d): %w", name, env.V, redactJSONError(err))
	}
	s := flows.State{
		LastError:   w.LastError,
		LastErrorAt: w.LastErrorAt,
		NeedsSignIn: w.NeedsSignIn,
		Refused:     w.Refused,
		LastRenewal: w.LastRenewal,
		Failures:    w.Failures,
		RetryAt:     w.RetryAt,
		Rev:         w.Rev,
	}
	if f := w.InFlight; f != nil {
		s.InFlight = &flows.InFlight{PID: f.PID, Since: f.Since}
	}
	if t := w.Token; t != nil {
		s.Token = &flows.Token{
			AccessToken:  t.AccessToken,
			RefreshToken: t.RefreshToken,
			TokenType:    t.TokenType,
			Expiry:       t.Expiry,
			ObtainedAt:   t.ObtainedAt,
			Scopes:       t.Scopes,
			Extra:        t.Extra,
			Notes:        t.Notes,
		}
		if o := t.Origin; o != nil {
			s.Token.Origin = flows.Origin{TokenURL: o.TokenURL, Issuer: o.Issuer, ClientID: o.ClientID}
		}
	}
	if c := w.LastCheck; c != nil {
		lc := checkFromV1(*c)
		s.LastCheck = &lc
	}
	if len(w.Checks) > 0 {
		s.Checks = make([]flows.Check, len(w.Checks))
		for i, c := range w.Checks {
			s.Checks[i] = checkFromV1(c)
		}
	}
	if len(w.Events) > 0 {
		s.Events = make([]flows.Event, len(w.Events))
		for i, e := range w.Events {
			s.Events[i] = flows.Event{At: e.At, Kind: flows.EventKind(e.Kind), Detail: e.Detail}
		}
	}
	return s, nil
}

// redactJSONError keeps the kind and position of a JSON error and drops
// anything that could quote the input: a time.Time parse error, for one,
// repeats the string it could not parse, and that string sits next to tokens.
func redactJSONError(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("invalid JSON at byte %d", syn.Offset)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		// typ.Value would quote a number; the field and type are enough.
		return fmt.Errorf("field %s does not hold a %s", typ.Field, typ.Type)
	}
	return errors.New("malformed value")
}

// A revs value is the revision (big-endian uint64, so revisions sort as
// bytes) followed by a flags byte; flagForgotten marks a tombstone.
const (
	revLen        = 9
	flagForgotten = 1
)

func encodeRev(rev uint64, forgotten bool) []byte {
	b := make([]byte, revLen)
	binary.BigEndian.PutUint64(b, rev)
	if forgotten {
		b[8] = flagForgotten
	}
	return b
}

func decodeRev(b []byte) (rev uint64, forgotten bool, ok bool) {
	if len(b) != revLen {
		return 0, false, false
	}
	return binary.BigEndian.Uint64(b), b[8]&flagForgotten != 0, true
}

func encodeUint(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func decodeUint(b []byte) (uint64, bool) {
	if len(b) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(b), true
}

// EncodeState returns the stored form of s, the same bytes the bbolt store
// writes (format version formatVersion first), so that other back ends such
// as store/etcd keep one encoding.
func EncodeState(s flows.State) ([]byte, error) { return encodeState(s) }

// DecodeState reads a value EncodeState wrote for the connection name. Its
// errors name the connection and never quote the value.
func DecodeState(name string, b []byte) (flows.State, error) { return decodeState(name, b) }
