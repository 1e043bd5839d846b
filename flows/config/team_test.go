package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const teamFile = `[team]
endpoints = ["https://etcd1.internal:2379", "http://127.0.0.1:2379"]
prefix = "/tokentop/acme/"
ca_file = "~/ca.pem"
cert_file = "certs/me.pem"
key_file = "certs/me.key"
username = "ops"
password = "cmd:pass show etcd/ops"
key = "env:TOKENTOP_TEAM_KEY"
timeout = "2s"

[connections.aerion]
provider = "aikido"
client_id = "a"
client_secret = "env:X"
team = true

[connections.mine]
provider = "aikido"
client_id = "b"
client_secret = "env:Y"
team = false
`

func writeTeamFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadTeam(t *testing.T) {
	path := writeTeamFile(t, teamFile)
	cfg, team, err := LoadTeam(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Connections) != 2 {
		t.Fatalf("connections = %v", cfg.Names())
	}
	home, _ := os.UserHomeDir()
	dir := filepath.Dir(path)
	want := &Team{
		Endpoints:   []string{"https://etcd1.internal:2379", "http://127.0.0.1:2379"},
		Prefix:      "/tokentop/acme",
		CAFile:      filepath.Join(home, "ca.pem"),
		CertFile:    filepath.Join(dir, "certs/me.pem"),
		KeyFile:     filepath.Join(dir, "certs/me.key"),
		Username:    "ops",
		Timeout:     2 * time.Second,
		Line:        1,
		Connections: []string{"aerion"},
	}
	got := *team
	if got.Password.Source() != "cmd" || got.Key.Source() != "env" {
		t.Errorf("password %s, key %s: want cmd and env references", got.Password, got.Key)
	}
	got.Password, got.Key = want.Password, want.Key
	if !reflect.DeepEqual(&got, want) {
		t.Errorf("team = %+v\nwant   %+v", got, *want)
	}
	if !team.IsTeam("aerion") || team.IsTeam("mine") || (*Team)(nil).IsTeam("aerion") {
		t.Error("IsTeam: want aerion only")
	}
	// The script path reads the [team] table too, and only its own
	// connection can be a team one.
	for name, isTeam := range map[string]bool{"aerion": true, "mine": false} {
		cfg, team, err := LoadTeamFor(path, name)
		if err != nil {
			t.Fatal(err)
		}
		if len(cfg.Connections) != 1 || team == nil || team.IsTeam(name) != isTeam || len(team.Endpoints) != 2 {
			t.Errorf("LoadTeamFor(%s): %v, team %+v", name, cfg.Names(), team)
		}
	}
	// Load keeps working, and accepts the same file.
	if _, err := Load(path); err != nil {
		t.Error(err)
	}
}

func TestLoadTeamDefaultsAndNone(t *testing.T) {
	_, team, err := LoadTeam(writeTeamFile(t, "[team]\nendpoints = [\"https://e:2379\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if team.Prefix != "/tokentop" || team.Timeout != 5*time.Second || len(team.Connections) != 0 {
		t.Errorf("defaults: %+v", team)
	}
	_, team, err = LoadTeam(writeTeamFile(t, "[connections.a]\nprovider = \"aikido\"\nclient_id = \"a\"\nclient_secret = \"env:X\"\n"))
	if err != nil || team != nil {
		t.Errorf("no [team]: %+v, %v", team, err)
	}
}

func TestTeamErrors(t *testing.T) {
	conn := "\n[connections.aerion]\nprovider = \"aikido\"\nclient_id = \"a\"\nclient_secret = \"env:X\"\n"
	tests := map[string]struct{ text, want string }{
		"team without table": {conn + "team = true\n", "config.toml:6: connections.aerion.team: team = true needs a [team] table"},
		"team not bool":      {"[team]\nendpoints = [\"https://e\"]\n" + conn + "team = \"yes\"\n", "config.toml:8: connections.aerion.team: must be true or false"},
		"no endpoints":       {"[team]\nprefix = \"/x\"\n", "config.toml:1: team.endpoints: must list the etcd client URLs"},
		"http remote":        {"[team]\nendpoints = [\"http://etcd.example:2379\"]\n", "config.toml:2: team.endpoints: endpoint 1 http:// is only allowed for loopback hosts"},
		"bad prefix":         {"[team]\nendpoints = [\"https://e\"]\nprefix = \"tokentop\"\n", "config.toml:3: team.prefix: must start with \"/\""},
		"literal password":   {"[team]\nendpoints = [\"https://e\"]\nusername = \"ops\"\npassword = \"hunter2\"\n", "config.toml:4: team.password: must be a secret reference"},
		"user without pw":    {"[team]\nendpoints = [\"https://e\"]\nusername = \"ops\"\n", "team.password: username needs a password"},
		"cert without key":   {"[team]\nendpoints = [\"https://e\"]\ncert_file = \"c.pem\"\n", "config.toml:3: team.cert_file: cert_file and key_file go together"},
		"bad timeout":        {"[team]\nendpoints = [\"https://e\"]\ntimeout = \"1h\"\n", "config.toml:3: team.timeout: must be between 100ms and 1m"},
		"unknown key":        {"[team]\nendpoints = [\"https://e\"]\nendpoint = \"x\"\n", "config.toml:3: team.endpoint: unknown key"},
		"not a table":        {"team = 1\n", "config.toml:1: team: must be a table"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := LoadTeam(writeTeamFile(t, tt.text))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Error("the error repeats the password")
			}
		})
	}
}

// TestReadmeTeamExample: the README's [team] example loads.
func TestReadmeTeamExample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Teams\n")
	if !ok {
		t.Fatal("no ## Teams section in README.md")
	}
	_, block, ok := strings.Cut(section, "```toml\n")
	block, _, _ = strings.Cut(block, "```")
	if !ok || !strings.Contains(block, "[team]") {
		t.Fatal("no toml block with a [team] table under ## Teams")
	}
	_, team, err := LoadTeam(writeTeamFile(t, block))
	if err != nil {
		t.Fatalf("the README's example does not load:\n%v", err)
	}
	if len(team.Endpoints) != 2 || team.Prefix != "/tokentop/acme" || team.Key.IsZero() || !team.IsTeam("aikido-ci") {
		t.Errorf("the README's example: %+v", team)
	}
}
