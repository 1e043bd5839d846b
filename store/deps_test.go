package store

import (
	"os/exec"
	"strings"
	"testing"
)

// deps returns what go list -deps says pkg links.
func deps(t *testing.T, pkg string) map[string]bool {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	d := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		d[p] = true
	}
	if !d["tokentop/flows"] {
		t.Fatalf("go list -deps %s did not list tokentop/flows: %q", pkg, out)
	}
	return d
}

// TestDependsOnTheDomainOnly: the arrows point down. The store links the
// domain types of flows and bbolt, never the config parser, the HTTP client,
// templates, x/oauth2 or Bubble Tea; nor does flows itself. store/etcd
// alone may link net/http and crypto/tls (it speaks etcd's JSON gateway),
// and never an etcd client library or gRPC. The keyring (store/keyring)
// is wired in by main: the store only knows its Keys interface.
func TestDependsOnTheDomainOnly(t *testing.T) {
	forbidden := []string{"github.com/BurntSushi/toml", "html/template", "golang.org/x/oauth2",
		"charm.land/bubbletea/v2", "tokentop/flows/oauth", "tokentop/flows/config", "tokentop/flows/callback", "tokentop/ui",
		"google.golang.org/grpc", "github.com/zalando/go-keyring", "github.com/godbus/dbus/v5"}
	network := []string{"net/http", "crypto/tls"}
	for pkg, allowed := range map[string][]string{
		"tokentop/store":      nil,
		"tokentop/flows":      nil,
		"tokentop/store/etcd": network,
	} {
		d := deps(t, pkg)
		rule := forbidden
		if allowed == nil {
			rule = append(append([]string{}, forbidden...), network...)
		}
		for _, f := range rule {
			if d[f] {
				t.Errorf("%s links %s", pkg, f)
			}
		}
		for p := range d {
			if strings.HasPrefix(p, "go.etcd.io/etcd") || strings.HasPrefix(p, "google.golang.org/grpc") {
				t.Errorf("%s links %s", pkg, p)
			}
		}
	}
}
