package store

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependsOnTheDomainOnly: the arrows point down. The store links the
// domain types of flows and bbolt, never the config parser, the HTTP client,
// templates, x/oauth2 or Bubble Tea; nor does flows itself.
func TestDependsOnTheDomainOnly(t *testing.T) {
	forbidden := []string{"github.com/BurntSushi/toml", "html/template", "golang.org/x/oauth2", "net/http", "crypto/tls",
		"charm.land/bubbletea/v2", "tokentop/flows/oauth", "tokentop/flows/config", "tokentop/flows/callback", "tokentop/ui"}
	for _, pkg := range []string{"tokentop/store", "tokentop/flows"} {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		deps := map[string]bool{}
		for _, d := range strings.Fields(string(out)) {
			deps[d] = true
		}
		if !deps["tokentop/flows"] {
			t.Fatalf("go list -deps %s did not list tokentop/flows: %q", pkg, out)
		}
		for _, f := range forbidden {
			if deps[f] {
				t.Errorf("%s links %s", pkg, f)
			}
		}
	}
}
