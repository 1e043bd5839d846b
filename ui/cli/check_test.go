package cli

import (
	"bytes"
	"context"
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

func TestRunCheckUnknown(t *testing.T) {
	svc, fake := newService(t)
	var out bytes.Buffer
	err := RunCheck(context.Background(), CheckOptions{Service: svc, Names: []string{"aikido", "nope"}, Out: &out})
	wantKind(t, err, Usage, true)
	if err.Error() != "nope: "+flows.ErrUnknownConnection.Error() || out.Len() != 0 || len(fake.Requests("aikido")) != 0 {
		t.Fatalf("check with an unknown name: %v, printed %q, %d requests", err, out.String(), len(fake.Requests("aikido")))
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
