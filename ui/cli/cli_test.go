package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"tokentop/flows"
	"tokentop/flows/secret"
)

func TestReport(t *testing.T) {
	cases := map[string]struct {
		err  error
		want string
	}{
		"nil":         {nil, ""},
		"no text":     {&Error{Kind: Attention}, ""},
		"one line":    {errors.New("aikido: invalid_client"), "tokentop: aikido: invalid_client\n"},
		"multi-error": {errors.Join(errors.New("a: one"), errors.New("b: two")), "tokentop: a: one\n  b: two\n"},
		"escapes":     {errors.New("bad \x1b[31mred\x1b[0m"), "tokentop: bad [31mred [0m\n"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			Report(&b, tc.err)
			if b.String() != tc.want {
				t.Fatalf("Report wrote %q, want %q", b.String(), tc.want)
			}
		})
	}
}

// TestReportSecretStderr: what a failed secret command wrote on its
// standard error is shown after the error, which does not hold it.
func TestReportSecretStderr(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("cmd: secrets run through sh")
	}
	_, err := secret.New("cmd:echo the vault is sealed >&2; exit 3").Resolve(context.Background())
	if err == nil {
		t.Fatal("the secret command did not fail")
	}
	var b bytes.Buffer
	Report(&b, attentionErr(fmt.Errorf("aikido: client_secret: %w", err)))
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "tokentop: aikido: client_secret: ") || strings.Contains(lines[0], "sealed") ||
		lines[1] != "tokentop: the secret command said: the vault is sealed" {
		t.Fatalf("Report wrote %q", b.String())
	}
}

func TestWarn(t *testing.T) {
	var b bytes.Buffer
	Warn(&b, "config.toml is readable by others\x07")
	if want := "tokentop: warning: config.toml is readable by others\n"; b.String() != want {
		t.Fatalf("Warn wrote %q, want %q", b.String(), want)
	}
}

// TestForPeople: the command line adds what to run to a sign-in required,
// once, and keeps the cause in the chain.
func TestForPeople(t *testing.T) {
	cases := map[string]struct {
		err  error
		want string
	}{
		"sign-in required": {
			fmt.Errorf("aerion: %w (invalid_grant: refresh token expired)", flows.ErrSignInRequired),
			"aerion: sign-in required (invalid_grant: refresh token expired): run tokentop login aerion",
		},
		"domain said it already": {
			fmt.Errorf("aerion: %w: run tokentop login aerion", flows.ErrSignInRequired),
			"aerion: sign-in required: run tokentop login aerion",
		},
		"another failure": {errors.New("aerion: token endpoint: HTTP 503"), "aerion: token endpoint: HTTP 503"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := forPeople(tc.err, "aerion")
			if got.Error() != tc.want {
				t.Fatalf("forPeople = %q, want %q", got, tc.want)
			}
			if !errors.Is(got, tc.err) {
				t.Fatalf("forPeople lost the cause %v", tc.err)
			}
		})
	}
}

func TestSignInHint(t *testing.T) {
	cases := map[string]struct{ msg, want string }{
		"no reason": {"", "run tokentop login aerion"},
		"a reason":  {"invalid_grant: refresh token expired", "invalid_grant: refresh token expired: run tokentop login aerion"},
		"said":      {"run tokentop login aerion", "run tokentop login aerion"},
	}
	for name, tc := range cases {
		if got := signInHint(tc.msg, "aerion"); got != tc.want {
			t.Errorf("%s: signInHint(%q) = %q, want %q", name, tc.msg, got, tc.want)
		}
	}
}
