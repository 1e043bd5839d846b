package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/store"
)

// liveConfig is a config with a [team] table and connection aerion, a
// team one when team is true.
func liveConfig(t *testing.T, path string, team bool) {
	t.Helper()
	text := `
[team]
endpoints = ["http://127.0.0.1:1"]
prefix = "/tokentop/live"

[connections.aerion]
provider = "aikido"
client_id = "aerion"
client_secret = "env:TOKENTOP_TEST_LIVE_SECRET"
token_url = "http://127.0.0.1:1/token"
`
	if team {
		text += "team = true\n"
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A dashboard's reload of a config that made aerion a team connection
// routes it to the team store at once and says how to move the tokens the
// state file still holds; turned back, it routes it to the state file
// again. A changed [team] table, or a first team connection in a
// dashboard opened without the team store, asks for a restart instead.
func TestReloadMovesAConnectionBetweenStores(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	liveConfig(t, path, false)
	_, team, err := config.LoadTeamLenient(path)
	if err != nil {
		t.Fatal(err)
	}
	local, err := store.Open(filepath.Join(dir, "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	teamStore, err := store.Open(filepath.Join(dir, "team.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tok := flows.State{Token: &flows.Token{AccessToken: "local-token", Expiry: time.Now().Add(time.Hour)}}
	if err := local.Update("aerion", func(st *flows.State) error { *st = tok; return nil }); err != nil {
		t.Fatal(err)
	}

	// Opened without a team connection: the team store is not open.
	a := &app{team: team, local: local, live: newTeamSet(team)}
	liveConfig(t, path, true)
	cfg, err := a.reloadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if a.isTeam("aerion") || !liveWarned(cfg, "aerion is now a team connection; restart tokentop to open the team store") {
		t.Fatalf("without the team store open: team %v, warnings %q", a.isTeam("aerion"), cfg.Warnings)
	}

	// Opened with the Split in use: the reload routes aerion at once.
	a.split, a.teamStore = true, teamStore
	cfg, err = a.reloadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if !a.isTeam("aerion") || !liveWarned(cfg, "tokentop team push aerion") {
		t.Fatalf("after the reload: team %v, warnings %q", a.isTeam("aerion"), cfg.Warnings)
	}
	split := store.NewSplit(local, teamStore, a.isTeam)
	if st, err := split.Load("aerion"); err != nil || st.Token != nil {
		t.Fatalf("aerion read from %v, %v; want the (empty) team store", st.Token, err)
	}
	liveConfig(t, path, false)
	if _, err := a.reloadConfig(path); err != nil {
		t.Fatal(err)
	}
	if st, err := split.Load("aerion"); err != nil || st.Token == nil || st.Token.AccessToken != "local-token" {
		t.Fatalf("aerion back to local: read %v, %v", st.Token, err)
	}

	// Another cluster: a restart is needed, and the routing stays.
	if err := os.WriteFile(path, []byte(strings.Replace(liveRead(t, path), "/tokentop/live", "/tokentop/other", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = a.reloadConfig(path)
	if err != nil || !liveWarned(cfg, "the [team] table changed; restart tokentop to use it") {
		t.Fatalf("a changed [team] table: %v, %q", err, cfg.Warnings)
	}
}

func liveWarned(cfg *flows.Config, text string) bool {
	for _, w := range cfg.Warnings {
		if strings.Contains(w, text) {
			return true
		}
	}
	return false
}

func liveRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
