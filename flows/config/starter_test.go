package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestStarter: every starter parses with no problem and no warning, holds
// the providers asked for, in order, and writes secrets as env: references.
func TestStarter(t *testing.T) {
	tests := []struct {
		ask  []string
		want []string
	}{
		{nil, []string{"aikido", "aha", "aerion", "amino"}},
		{[]string{"aikido"}, []string{"aikido"}},
		{[]string{"aha"}, []string{"aha"}},
		{[]string{"aerion"}, []string{"aerion"}},
		{[]string{"amino"}, []string{"amino"}},
		{[]string{"oauth2"}, []string{"oauth2"}},
		{[]string{"oauth2", "aha", "oauth2"}, []string{"oauth2", "aha"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.ask, ","), func(t *testing.T) {
			data, err := Starter(tt.ask)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := Parse("config.toml", data)
			if err != nil {
				t.Fatalf("the starter does not parse:\n%v\n%s", err, data)
			}
			if len(cfg.Warnings) != 0 {
				t.Errorf("warnings: %q", cfg.Warnings)
			}
			if got := cfg.Names(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("connections %q, want %q", got, tt.want)
			}
			for _, c := range cfg.Connections {
				if string(c.Provider) != c.Name {
					t.Errorf("connection %s has provider %s", c.Name, c.Provider)
				}
			}
			if _, literals, _ := parse("config.toml", data, false); len(literals) != 0 {
				t.Errorf("literal secrets in the starter: %+v", literals)
			}
			for _, key := range []string{`# refresh_before = "60s"`, `# check_every = "5m"`} {
				if !strings.Contains(string(data), key) {
					t.Errorf("the starter does not show %s", key)
				}
			}
		})
	}
	if _, err := Starter([]string{"aikido", "okta"}); err == nil || err.Error() != `unknown provider "okta" (one of: aikido, aha, aerion, amino, oauth2)` {
		t.Errorf("unknown provider: %v", err)
	}
}
