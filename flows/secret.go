package flows

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Secret is a configured secret value: "env:NAME", "cmd:COMMAND" (run with
// sh -c, stdout trimmed, bounded in time), "file:PATH", or a literal. It is
// resolved only when its connection needs it, and it never prints itself.
type Secret struct {
	spec string
}

// NewSecret returns a Secret for a config value.
func NewSecret(spec string) Secret { return Secret{spec: spec} }

// IsZero reports whether no value was configured.
func (s Secret) IsZero() bool { return s.spec == "" }

// IsLiteral reports whether the value is written in the config itself.
func (s Secret) IsLiteral() bool {
	return s.spec != "" && s.Source() == "literal"
}

// String describes where the secret comes from, never its value.
func (s Secret) String() string {
	if s.spec == "" {
		return "(none)"
	}
	return "(" + s.Source() + " secret)"
}

// LogValue implements slog.LogValuer without the value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Resolve returns the secret's value: it reads the environment variable, the
// file, or runs the command. ctx bounds the command's run time.
func (s Secret) Resolve(ctx context.Context) (string, error) {
	return resolveSecret(ctx, s.spec)
}

// Source names where the secret comes from: "env", "cmd", "file" or "literal".
func (s Secret) Source() string {
	for _, p := range []string{"env", "cmd", "file"} {
		if strings.HasPrefix(s.spec, p+":") {
			return p
		}
	}
	return "literal"
}

// secretCommandTimeout bounds a cmd: secret, so a password manager waiting
// for a touch cannot hang tokentop forever.
const secretCommandTimeout = 30 * time.Second

func resolveSecret(ctx context.Context, spec string) (string, error) {
	kind, arg, _ := strings.Cut(spec, ":")
	switch kind {
	case "env":
		v, ok := os.LookupEnv(arg)
		if !ok || v == "" {
			return "", fmt.Errorf("environment variable %s is not set", arg)
		}
		return v, nil
	case "file":
		b, err := os.ReadFile(arg)
		if err != nil {
			return "", fmt.Errorf("reading secret file: %w", err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("secret file %s is empty", arg)
		}
		return v, nil
	case "cmd":
		ctx, cancel := context.WithTimeout(ctx, secretCommandTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, "sh", "-c", arg)
		cmd.Stdin = nil
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if ctx.Err() == context.DeadlineExceeded {
			return "", fmt.Errorf("secret command timed out after %s", secretCommandTimeout)
		}
		if err != nil {
			// stderr is the command's own message; it cannot contain the
			// secret, which is only ever on stdout.
			msg := strings.TrimSpace(Sanitize(stderr.String()))
			if msg != "" {
				return "", fmt.Errorf("secret command failed: %v: %s", err, msg)
			}
			return "", fmt.Errorf("secret command failed: %w", err)
		}
		v := strings.TrimSpace(string(out))
		if v == "" {
			return "", errors.New("secret command printed nothing")
		}
		return v, nil
	}
	if spec == "" {
		return "", errors.New("no value configured")
	}
	return spec, nil
}
