package secret

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"tokentop/flows/redact"
)

// secretWithin runs resolveWith and fails the test when it has not
// returned within d: a hang is the failure, not a slow machine.
func secretWithin(t *testing.T, d time.Duration, spec string, lim limits) (string, error) {
	t.Helper()
	type result struct {
		v   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := resolveWith(context.Background(), spec, lim)
		done <- result{v, err}
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.v, r.err
	case <-timer.C:
		t.Fatalf("resolving the %s secret still waits after %s", New(spec).Source(), d)
		return "", nil
	}
}

// TestSecretSizeCap: a value above 64 KiB is refused from every source,
// with an error that names the source and the cap and holds no value; one
// of exactly 64 KiB (plus a line ending) is kept.
func TestSecretSizeCap(t *testing.T) {
	dir := t.TempDir()
	atCap := "SENTINEL" + strings.Repeat("x", MaxSize-len("SENTINEL"))
	over := atCap + "y"
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Setenv("TOKENTOP_TEST_SECRET_AT_CAP", atCap)
	t.Setenv("TOKENTOP_TEST_SECRET_OVER", over)
	lim := limits{timeout: time.Minute, waitDelay: 100 * time.Millisecond}
	tests := map[string]struct {
		spec string
		kind string // "" when the value is kept
	}{
		"literal at cap":   {spec: atCap},
		"literal over":     {spec: over, kind: "literal"},
		"env at cap":       {spec: "env:TOKENTOP_TEST_SECRET_AT_CAP"},
		"env over":         {spec: "env:TOKENTOP_TEST_SECRET_OVER", kind: "env"},
		"file at cap":      {spec: "file:" + write("at-cap", atCap+"\r\n")},
		"file over":        {spec: "file:" + write("over", over), kind: "file"},
		"file far over":    {spec: "file:" + write("far-over", over+strings.Repeat("z", 1<<20)), kind: "file"},
		"cmd at cap":       {spec: "cmd:cat " + write("cmd-at-cap", atCap+"\n")},
		"cmd over":         {spec: "cmd:cat " + write("cmd-over", over), kind: "cmd"},
		"cmd without end":  {spec: "cmd:yes SENTINEL", kind: "cmd"},
		"cmd over, exit 0": {spec: "cmd:cat " + write("cmd-over-2", over) + "; exit 0", kind: "cmd"},
		"file of newlines": {spec: "file:" + write("newlines", atCap+strings.Repeat("\n", 3)), kind: "file"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			// cmd:yes never ends by itself: only the cap can stop it
			// before the minute's timeout.
			v, err := secretWithin(t, 10*time.Second, tc.spec, lim)
			if tc.kind == "" {
				if err != nil || v != atCap {
					t.Fatalf("got %d bytes, %v; want the %d-byte value", len(v), err, len(atCap))
				}
				return
			}
			if err == nil {
				t.Fatalf("a value of %d bytes was kept", len(v))
			}
			if want := tc.kind + ": secret is larger than 64 KiB"; err.Error() != want {
				t.Fatalf("error %q, want %q", err, want)
			}
			if v != "" {
				t.Fatal("a value came back with the error")
			}
		})
	}
}

// TestSecretCommandErrorHidesStderr: a failed command's error says how it
// ended and nothing it printed; Stderr gives its stderr as one clean
// line, through any wrapping, and never its stdout.
func TestSecretCommandErrorHidesStderr(t *testing.T) {
	lim := limits{timeout: time.Minute, waitDelay: 100 * time.Millisecond}
	tests := map[string]struct {
		cmd, err, stderr string
	}{
		"exit 1": {
			cmd:    `printf 'gpg: decryption failed:\n\033[31mNo secret key\033[0m\r\n\tERR 1\n' >&2; echo SENTINEL-stdout; exit 1`,
			err:    "cmd: secret command failed (exit status 1)",
			stderr: "gpg: decryption failed: [31mNo secret key [0m ERR 1",
		},
		"escape sequences": {
			cmd:    `printf '\033]52;c;SGVsbG8=\007\033[2Jvault: permission denied\n' >&2; exit 2`,
			err:    "cmd: secret command failed (exit status 2)",
			stderr: "]52;c;SGVsbG8= [2Jvault: permission denied",
		},
		"no stderr": {
			cmd: "exit 3",
			err: "cmd: secret command failed (exit status 3)",
		},
		"printed nothing": {
			cmd:    "echo 'op: not signed in' >&2",
			err:    "cmd: secret command failed (printed nothing)",
			stderr: "op: not signed in",
		},
		"long stderr": {
			cmd:    `head -c 100000 /dev/zero | tr '\0' e >&2; exit 1`,
			err:    "cmd: secret command failed (exit status 1)",
			stderr: strings.Repeat("e", redact.MaxLine) + "…",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := secretWithin(t, 10*time.Second, "cmd:"+tc.cmd, lim)
			if err == nil {
				t.Fatal("no error")
			}
			wrapped := fmt.Errorf("client_secret: %w", err)
			if err.Error() != tc.err {
				t.Errorf("error %q, want %q", err, tc.err)
			}
			if got := Stderr(wrapped); got != tc.stderr {
				t.Errorf("Stderr = %q, want %q", got, tc.stderr)
			}
			var ce *CommandError
			if !errors.As(wrapped, &ce) || ce.Source != "cmd" {
				t.Fatalf("no *CommandError from cmd in %v", wrapped)
			}
			if len(ce.stderr) > maxStderr {
				t.Errorf("kept %d bytes of stderr", len(ce.stderr))
			}
			for _, s := range []string{"SENTINEL", "decryption", "denied", "signed in", "eee"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q holds %q", err, s)
				}
				if s == "SENTINEL" && strings.Contains(Stderr(err), s) {
					t.Errorf("Stderr holds the command's stdout")
				}
			}
		})
	}
	if got := Stderr(errors.New("exit status 1")); got != "" {
		t.Errorf("Stderr of another error = %q", got)
	}
	if got := Stderr(nil); got != "" {
		t.Errorf("Stderr(nil) = %q", got)
	}
}

// TestSecretCommandCanceled: a caller that gives up gets an error that
// wraps its context's, so it is taken for a cancellation, not a failure.
func TestSecretCommandCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := resolveWith(ctx, "cmd:sleep 60", limits{timeout: time.Minute, waitDelay: 100 * time.Millisecond})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v does not wrap context.Canceled", err)
	}
}

func TestCappedBuffer(t *testing.T) {
	full := 0
	b := &cappedBuffer{max: 5, full: func() { full++ }}
	for _, s := range []string{"abc", "def", "ghi"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if b.String() != "abcde" || !b.overflow || full != 1 {
		t.Fatalf("kept %q, overflow %v, full called %d times", b.String(), b.overflow, full)
	}
}
