package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"testing"

	"tokentop/flows"
)

func TestRunCheck(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	var out bytes.Buffer
	if err := RunCheck(ctx, CheckOptions{Service: svc, Names: []string{"aikido"}, Out: &out}); err != nil {
		t.Fatalf("check aikido: %v\n%s", err, out.String())
	}
	if !regexp.MustCompile(`^aikido: HTTP 200 · \d+ ms\n$`).MatchString(out.String()) {
		t.Fatalf("check aikido printed %q", out.String())
	}

	// Every connection, in the config's order, whichever answers first.
	out.Reset()
	err := RunCheck(ctx, CheckOptions{Service: svc, Out: &out})
	wantKind(t, err, Attention, false)
	want := regexp.MustCompile(`^aikido: HTTP 200 · \d+ ms\naerion: sign-in required: run tokentop login aerion\n$`)
	if !want.MatchString(out.String()) {
		t.Fatalf("check printed %q", out.String())
	}
	if st, _ := svc.State("aikido"); st.LastCheck == nil || !st.LastCheck.OK() {
		t.Errorf("aikido's check was not recorded: %+v", st.LastCheck)
	}
}

// TestRunCheckUnknown: an unknown name is a usage error before any check,
// with the nearest configured name when one is near.
func TestRunCheckUnknown(t *testing.T) {
	cases := map[string]string{
		"nope":  "nope: unknown connection (configured: 2 connections in config.toml)",
		"aikdo": "aikdo: unknown connection; did you mean aikido?",
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			svc, fake := newService(t)
			var out bytes.Buffer
			err := RunCheck(context.Background(), CheckOptions{Service: svc, Names: []string{"aikido", name}, Out: &out, JSON: true})
			wantKind(t, err, Usage, true)
			if !errors.Is(err, flows.ErrUnknownConnection) || err.Error() != want || out.Len() != 0 || len(fake.Requests("aikido")) != 0 {
				t.Fatalf("check with an unknown name: %v, printed %q, %d requests", err, out.String(), len(fake.Requests("aikido")))
			}
		})
	}
}

// TestRunCheckJSON: check --json prints the checked connections alone, in
// the order named, as status --json does, after their checks.
func TestRunCheckJSON(t *testing.T) {
	svc, _ := newService(t)
	var out bytes.Buffer
	err := RunCheck(context.Background(), CheckOptions{Service: svc, Names: []string{"aerion", "aikido"}, Out: &out, JSON: true})
	wantKind(t, err, Attention, false)
	var rows []connectionJSON
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("check --json: %v\n%s", err, out.String())
	}
	if rows[0].Name != "aerion" || rows[0].Condition != "signed_out" || rows[0].LastCheck != nil {
		t.Errorf("aerion: %+v", rows[0])
	}
	if r := rows[1]; r.Name != "aikido" || r.LastCheck == nil || !r.LastCheck.OK || r.LastCheck.Status != 200 || r.Condition != "valid" {
		t.Errorf("aikido: %+v", r)
	}
	out.Reset()
	if err := RunCheck(context.Background(), CheckOptions{Service: svc, Names: []string{"aikido"}, Out: &out, JSON: true, Encryption: "keyring"}); err != nil {
		t.Fatalf("a check that passed: %v", err)
	}
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("check --json aikido: %v\n%s", err, out.String())
	}
	// The same "encryption" as status --json gives.
	if e := rows[0].Encryption; e == nil || *e != "keyring" {
		t.Errorf("check --json aikido: encryption %v, want keyring", e)
	}
}

func TestRunConfigCheck(t *testing.T) {
	svc, _ := newService(t)
	var out bytes.Buffer
	if err := RunConfigCheck(ConfigCheckOptions{Config: svc.Config(), Out: &out}); err != nil {
		t.Fatal(err)
	}
	if want := "config.toml: 2 connections, ok\n"; out.String() != want {
		t.Fatalf("config check printed %q, want %q", out.String(), want)
	}
}
