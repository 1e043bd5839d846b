package store

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"tokentop/flows"
)

// fullState sets every field of State and of the types it holds, so that
// TestEncodingCoversEveryField notices a field the encoding would drop.
func fullState() flows.State {
	at := time.Date(2026, 11, 23, 15, 42, 0, 123456789, time.UTC)
	return flows.State{
		Token: &flows.Token{
			AccessToken:  "access-0123456789abcdef",
			RefreshToken: "refresh-0123456789abcdef",
			TokenType:    "Bearer",
			Expiry:       at.Add(time.Hour),
			ObtainedAt:   at,
			Scopes:       []string{"read", "write"},
			Extra:        map[string]string{"account_subdomain": "acme"},
			Notes:        []string{"token_type missing: assumed Bearer"},
			Origin:       flows.Origin{TokenURL: "https://acme.aha.io/oauth/token", Issuer: "https://idp.example", ClientID: "client-1"},
		},
		Failures:    2,
		RetryAt:     at.Add(20 * time.Second),
		InFlight:    &flows.InFlight{PID: 4242, Since: at.Add(-time.Second)},
		LastError:   "check failed: 503",
		LastErrorAt: at.Add(-time.Minute),
		NeedsSignIn: true,
		Refused:     true,
		LastRenewal: at.Add(-time.Hour),
		LastCheck: &flows.Check{At: at, Status: 200, Latency: 42 * time.Millisecond, Err: "slow",
			Introspection: &flows.Introspection{Active: true, Expiry: at.Add(time.Hour), Scope: "read", ClientID: "client-1", Subject: "alice"}},
		Checks: []flows.Check{{At: at, Status: 503, Latency: time.Second, Err: "HTTP 503",
			Introspection: &flows.Introspection{Active: true, Expiry: at, Scope: "write", ClientID: "client-2", Subject: "bob"}}},
		Events: []flows.Event{{At: at, Kind: flows.EventRenewal, Detail: "renewed"}},
		Rev:    7,
	}
}

// zeroFields lists the fields of v (a struct), and of the structs it points
// to or holds in slices, that are zero.
func zeroFields(prefix string, v reflect.Value) []string {
	var zero []string
	for i := 0; i < v.NumField(); i++ {
		f, name := v.Field(i), prefix+v.Type().Field(i).Name
		if f.IsZero() {
			zero = append(zero, name)
			continue
		}
		switch {
		case f.Kind() == reflect.Pointer && f.Elem().Kind() == reflect.Struct:
			zero = append(zero, zeroFields(name+".", f.Elem())...)
		case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Struct:
			zero = append(zero, zeroFields(name+"[0].", f.Index(0))...)
		}
	}
	return zero
}

func TestEncodingCoversEveryField(t *testing.T) {
	s := fullState()
	if zero := zeroFields("State.", reflect.ValueOf(s)); len(zero) > 0 {
		t.Fatalf("fullState leaves %v zero: a field was added to flows; set it here and encode it in encoding.go", zero)
	}
	b, err := encodeState(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeState("x", b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, s)
	}
	if !bytes.HasPrefix(b, []byte(`{"v":1,"state":{`)) {
		t.Errorf("encoding does not start with the version envelope: %.40s", b)
	}
}

func TestDecodeState(t *testing.T) {
	const secret = "SECRET-VALUE-123456789"
	tests := map[string]struct {
		in      string
		want    flows.State
		wantErr string // substring; empty for success
		newer   bool
	}{
		"empty state":    {in: `{"v":1,"state":{}}`},
		"unknown fields": {in: `{"v":1,"state":{"rev":3,"later":true},"also":1}`, want: flows.State{Rev: 3}},
		"newer format": {
			in:      `{"v":2,"state":{"whatever":1}}`,
			wantErr: `store: connection "conn" was saved by a newer tokentop (format 2); upgrade tokentop`,
			newer:   true,
		},
		"no version":     {in: `{"state":{}}`, wantErr: "no format version"},
		"not json":       {in: "\x00\x01garbage", wantErr: "invalid JSON at byte 1"},
		"truncated":      {in: `{"v":1,"state":{"token":{"access_token":"` + secret, wantErr: "not readable"},
		"bad time":       {in: `{"v":1,"state":{"token":{"access_token":"a","expiry":"` + secret + `"}}}`, wantErr: "malformed value"},
		"wrong type":     {in: `{"v":1,"state":{"rev":"` + secret + `"}}`, wantErr: "does not hold a uint64"},
		"state not obj":  {in: `{"v":1,"state":"` + secret + `"}`, wantErr: "not readable"},
		"negative ver":   {in: `{"v":-1}`, wantErr: "not readable"},
		"empty input":    {in: ``, wantErr: "not readable"},
		"null":           {in: `null`, wantErr: "no format version"},
		"version as str": {in: `{"v":"1"}`, wantErr: "not readable"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := decodeState("conn", []byte(tt.in))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("got %+v, want %+v", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, state %+v", got)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error quotes the stored value: %q", err)
			}
			if errors.Is(err, ErrNewerFormat) != tt.newer {
				t.Errorf("errors.Is(err, ErrNewerFormat) = %v, want %v", !tt.newer, tt.newer)
			}
		})
	}
}

func TestRevEncoding(t *testing.T) {
	for _, tt := range []struct {
		rev       uint64
		forgotten bool
	}{{0, false}, {1, true}, {1<<64 - 1, false}, {1 << 40, true}} {
		rev, forgotten, ok := decodeRev(encodeRev(tt.rev, tt.forgotten))
		if !ok || rev != tt.rev || forgotten != tt.forgotten {
			t.Errorf("decodeRev(encodeRev(%d, %v)) = %d, %v, %v", tt.rev, tt.forgotten, rev, forgotten, ok)
		}
	}
	if _, _, ok := decodeRev([]byte{1, 2, 3}); ok {
		t.Error("decodeRev accepted a short value")
	}
}

// FuzzDecodeState checks that no stored value makes the decoder panic, and
// that whatever it accepts survives a round trip unchanged.
func FuzzDecodeState(f *testing.F) {
	full, err := encodeState(fullState())
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(full),
		`{"v":1,"state":{}}`,
		`{"v":2,"state":{}}`,
		`{"v":1,"state":{"token":{"access_token":"a","expiry":"2026-01-02T03:04:05Z","extra":{"k":"v"}}}}`,
		`{"v":1,"state":{"events":[{"at":"2026-01-02T03:04:05+01:00","kind":"renewal"}],"last_check":{"latency_ns":-5}}}`,
		`{"v":1,"state":null}`,
		`{"v":18446744073709551615}`,
		``,
		`[]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeState("fuzz", b)
		if err != nil {
			return
		}
		enc, err := encodeState(s)
		if err != nil {
			// Only times outside years 0-9999, which JSON cannot carry back.
			return
		}
		s2, err := decodeState("fuzz", enc)
		if err != nil {
			t.Fatalf("re-encoded value does not decode: %v", err)
		}
		enc2, err := encodeState(s2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("round trip changed the value:\n%s\n%s", enc, enc2)
		}
	})
}

// FuzzEncodeState checks that what a provider can hand out (JSON strings,
// so valid UTF-8) comes back from the store exactly.
func FuzzEncodeState(f *testing.F) {
	f.Add("at-123", "rt-456", "account_subdomain", "acme", "renewed", int64(1_795_000_000_123_456_789), 200, int64(42_000_000))
	f.Add("", "", "", "", "", int64(0), 0, int64(0))
	f.Add("\u2028\"<>&", "\x00\x1f", "k", "\xff", "é", int64(-1), -1, int64(-1))
	f.Fuzz(func(t *testing.T, access, refresh, key, value, detail string, nanos int64, status int, latency int64) {
		for _, s := range []string{access, refresh, key, value, detail} {
			if !utf8.ValidString(s) {
				return // not something a JSON token response can carry
			}
		}
		at := time.Unix(0, nanos).UTC()
		s := flows.State{
			Token: &flows.Token{
				AccessToken: access, RefreshToken: refresh, TokenType: "Bearer",
				Expiry: at, ObtainedAt: at,
				Scopes: []string{key}, Extra: map[string]string{key: value}, Notes: []string{detail},
			},
			LastError:   detail,
			LastErrorAt: at,
			LastCheck:   &flows.Check{At: at, Status: status, Latency: time.Duration(latency), Err: detail},
			Events:      []flows.Event{{At: at, Kind: flows.EventKind(key), Detail: detail}},
			Rev:         uint64(nanos),
		}
		b, err := encodeState(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeState("fuzz", b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, s) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, s)
		}
	})
}
