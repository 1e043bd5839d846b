package ui

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/flows/oauth"
	"tokentop/flows/providertest"
	"tokentop/store"
	"tokentop/store/etcd"
	"tokentop/store/etcd/etcdtest"
)

// TestDashboardSeesAnotherMachinesRenewal: a dashboard on machine A (its
// own state file, the team connection on a real etcd) shows a renewal made
// on machine B within two seconds, through its ordinary once-a-second poll.
func TestDashboardSeesAnotherMachinesRenewal(t *testing.T) {
	srv := etcdtest.Start(t)
	fake, err := providertest.Listen(providertest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	conf := fmt.Sprintf("[connections.shared]\nprovider = \"aikido\"\nflow = \"client_credentials\"\nclient_id = %q\nclient_secret = %q\ntoken_url = %q\nauto = false\n",
		providertest.AikidoClientID, providertest.AikidoClientSecret, fake.AikidoTokenURL())
	cfg, err := config.Parse("config.toml", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	isTeam := func(name string) bool { return name == "shared" }
	machine := func() *flows.Service {
		local, err := store.Open(filepath.Join(t.TempDir(), "tokentop.db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		team, err := etcd.Open(etcd.Options{Endpoints: []string{srv.Endpoint}, Prefix: "/tokentop/ui-test"})
		if err != nil {
			t.Fatal(err)
		}
		return flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: store.NewSplit(local, team, isTeam)})
	}
	a, b := machine(), machine()

	m := New(a, Options{})
	p := startProgram(t, m, 120, 35, func(msg tea.Msg) bool { _, ok := msg.(changedMsg); return ok })
	p.wait("the first poll", is[changedMsg])
	if r := p.frame(); !strings.Contains(r, "shared") {
		t.Fatalf("no row for the team connection:\n%s", r)
	}

	tok, err := b.Renew(t.Context(), "shared")
	if err != nil {
		t.Fatal(err)
	}
	renewed := time.Now()
	p.wait("machine B's renewal", func(msg tea.Msg) bool {
		st, ok := msg.(changedMsg).states["shared"]
		return ok && st.Token != nil && st.Token.AccessToken == tok.AccessToken
	})
	if d := time.Since(renewed); d > 2*time.Second {
		t.Errorf("machine A saw machine B's renewal after %s, want within 2s", d)
	}
	p.quit()
}
