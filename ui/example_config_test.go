package ui

import (
	"testing"

	"tokentop/flows"
	"tokentop/flows/config"
)

// TestExampleConfigParses keeps the first-run screen honest: the example
// it tells a person to copy must be a configuration tokentop accepts, with
// the connection, provider and flow it shows, and without warnings.
func TestExampleConfigParses(t *testing.T) {
	cfg, err := config.Parse("example.toml", []byte(exampleConfig))
	if err != nil {
		t.Fatalf("the first-run example does not parse:\n%s\n%v", exampleConfig, err)
	}
	if len(cfg.Connections) != 1 {
		t.Fatalf("%d connections, want 1", len(cfg.Connections))
	}
	c := cfg.Connection("aikido")
	if c == nil {
		t.Fatal("no connection named aikido")
	}
	if c.Provider != flows.Aikido || c.Flow != flows.ClientCredentials {
		t.Errorf("provider %q flow %q, want aikido client_credentials", c.Provider, c.Flow)
	}
	if c.TokenURL == "" {
		t.Error("no token_url: the aikido preset did not apply")
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings: %q", cfg.Warnings)
	}
}
