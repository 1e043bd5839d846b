package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"tokentop/flows"
	"tokentop/flows/secret"
)

// Defaults and bounds of the [team] table.
const (
	// DefaultTeamPrefix is where the team's keys live in etcd when the
	// file does not say.
	DefaultTeamPrefix = "/tokentop"
	// defaultTeamTimeout bounds each request to etcd when the file does
	// not say.
	defaultTeamTimeout = 5 * time.Second
)

// teamKeys are the keys the [team] table may hold.
var teamKeys = []string{"endpoints", "prefix", "ca_file", "cert_file", "key_file", "username", "password", "key", "timeout"}

// Team is the [team] table: the etcd cluster that keeps the state of the
// connections marked team = true, and which connections those are. It is
// kept out of flows.Config on purpose: only the wiring (which store holds
// which connection) needs it, and the flows package does not grow for it.
//
// Password and Key are secret references, never resolved at load: they are
// resolved when the team store is opened, which a local connection's
// tokentop token never does.
type Team struct {
	// Endpoints are the etcd client URLs (http:// only for loopback hosts).
	Endpoints []string
	// Prefix is the key prefix of the team's state ("/tokentop" by default).
	Prefix string
	// CAFile, CertFile and KeyFile are absolute paths ("~/" and relative
	// paths expanded as for ca_file); empty when not set.
	CAFile, CertFile, KeyFile string
	// Username is the etcd user; Password its secret reference.
	Username string
	Password secret.Secret
	// Key, when set, is the secret that values are sealed with before they
	// leave the machine.
	Key secret.Secret
	// Timeout bounds each request to etcd ("5s" by default).
	Timeout time.Duration
	// Line is the line of the [team] header.
	Line int
	// Connections are the names of the connections with team = true, in
	// file order. With LoadTeamFor, only the one loaded can be among them.
	Connections []string
}

// IsTeam reports whether connection name keeps its state in the team
// store. A nil Team has no team connections.
func (t *Team) IsTeam(name string) bool {
	return t != nil && slices.Contains(t.Connections, name)
}

// LoadTeam loads the configuration as Load does, and its [team] table:
// nil when the file has none.
func LoadTeam(path string) (*flows.Config, *Team, error) {
	data, mode, err := read(path)
	if err != nil {
		return nil, nil, err
	}
	return loadWith(path, data, mode, false)
}

// LoadTeamLenient is LoadTeam for the dashboard, as LoadLenient is Load.
func LoadTeamLenient(path string) (*flows.Config, *Team, error) {
	data, mode, err := read(path)
	if err != nil {
		return nil, nil, err
	}
	return loadWith(path, data, mode, true)
}

// LoadTeamFor loads connection name alone as LoadFor does, and the [team]
// table, at the same cost whatever the number of connections.
func LoadTeamFor(path, name string) (*flows.Config, *Team, error) {
	data, mode, err := read(path)
	if err != nil {
		return nil, nil, err
	}
	if reduced, ok := reduce(data, name); ok {
		if cfg, team, err := loadWith(path, reduced, mode, false); err == nil && cfg.Connection(name) != nil && len(cfg.Connections) == 1 {
			return cfg, team, nil
		}
	}
	return loadWith(path, data, mode, false)
}

// teamConn reads a connection's team key, and notes it.
func (p *parser) teamConn(name string, tbl map[string]any) {
	v, ok := tbl["team"]
	if !ok {
		return
	}
	b, isBool := v.(bool)
	if !isBool {
		p.fail(p.lines.line("connections", name, "team"), name, "team", "must be true or false")
		return
	}
	if b {
		p.teamConns = append(p.teamConns, name)
	}
}

// team reads the [team] table into p.team, and checks that every team
// connection has one.
func (p *parser) team(raw map[string]any) {
	v, present := raw["team"]
	if !present {
		for _, name := range p.teamConns {
			p.fail(p.lines.line("connections", name, "team"), name, "team",
				"team = true needs a [team] table naming the etcd cluster (endpoints = [\"https://etcd.example:2379\"])")
		}
		return
	}
	line := p.lines.line("team")
	tbl, ok := v.(map[string]any)
	if !ok {
		p.fail(line, "", "team", "must be a table ([team])")
		return
	}
	t := &Team{Line: line, Prefix: DefaultTeamPrefix, Timeout: defaultTeamTimeout, Connections: p.teamConns}
	r := &teamReader{p: p, tbl: tbl, line: line}
	for _, k := range sortedKeys(tbl) {
		if !slices.Contains(teamKeys, k) {
			r.fail(k, "unknown key (the [team] table holds "+strings.Join(teamKeys, ", ")+")")
		}
	}
	t.Endpoints = r.strs("endpoints")
	if len(t.Endpoints) == 0 {
		r.fail("endpoints", `must list the etcd client URLs, such as ["https://etcd1.internal:2379"]`)
	}
	for i, e := range t.Endpoints {
		if msg := uRLProblem(e); msg != "" {
			r.fail("endpoints", fmt.Sprintf("endpoint %d %s", i+1, msg))
		}
	}
	if s, ok := r.str("prefix"); ok {
		if !strings.HasPrefix(s, "/") || strings.ContainsAny(s, "\x00\r\n") {
			r.fail("prefix", `must start with "/" and be one line, such as "/tokentop/acme"`)
		}
		t.Prefix = strings.TrimRight(s, "/")
		if t.Prefix == "" {
			r.fail("prefix", `must not be "/" alone: the team's keys need a prefix of their own`)
		}
	}
	for key, dst := range map[string]*string{"ca_file": &t.CAFile, "cert_file": &t.CertFile, "key_file": &t.KeyFile} {
		if s, ok := r.str(key); ok && s != "" {
			*dst = p.localPath(s)
		}
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		r.fail("cert_file", "cert_file and key_file go together (a client certificate and its key)")
	}
	t.Username, _ = r.str("username")
	t.Password = r.secret("password")
	t.Key = r.secret("key")
	if t.Username != "" && t.Password.IsZero() {
		r.fail("password", "username needs a password (env:, cmd: or file:)")
	}
	if v, ok := tbl["timeout"]; ok {
		d, err := time.ParseDuration(fmt.Sprint(v))
		_, isString := v.(string)
		switch {
		case !isString || err != nil:
			r.fail("timeout", `must be a duration such as "5s"`)
		case d < 100*time.Millisecond || d > time.Minute:
			r.fail("timeout", "must be between 100ms and 1m")
		default:
			t.Timeout = d
		}
	}
	p.teamTable = t
}

// teamReader reads typed values from the [team] table.
type teamReader struct {
	p    *parser
	tbl  map[string]any
	line int
}

func (r *teamReader) fail(key, msg string) {
	line := r.p.lines.line("team", key)
	if line == 0 {
		line = r.line
	}
	r.p.fail(line, "", "team."+keyString(key), msg)
}

func (r *teamReader) str(key string) (string, bool) {
	v, ok := r.tbl[key]
	if !ok {
		return "", false
	}
	s, isString := v.(string)
	if !isString {
		r.fail(key, "must be a string")
		return "", false
	}
	return s, true
}

func (r *teamReader) strs(key string) []string {
	v, ok := r.tbl[key]
	if !ok {
		return nil
	}
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, isString := e.(string)
		if !isString {
			arr = nil
			break
		}
		out = append(out, s)
	}
	if arr == nil {
		r.fail(key, "must be an array of strings")
		return nil
	}
	return out
}

// secret reads a secret reference. A literal is refused: the [team] table
// is shared by copy between machines more than any other part of the file.
func (r *teamReader) secret(key string) secret.Secret {
	spec, _ := r.str(key)
	if spec == "" {
		return secret.Secret{}
	}
	s, problem := secretRef(spec, r.p.localPath, "TOKENTOP_TEAM_KEY")
	switch {
	case problem != "":
		r.fail(key, problem)
	case s.Source() == "literal":
		r.fail(key, "must be a secret reference (env:NAME, cmd:COMMAND or file:PATH), not the secret itself")
	}
	return s
}
