package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"tokentop/flows"
)

func TestRunToken(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	var out, errOut bytes.Buffer
	if err := RunToken(ctx, TokenOptions{Service: svc, Name: "aikido", Out: &out, ErrOut: &errOut}); err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSuffix(out.String(), "\n")
	if tok == "" || strings.ContainsAny(tok, " \n") || errOut.Len() != 0 {
		t.Fatalf("token printed %q, stderr %q", out.String(), errOut.String())
	}
	out.Reset()
	if err := RunToken(ctx, TokenOptions{Service: svc, Name: "aikido", Header: true, Out: &out, ErrOut: &errOut}); err != nil {
		t.Fatal(err)
	}
	if want := "Authorization: Bearer " + tok + "\n"; out.String() != want {
		t.Fatalf("header printed %q, want %q", out.String(), want)
	}
}

// TestRunTokenFailures: the full text of each failure, as run prints it,
// and its kind.
func TestRunTokenFailures(t *testing.T) {
	svc, _ := newService(t)
	cases := map[string]struct {
		name string
		kind Kind
		is   error
		want string
	}{
		"signed out": {"aerion", Attention, flows.ErrSignInRequired, "tokentop: aerion: sign-in required: run tokentop login aerion\n"},
		"unknown":    {"nope", Usage, flows.ErrUnknownConnection, "tokentop: nope: unknown connection (configured: 2 connections in config.toml)\n"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := RunToken(context.Background(), TokenOptions{Service: svc, Name: tc.name, Out: &out, ErrOut: &errOut})
			wantKind(t, err, tc.kind, true)
			if !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			var b bytes.Buffer
			Report(&b, err)
			if b.String() != tc.want || out.Len() != 0 {
				t.Errorf("reported %q (stdout %q), want %q", b.String(), out.String(), tc.want)
			}
		})
	}
}
