package config

import (
	"strings"
	"testing"
)

func TestParseEncryption(t *testing.T) {
	conn := "[connections.a]\nprovider = \"aha\"\nflow = \"api_key\"\nsubdomain = \"acme\"\napi_key = \"env:AHA\"\n"
	for name, tc := range map[string]struct {
		top        string
		encryption string
		source     string // EncryptionKey's kind; "" for none
	}{
		"default": {"", "", ""},
		"keyring": {"encryption = \"keyring\"\n", "keyring", ""},
		"none":    {"encryption = \"none\"\n", "none", ""},
		"cmd":     {"encryption = \"cmd:pass show tokentop\"\n", "secret", "cmd"},
		"env":     {"encryption = \"env:TOKENTOP_STATE_KEY\"\n", "secret", "env"},
		"file":    {"encryption = \"file:state.key\"\n", "secret", "file"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := mustParse(t, tc.top+conn)
			if cfg.Encryption != tc.encryption {
				t.Errorf("Encryption = %q, want %q", cfg.Encryption, tc.encryption)
			}
			if got := cfg.EncryptionKey; (tc.source == "" && !got.IsZero()) || (tc.source != "" && got.Source() != tc.source) {
				t.Errorf("EncryptionKey = %v, want a %s secret", got, tc.source)
			}
		})
	}
	if k := mustParse(t, "encryption = \"file:state.key\"\n").EncryptionKey; !strings.Contains(k.String(), "file") {
		t.Errorf("EncryptionKey prints %q", k)
	}
}

func TestParseEncryptionErrors(t *testing.T) {
	for name, tc := range map[string]struct{ text, want string }{
		"not a string": {"refresh_before = \"60s\"\nencryption = true\n",
			`config.toml:2: encryption: must be "keyring", "none", or a secret reference whose value is the key (env:NAME, cmd:COMMAND or file:PATH)`},
		"a literal key": {"encryption = \"c2VjcmV0LWtleS1tYXRlcmlhbA==\"\n",
			`config.toml:1: encryption: must be "keyring", "none", or a secret reference whose value is the key (env:NAME, cmd:COMMAND or file:PATH)`},
		"misspelt": {"encryption = \"keyrnig\"\n",
			`config.toml:1: encryption: must be "keyring", "none", or a secret reference whose value is the key (env:NAME, cmd:COMMAND or file:PATH)`},
		"empty cmd": {"encryption = \"cmd: \"\n", "config.toml:1: encryption: cmd: must be followed by a command"},
		"bad env":   {"encryption = \"env:1X\"\n", "config.toml:1: encryption: env: must be followed by an environment variable name, such as env:TOKENTOP_STATE_KEY"},
	} {
		t.Run(name, func(t *testing.T) {
			got := parseErr(t, tc.text)
			if got != tc.want {
				t.Fatalf("error:\n%s\nwant:\n%s", got, tc.want)
			}
			if strings.Contains(got, "c2VjcmV0") || strings.Contains(got, "keyrnig") {
				t.Fatal("the error quotes the value")
			}
		})
	}
}
