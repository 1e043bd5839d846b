// Package config reads tokentop's TOML configuration file into
// flows.Connections: presets for every provider, URL rules, and errors that
// name file:line and the key.
package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
	"tokentop/flows"
)

// Defaults and bounds of the configuration file.
const (
	// defaultRefreshBefore is how long before expiry a token is renewed
	// when the file does not say (the example, "60s").
	defaultRefreshBefore = 60 * time.Second
	// defaultLoginTimeout is how long a browser sign-in may wait when the
	// file does not say.
	defaultLoginTimeout = 5 * time.Minute
	// defaultCheckEvery is how often the dashboard runs a connection's
	// health check when the file does not say (issue 9: "5m").
	defaultCheckEvery = 5 * time.Minute
	// defaultClipboardClear is how long a copied token stays on the
	// clipboard when the file does not say, as pass -c keeps it 45 s.
	defaultClipboardClear = 45 * time.Second

	// maxSize bounds the file, so a mistaken --config /dev/zero cannot
	// exhaust memory. Real files are a few kilobytes.
	maxSize = 1 << 20
	// maxNameLen bounds connection names: they become file names and
	// completion candidates.
	maxNameLen = 64
	// maxErrorLines is how many problems Errors.Error prints.
	maxErrorLines = 20
)

// durationBounds are the sane ranges of the duration keys: a renewal
// margin beyond a day would renew every token all the time, and a browser
// sign-in is a person clicking, which takes seconds to minutes.
var durationBounds = map[string][2]time.Duration{
	"refresh_before": {time.Second, 24 * time.Hour},
	"login_timeout":  {time.Second, time.Hour},
	// A check more often than every 10 s is load on the provider, not
	// health; a day is the longest that still says something.
	"check_every": {10 * time.Second, 24 * time.Hour},
	// A token left on the clipboard longer than an hour is forgotten there.
	"clipboard_clear": {time.Second, time.Hour},
}

// zeroMeans says what "0" means for the duration keys that accept it.
var zeroMeans = map[string]string{
	"check_every":     "to turn periodic checks off",
	"clipboard_clear": "to keep the clipboard",
}

// topKeys are the keys the top level holds besides [connections.NAME].
var topKeys = []string{"refresh_before", "check_every", "bell", "clipboard_clear"}

// connKeys are the keys a [connections.NAME] table may hold.
var connKeys = []string{
	"provider", "flow", "client_id", "client_secret", "client_auth",
	"username", "password", "api_key", "subdomain", "company_url", "base_url",
	"issuer", "auth_url", "token_url", "revoke_url", "device_url", "check_url",
	"redirect_uri", "scopes", "resource", "pkce", "headers", "params", "refresh_before",
	"login_timeout", "check_every", "ca_file", "insecure_skip_verify", "note", "auto",
	"api_url", "match", "git_username", "team", "private_key", "key_id",
}

// secretKeys are the keys whose values are Secrets: never printed, never
// resolved at load time.
var secretKeys = map[string]bool{"client_secret": true, "password": true, "api_key": true, "private_key": true}

// reservedParams are the token-request form fields tokentop sets itself.
// Letting params override them would break the flow or, for client_secret
// and password, put a secret where it is neither protected nor redacted.
var reservedParams = map[string]string{
	"grant_type": "", "code": "", "code_verifier": "", "redirect_uri": "use the redirect_uri key",
	"refresh_token": "", "device_code": "", "client_id": "use the client_id key",
	"client_secret": "use the client_secret key", "username": "use the username key",
	"password": "use the password key", "scope": "use the scopes key",
	"resource":         "use the resource key",
	"client_assertion": "", "client_assertion_type": "use client_auth",
}

// DefaultPath returns where the configuration file is when no
// --config flag names it (the flag, handled by the caller, comes first):
// $TOKENTOP_CONFIG, else $XDG_CONFIG_HOME/tokentop/config.toml, else
// ~/.config/tokentop/config.toml. A relative XDG_CONFIG_HOME is ignored, as
// the XDG Base Directory specification requires.
func DefaultPath() (string, error) {
	if p := os.Getenv("TOKENTOP_CONFIG"); p != "" {
		return p, nil
	}
	if dir := os.Getenv("XDG_CONFIG_HOME"); dir != "" && filepath.IsAbs(dir) {
		return filepath.Join(dir, "tokentop", "config.toml"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the config file: %w", err)
	}
	return filepath.Join(home, ".config", "tokentop", "config.toml"), nil
}

// Error is one problem in a configuration file. Its message reads
//
//	config.toml:14: connections.aha: unknown flow "oauth" (one of: authorization_code, implicit, api_key)
//	config.toml:17: connections.aha.redirect_uri: must have a path, such as http://127.0.0.1:8766/callback
//
// and never contains a secret value. It does not wrap the TOML parser's
// error on purpose: that error carries the input text, secrets included.
type Error struct {
	// File is the base name of the file.
	File string
	// Line is the line of the offending key, else of the connection's
	// table; 0 when unknown.
	Line int
	// Conn is the connection's name; empty for problems outside one.
	Conn string
	// Key is the offending key, in TOML dotted form ("headers.X-Tenant"),
	// relative to the connection when Conn is set; empty when the problem
	// is the connection as a whole.
	Key string
	// Msg says what is wrong.
	Msg string
}

// Error returns "FILE:LINE: connections.CONN.KEY: MSG".
func (e *Error) Error() string {
	var b strings.Builder
	file := e.File
	if file == "" {
		file = "config"
	}
	b.WriteString(file)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	where := e.Key
	if e.Conn != "" {
		where = "connections." + quoteKey(e.Conn)
		if e.Key != "" {
			where += "." + e.Key
		}
	}
	if where != "" {
		b.WriteString(where)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one configuration file, in file
// order. Load and Parse report all of them at once, so a person
// fixes the file in one pass; errors.As finds the first *Error in it.
type Errors []*Error

// Error lists the problems one per line (at most 20, then a count).
func (e Errors) Error() string {
	lines := make([]string, 0, min(len(e), maxErrorLines+1))
	for i, ce := range e {
		if i == maxErrorLines {
			lines = append(lines, fmt.Sprintf("(and %d more problems)", len(e)-i))
			break
		}
		lines = append(lines, ce.Error())
	}
	return strings.Join(lines, "\n")
}

// Errors returns the problems in file order.
func (e Errors) Errors() []*Error { return e }

// Unwrap returns the problems, for errors.As and errors.Is.
func (e Errors) Unwrap() []error {
	errs := make([]error, len(e))
	for i, ce := range e {
		errs[i] = ce
	}
	return errs
}

// Load reads and checks the configuration file at path. A missing
// file gives an error that names the path and satisfies
// errors.Is(err, fs.ErrNotExist); a file with problems gives Errors.
// Besides what Parse warns about, Load warns when the file is
// readable by group or others and holds a literal secret.
//
// Secrets are never resolved: that runs commands, and a command for one
// connection must not run because another connection is used.
func Load(path string) (*flows.Config, error) {
	data, mode, err := read(path)
	if err != nil {
		return nil, err
	}
	return load(path, data, mode, false)
}

// LoadLenient loads the configuration as Load does, for the dashboard: a
// problem inside one [connections.NAME] table does not fail the load, but
// sets that connection aside in Config.Broken, with its problems as Error
// texts in file order, and the others load as usual. Problems outside every
// connection table (the TOML syntax, a top-level key, the file's size or
// reading it) fail it exactly as they fail Load. The command line keeps Load:
// a script must not run on part of a file.
func LoadLenient(path string) (*flows.Config, error) {
	data, mode, err := read(path)
	if err != nil {
		return nil, err
	}
	return load(path, data, mode, true)
}

// read reads a config file and the permission bits of what it read.
func read(path string) ([]byte, os.FileMode, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("reading config: %w", err)
	}
	defer f.Close()
	// Stat the open file, not the path, so the mode is that of the bytes
	// we read.
	info, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("reading config: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		return nil, 0, fmt.Errorf("reading config: %w", err)
	}
	return data, info.Mode().Perm(), nil
}

// load parses data read from path and adds the warnings about literal
// secrets in a file that others can read.
func load(path string, data []byte, mode os.FileMode, lenient bool) (*flows.Config, error) {
	cfg, _, err := loadWith(path, data, mode, lenient)
	return cfg, err
}

// loadWith is load, with the [team] table.
func loadWith(path string, data []byte, mode os.FileMode, lenient bool) (*flows.Config, *Team, error) {
	cfg, team, literals, err := parseWith(path, data, lenient)
	if err != nil {
		return nil, nil, err
	}
	// Windows has no mode bits to speak of; its ACLs are out of scope.
	if runtime.GOOS != "windows" && mode&0o044 != 0 {
		var warns []string
		for _, l := range literals {
			warns = append(warns, fmt.Sprintf(
				"%s:%d: connections.%s.%s: the file is readable by other users and holds this secret in plain text; run chmod 600 %s, or use env:, cmd: or file:",
				filepath.Base(path), l.line, quoteKey(l.conn), l.key, path))
		}
		cfg.Warnings = append(warns, cfg.Warnings...)
	}
	return cfg, team, nil
}

// Parse checks a configuration file's contents; name is used in
// messages and as Config.Path. Connections keep the order of the file;
// each gets its provider's preset endpoints for what the file leaves out.
// All problems are reported at once, as Errors.
func Parse(name string, data []byte) (*flows.Config, error) {
	cfg, _, err := parse(name, data, false)
	return cfg, err
}

// ParseLenient checks a file's contents as LoadLenient does: a connection
// with problems goes to Config.Broken, the others load.
func ParseLenient(name string, data []byte) (*flows.Config, error) {
	cfg, _, err := parse(name, data, true)
	return cfg, err
}
