// Package config reads tokentop's TOML configuration file into
// flows.Connections: presets for every provider, URL rules, and errors that
// name file:line and the key.
package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
	"tokentop/flows"
	"tokentop/flows/redact"
	"tokentop/flows/secret"
	"unicode"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// Defaults and bounds of the configuration file.
const (
	// defaultRefreshBefore is how long before expiry a token is renewed
	// when the file does not say (the example, "60s").
	defaultRefreshBefore = 60 * time.Second
	// defaultLoginTimeout is how long a browser sign-in may wait when the
	// file does not say.
	defaultLoginTimeout = 5 * time.Minute

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
}

// connKeys are the keys a [connections.NAME] table may hold.
var connKeys = []string{
	"provider", "flow", "client_id", "client_secret", "client_auth",
	"username", "password", "api_key", "subdomain", "company_url", "base_url",
	"issuer", "auth_url", "token_url", "revoke_url", "device_url", "check_url",
	"redirect_uri", "scopes", "pkce", "headers", "params", "refresh_before",
	"login_timeout", "ca_file", "insecure_skip_verify", "note",
}

// secretKeys are the keys whose values are Secrets: never printed, never
// resolved at load time.
var secretKeys = map[string]bool{"client_secret": true, "password": true, "api_key": true}

// reservedParams are the token-request form fields tokentop sets itself.
// Letting params override them would break the flow or, for client_secret
// and password, put a secret where it is neither protected nor redacted.
var reservedParams = map[string]string{
	"grant_type": "", "code": "", "code_verifier": "", "redirect_uri": "use the redirect_uri key",
	"refresh_token": "", "device_code": "", "client_id": "use the client_id key",
	"client_secret": "use the client_secret key", "username": "use the username key",
	"password": "use the password key", "scope": "use the scopes key",
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
	return load(path, data, mode)
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
func load(path string, data []byte, mode os.FileMode) (*flows.Config, error) {
	cfg, literals, err := parse(path, data)
	if err != nil {
		return nil, err
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
	return cfg, nil
}

// Parse checks a configuration file's contents; name is used in
// messages and as Config.Path. Connections keep the order of the file;
// each gets its provider's preset endpoints for what the file leaves out.
// All problems are reported at once, as Errors.
func Parse(name string, data []byte) (*flows.Config, error) {
	cfg, _, err := parse(name, data)
	return cfg, err
}

// literal records a secret written in the file itself, for the warning
// about readable files.
type literal struct {
	conn, key string
	line      int
}

// parser collects what one parse finds.
type parser struct {
	path     string // as given
	file     string // base name, for messages
	lines    lineIndex
	errs     Errors
	literals []literal
	warnings []string
}

func parse(path string, data []byte) (*flows.Config, []literal, error) {
	p := &parser{path: path, file: filepath.Base(path)}
	if path == "" {
		p.file = "config"
	}
	if len(data) > maxSize {
		return nil, nil, Errors{{File: p.file, Msg: "the file is larger than 1 MiB"}}
	}
	// The line index doubles as the pre-scan that refuses absurd nesting
	// before the TOML parser sees it; it is used only once the parser has
	// accepted the text.
	lines, deep := indexLines(string(data))
	if deep > 0 {
		return nil, nil, Errors{{File: p.file, Line: deep, Msg: fmt.Sprintf("nesting deeper than %d levels of tables, keys and arrays", maxDepth)}}
	}
	var raw map[string]any
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		return nil, nil, Errors{p.syntaxError(string(data), err)}
	}
	p.lines = lines

	cfg := &flows.Config{Path: path, RefreshBefore: defaultRefreshBefore}
	conns, connsOK := raw["connections"].(map[string]any)
	if _, present := raw["connections"]; present && !connsOK {
		p.fail(p.lines.line("connections"), "", "connections", "must hold tables named [connections.NAME]")
	}

	// md.Keys is in file order: it gives the order of the connections and
	// names unknown keys where they are written. (Undecoded cannot help:
	// the file is decoded into a map, which marks every key decoded; a map
	// is used so that type errors name the key in our words.)
	var names []string
	seen := map[string]bool{}
	reported := map[string]bool{}
	for _, k := range md.Keys() {
		switch {
		case k[0] == "refresh_before":
		case k[0] == "connections":
			if !connsOK || len(k) < 2 {
				continue
			}
			if !seen[k[1]] {
				seen[k[1]] = true
				names = append(names, k[1])
			}
			if _, isTable := conns[k[1]].(map[string]any); !isTable || len(k) < 3 {
				continue
			}
			id := pathKey(k[:3]...)
			if !knownKey(k[2]) && !reported[id] {
				reported[id] = true
				msg := "unknown key"
				if s := suggestKey(k[2]); s != "" {
					msg += " (did you mean " + s + "?)"
				}
				p.fail(p.lines.line(k[:3]...), k[1], keyString(k[2]), msg)
			}
		default:
			if !reported[k[0]] {
				reported[k[0]] = true
				p.fail(p.lines.line(k[0]), "", keyString(k[0]),
					"unknown key (the top level holds refresh_before and [connections.NAME] tables)")
			}
		}
	}

	if v, ok := raw["refresh_before"]; ok {
		if d, msg := duration(v, "refresh_before"); msg != "" {
			p.fail(p.lines.line("refresh_before"), "", "refresh_before", msg)
		} else {
			cfg.RefreshBefore = d
		}
	}

	folded := map[string]string{}
	for _, name := range names {
		tbl, ok := conns[name].(map[string]any)
		line := p.lines.line("connections", name)
		if !ok {
			p.fail(line, name, "", "must be a table ([connections."+quoteKey(name)+"])")
			continue
		}
		if name == "" {
			// Formatted by hand: an empty Conn means "no connection".
			p.fail(line, "", `connections.""`, "connection name is empty")
			continue
		}
		if msg := nameProblem(name); msg != "" {
			p.fail(line, name, "", msg)
		}
		// Names become file names, and macOS and Windows file systems
		// ignore case: "AHA" and "aha" would share one.
		low := strings.ToLower(name)
		if other, dup := folded[low]; dup {
			p.fail(line, name, "", fmt.Sprintf("differs from connections.%s only in case (names must differ in more than case)", quoteKey(other)))
		} else {
			folded[low] = name
		}
		cfg.Connections = append(cfg.Connections, p.connection(name, tbl, line, cfg.RefreshBefore))
	}

	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Line < p.errs[j].Line })
		return nil, nil, p.errs
	}
	cfg.Warnings = p.warnings
	return cfg, p.literals, nil
}

// fail records a problem.
func (p *parser) fail(line int, conn, key, msg string) {
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Conn: conn, Key: key, Msg: msg})
}

// syntaxError turns the TOML parser's error into a Error on the
// parser's line. The parser quotes bits of the input ("expected value but
// found \"hunter2\" instead"), so its message is withheld when the line may
// hold a secret.
func (p *parser) syntaxError(data string, err error) *Error {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return &Error{File: p.file, Msg: "invalid TOML"}
	}
	line := pe.Position.Line
	msg := "invalid TOML: " + clip(redact.Sanitize(pe.Message), 160)
	if mentionsSecret(pe.LastKey) || linesMentionSecret(data, line-1, line) {
		msg = "invalid TOML (the parser's details are withheld because this line may hold a secret; check the quoting)"
	}
	return &Error{File: p.file, Line: line, Msg: msg}
}

// mentionsSecret reports whether s names a key that holds a secret.
func mentionsSecret(s string) bool {
	s = strings.ToLower(s)
	for _, w := range []string{"secret", "password", "passwd", "api_key", "apikey"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// linesMentionSecret reports whether any of lines from..to (1-based) of
// data mentions a secret key. The lexer reports some errors at the end of
// the previous line, hence the range.
func linesMentionSecret(data string, from, to int) bool {
	n := 1
	for len(data) > 0 && n <= to {
		line, rest, _ := strings.Cut(data, "\n")
		if n >= from && mentionsSecret(line) {
			return true
		}
		data = rest
		n++
	}
	return false
}

// connection builds and checks one connection.
func (p *parser) connection(name string, tbl map[string]any, line int, refresh time.Duration) *flows.Connection {
	r := &connReader{p: p, name: name, tbl: tbl, line: line}
	c := &flows.Connection{Name: name, Line: line}
	c.Provider = flows.Provider(r.str("provider"))
	c.Flow = flows.Flow(r.str("flow"))
	c.ClientID = r.str("client_id")
	c.ClientSecret = r.secret("client_secret")
	c.ClientAuth = flows.ClientAuth(r.str("client_auth"))
	c.Username = r.str("username")
	c.Password = r.secret("password")
	c.APIKey = r.secret("api_key")
	c.Subdomain = r.str("subdomain")
	c.CompanyURL = r.str("company_url")
	for _, f := range uRLFields(c) {
		*f.val = r.str(f.key)
	}
	c.RedirectURI = r.str("redirect_uri")
	c.Scopes = r.strs("scopes")
	c.PKCE = r.boolean("pkce", true)
	c.Headers = r.table("headers")
	c.Params = r.table("params")
	c.RefreshBefore = r.duration("refresh_before", refresh)
	c.LoginTimeout = r.duration("login_timeout", defaultLoginTimeout)
	if ca := r.str("ca_file"); ca != "" {
		c.CAFile = p.localPath(ca)
	}
	c.InsecureSkipVerify = r.boolean("insecure_skip_verify", false)
	c.Note = r.str("note")

	// What the file itself says, checked before the preset adds to it:
	// the presets are known to be valid, and an error must point at what
	// the user wrote.
	for _, f := range uRLFields(c) {
		if *f.val == "" {
			continue
		}
		// {base_url} is checked where base_url is set; a sample base
		// stands in for it here.
		v := strings.ReplaceAll(*f.val, flows.BaseURLPlaceholder, "https://base.invalid")
		if msg := uRLProblem(v); msg != "" {
			r.fail(f.key, msg)
			continue
		}
		if strings.Contains(*f.val, flows.SubdomainPlaceholder) && c.Subdomain == "" && c.Provider != flows.Aha {
			r.fail(f.key, "uses {subdomain} but subdomain is not set")
		}
		switch f.key {
		case "base_url":
			// Endpoint paths are appended to it.
			if strings.Contains(*f.val, "?") {
				r.fail(f.key, "must not have a query (endpoint paths are appended to it)")
			}
		case "issuer":
			// OpenID Connect Discovery 1.0 §3: the issuer has no query (a
			// fragment is refused above for every URL).
			if strings.Contains(*f.val, "?") {
				r.fail(f.key, "must not have a query (OpenID Connect Discovery §3)")
			}
		}
	}
	if c.RedirectURI != "" {
		if msg := redirectProblem(c.RedirectURI); msg != "" {
			r.fail("redirect_uri", msg)
		}
	}
	if c.CompanyURL != "" {
		if msg := companyURLProblem(c.CompanyURL); msg != "" {
			r.fail("company_url", msg)
		}
	}
	if c.Subdomain != "" {
		if err := flows.CheckSubdomain(c.Subdomain); err != nil {
			r.fail("subdomain", "must be "+strings.TrimPrefix(err.Error(), "an account subdomain is "))
		}
	}
	for i, s := range c.Scopes {
		if !validScope(s) {
			r.fail("scopes", fmt.Sprintf("scope %d is empty or holds a space, quote or backslash (RFC 6749 §3.3)", i+1))
		}
	}
	for _, k := range sortedKeys(c.Headers) {
		if !validHeaderName(k) {
			r.fail("headers."+keyString(k), "is not a valid header name (RFC 9110 §5.1)")
		} else if strings.ContainsAny(c.Headers[k], "\r\n\x00") {
			// The value is not repeated: headers may carry credentials.
			r.fail("headers."+keyString(k), "value must not contain CR, LF or NUL (RFC 9110 §5.5)")
		}
	}
	for _, k := range sortedKeys(c.Params) {
		if hint, reserved := reservedParams[k]; reserved {
			msg := "is set by tokentop and cannot be overridden"
			if hint != "" {
				msg += "; " + hint
			}
			r.fail("params."+keyString(k), msg)
		}
	}
	if c.InsecureSkipVerify {
		p.warnings = append(p.warnings, fmt.Sprintf(
			"%s:%d: connections.%s: insecure_skip_verify is on: TLS certificates are not verified, so anyone on the network path can read this connection's tokens",
			p.file, r.keyLine("insecure_skip_verify"), quoteKey(name)))
	}

	// The provider, its flows and its preset. A provider of the wrong type
	// was reported above; "missing provider" would only repeat it.
	if v, present := tbl["provider"]; present {
		if _, isString := v.(string); !isString {
			return c
		}
	}
	if c.Provider == "" {
		r.failConn("missing provider (one of: " + providerList() + ")")
		return c
	}
	if _, ok := presets[c.Provider]; !ok {
		r.failValue("provider", fmt.Sprintf("unknown provider %s (one of: %s)", quoteValue(string(c.Provider)), providerList()))
		return c
	}
	switch {
	case c.Flow == "" && needsFlow(c.Provider):
		r.failConn("missing flow (one of: " + flowList(c.Provider) + ")")
		return c
	case c.Flow == "":
		c.Flow = presets[c.Provider].flows[0]
	case !offers(flows.OAuth2, c.Flow):
		r.failValue("flow", fmt.Sprintf("unknown flow %s (one of: %s)", quoteValue(string(c.Flow)), flowList(c.Provider)))
		return c
	case !offers(c.Provider, c.Flow):
		r.failValue("flow", fmt.Sprintf("%s does not offer the %s flow (one of: %s)", c.Provider, c.Flow, flowList(c.Provider)))
		return c
	}
	if c.ClientAuth != "" && c.ClientAuth != flows.ClientAuthBasic && c.ClientAuth != flows.ClientAuthBody {
		r.failValue("client_auth", fmt.Sprintf("unknown client_auth %s (one of: basic, body)", quoteValue(string(c.ClientAuth))))
	}
	for _, pr := range applyPreset(c) {
		r.fail(pr.key, pr.msg)
	}
	for _, pr := range presetProblems(c) {
		r.fail(pr.key, pr.msg)
	}
	return c
}

// localPath makes a path from the file absolute: "~/" is the home
// directory, and a relative path is relative to the configuration file's
// directory, so the file means the same whatever the working directory.
func (p *parser) localPath(path string) string {
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
		return path
	}
	if filepath.IsAbs(path) || p.path == "" {
		return path
	}
	return filepath.Join(filepath.Dir(p.path), path)
}

// connReader reads typed values from one connection's table and reports
// type errors against the key.
type connReader struct {
	p    *parser
	name string
	tbl  map[string]any
	line int
}

func (r *connReader) keyLine(key ...string) int {
	if l := r.p.lines.line(append([]string{"connections", r.name}, key...)...); l > 0 {
		return l
	}
	return r.line
}

// fail reports a problem with key, a dotted key relative to the connection.
func (r *connReader) fail(key, msg string) {
	if key == "" {
		r.failConn(msg)
		return
	}
	// key is already in TOML form; the line index wants its parts.
	line := r.keyLine(splitKey(key)...)
	r.p.fail(line, r.name, key, msg)
}

func (r *connReader) failConn(msg string) { r.p.fail(r.line, r.name, "", msg) }

// failValue reports a bad value of a key whose message names the key
// itself ("unknown flow ..."): on the key's line, under the connection.
func (r *connReader) failValue(key, msg string) { r.p.fail(r.keyLine(key), r.name, "", msg) }

func (r *connReader) str(key string) string {
	v, ok := r.tbl[key]
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		r.fail(key, "must be a string")
	}
	return s
}

func (r *connReader) secret(key string) secret.Secret {
	spec := r.str(key)
	if spec == "" {
		return secret.Secret{}
	}
	// Messages name the key and the kind of source only, never the value.
	kind, arg, _ := strings.Cut(spec, ":")
	s := secret.New(spec)
	switch s.Source() {
	case "env":
		if !validEnvName(arg) {
			r.fail(key, "env: must be followed by an environment variable name, such as env:CLIENT_SECRET")
		}
	case "cmd":
		if strings.TrimSpace(arg) == "" {
			r.fail(key, "cmd: must be followed by a command")
		}
	case "file":
		if arg == "" {
			r.fail(key, "file: must be followed by a path")
		} else {
			s = secret.New(kind + ":" + r.p.localPath(arg))
		}
	case "literal":
		if len(spec) > secret.MaxSize {
			r.fail(key, secret.TooLarge("literal").Error())
		}
		r.p.literals = append(r.p.literals, literal{conn: r.name, key: key, line: r.keyLine(key)})
	}
	return s
}

func (r *connReader) strs(key string) []string {
	v, ok := r.tbl[key]
	if !ok {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		r.fail(key, "must be an array of strings")
		return nil
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, ok := e.(string)
		if !ok {
			r.fail(key, "must be an array of strings")
			return nil
		}
		out = append(out, s)
	}
	return out
}

func (r *connReader) boolean(key string, def bool) bool {
	v, ok := r.tbl[key]
	if !ok {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		r.fail(key, "must be true or false")
		return def
	}
	return b
}

func (r *connReader) table(key string) map[string]string {
	v, ok := r.tbl[key]
	if !ok {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		r.fail(key, `must be a table of strings, such as { name = "value" }`)
		return nil
	}
	out := make(map[string]string, len(m))
	for _, k := range sortedKeys(m) {
		s, ok := m[k].(string)
		if !ok {
			r.fail(key+"."+keyString(k), "must be a string")
			continue
		}
		out[k] = s
	}
	return out
}

func (r *connReader) duration(key string, def time.Duration) time.Duration {
	v, ok := r.tbl[key]
	if !ok {
		return def
	}
	d, msg := duration(v, key)
	if msg != "" {
		r.fail(key, msg)
		return def
	}
	return d
}

// duration reads a Go duration string within the key's sane bounds.
func duration(v any, key string) (time.Duration, string) {
	s, ok := v.(string)
	if !ok {
		return 0, `must be a duration such as "60s" or "5m"`
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, `must be a duration such as "60s" or "5m"`
	}
	b := durationBounds[key]
	if d <= 0 {
		return 0, "must be positive"
	}
	if d < b[0] || d > b[1] {
		return 0, fmt.Sprintf("must be between %s and %s", formatDuration(b[0]), formatDuration(b[1]))
	}
	return d, ""
}

// formatDuration prints 1s, 1h, 24h rather than 1h0m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	return strings.TrimSuffix(s, "0m")
}

// nameProblem checks a connection name: names appear in file names, on
// the command line ("tokentop token NAME") and in shell completion.
func nameProblem(name string) string {
	switch {
	case len(name) > maxNameLen:
		return fmt.Sprintf("connection name is longer than %d characters", maxNameLen)
	case !utf8.ValidString(name):
		return "connection name must be valid UTF-8"
	case strings.ContainsFunc(name, unicode.IsSpace):
		return "connection name must not contain spaces"
	case strings.ContainsFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }):
		return "connection name must be printable"
	case strings.ContainsAny(name, `/\`):
		return `connection name must not contain "/" or "\"`
	case name == "." || name == "..":
		return `connection name must not be "." or ".."`
	case strings.HasPrefix(name, "-"):
		return `connection name must not start with "-" (it would read as a command-line option)`
	}
	return ""
}

// validEnvName reports whether s is a portable environment variable name.
func validEnvName(s string) bool {
	if s == "" || '0' <= s[0] && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// validScope reports whether s is a scope-token: 1*NQCHAR, where NQCHAR
// is %x21 / %x23-5B / %x5D-7E (RFC 6749 §3.3).
func validScope(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// validHeaderName reports whether s is an HTTP token (RFC 9110 §5.6.2).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// knownKey reports whether k may appear in a connection table.
func knownKey(k string) bool {
	for _, known := range connKeys {
		if k == known {
			return true
		}
	}
	return false
}

// suggestKey returns the known key that k likely misspells by case or
// by "-" for "_", or "".
func suggestKey(k string) string {
	norm := strings.ReplaceAll(strings.ToLower(k), "-", "_")
	for _, known := range connKeys {
		if norm == known {
			return known
		}
	}
	return ""
}

// providerList is the providers as error messages list them.
func providerList() string {
	names := make([]string, len(providers))
	for i, p := range providers {
		names[i] = string(p)
	}
	return strings.Join(names, ", ")
}

// quoteValue quotes a value from the file for a message: clipped, with
// anything unprintable escaped. Only non-secret values are ever quoted.
func quoteValue(s string) string { return strconv.Quote(clip(s, 40)) }

// clip shortens s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// isBareKey reports whether s can be written as a bare TOML key.
func isBareKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// quoteKey writes one key part as TOML would, quoting it when it is not
// bare. Quoting uses Go's rules, which escape every unprintable rune, so a
// name cannot smuggle terminal escapes into a message.
func quoteKey(s string) string {
	if isBareKey(s) {
		return s
	}
	return strconv.Quote(clip(s, maxNameLen))
}

// keyString joins key parts in TOML dotted form.
func keyString(parts ...string) string {
	q := make([]string, len(parts))
	for i, s := range parts {
		q[i] = quoteKey(s)
	}
	return strings.Join(q, ".")
}

// splitKey undoes keyString for keys whose parts hold no dot inside
// quotes, which is all the keys this package builds: a header name is a
// token and may hold ".", so only the first dot splits.
func splitKey(key string) []string {
	first, rest, ok := strings.Cut(key, ".")
	if !ok {
		return []string{key}
	}
	if u, err := strconv.Unquote(rest); err == nil {
		rest = u
	}
	return []string{first, rest}
}

// sortedKeys returns m's keys sorted, for deterministic messages.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// lineIndex maps key paths (see pathKey) to the line where each is
// first written: a [table] header, a key, a part of a dotted key, or a key
// of an inline table.
//
// toml v1.6.0's MetaData keeps key positions private (keyInfo) and shows
// them only inside its own decode errors, so tokentop indexes lines itself.
// The index is built only from text the TOML parser has accepted; where it
// is unsure it records nothing, and messages fall back to the connection's
// line, or to none.
type lineIndex map[string]int

// pathKey joins key parts into an index key; NUL cannot occur in a key
// the parser accepted.
func pathKey(parts ...string) string { return strings.Join(parts, "\x00") }

// line returns the line of the key path, or 0.
func (x lineIndex) line(parts ...string) int { return x[pathKey(parts...)] }

// maxDepth bounds how deep a file may nest: the length of the path from
// the top to a value, counting every table and key part ([a.b] c.d = 1 is 4
// deep) and every array. A configuration needs 4 (connections.NAME.headers.X);
// deeper files are valid TOML but not configurations, and toml v1.6.0 spends
// time and memory quadratic in the depth (24 KB of nested inline tables cost
// it a gigabyte, of dotted keys five), so they are refused before it runs.
const maxDepth = 32

// indexer scans TOML text for indexLines.
type indexer struct {
	s     string
	i     int
	line  int
	depth int // the path length of the value being read
	nest  int // arrays and inline tables open around it
	deep  int // the line where depth or nest first passed maxDepth; 0 if none
	idx   lineIndex
}

// indexLines indexes the lines of keys in valid TOML text. It also
// serves as the pre-scan of any text: deep is the line where the nesting
// passes maxDepth (the scan stops there), or 0. Strings and comments do
// not count, and the scan's cost is linear in the text.
func indexLines(s string) (idx lineIndex, deep int) {
	// A byte order mark is allowed before the first key (TOML 1.0,
	// "Spec"); it is not part of it.
	s = strings.TrimPrefix(s, "\ufeff")
	x := &indexer{s: s, line: 1, idx: lineIndex{}}
	var table []string
	for x.i < len(x.s) {
		switch c := x.s[x.i]; c {
		case '\n':
			x.line++
			x.i++
		case ' ', '\t', '\r':
			x.i++
		case '#':
			x.skipComment()
		case '[':
			x.i++
			if x.i < len(x.s) && x.s[x.i] == '[' {
				x.i++
			}
			table = x.key()
			if !x.within(len(table)) {
				break
			}
			x.record(nil, table)
			x.skipLine()
		default:
			start := x.i
			key := x.key()
			if x.i == start || len(key) == 0 {
				x.skipLine()
				continue
			}
			if !x.within(len(table) + len(key)) {
				break
			}
			full := append(append([]string(nil), table...), key...)
			x.record(table, key)
			x.skipSpace()
			if x.i < len(x.s) && x.s[x.i] == '=' {
				x.i++
			}
			x.depth = len(full)
			x.value(full)
			x.depth = 0
		}
	}
	return x.idx, x.deep
}

// within reports whether a path of depth n is allowed; when it is not, it
// notes the line and ends the scan.
func (x *indexer) within(n int) bool {
	if n <= maxDepth && x.nest <= maxDepth {
		return true
	}
	if x.deep == 0 {
		x.deep = x.line
	}
	x.i = len(x.s)
	return false
}

// record notes the line of every prefix of prefix+key that has none yet.
func (x *indexer) record(prefix, key []string) {
	full := append(append([]string(nil), prefix...), key...)
	for n := len(prefix) + 1; n <= len(full); n++ {
		id := pathKey(full[:n]...)
		if _, ok := x.idx[id]; !ok {
			x.idx[id] = x.line
		}
	}
}

func (x *indexer) skipSpace() {
	for x.i < len(x.s) && (x.s[x.i] == ' ' || x.s[x.i] == '\t') {
		x.i++
	}
}

// skipComment moves to the newline that ends a comment.
func (x *indexer) skipComment() {
	for x.i < len(x.s) && x.s[x.i] != '\n' {
		x.i++
	}
}

// skipLine moves to the end of the line (the rest of a header line).
func (x *indexer) skipLine() { x.skipComment() }

// skipBlank skips spaces, newlines and comments inside arrays and inline
// tables.
func (x *indexer) skipBlank() {
	for x.i < len(x.s) {
		switch x.s[x.i] {
		case ' ', '\t', '\r':
			x.i++
		case '\n':
			x.line++
			x.i++
		case '#':
			x.skipComment()
		default:
			return
		}
	}
}

// key reads a possibly dotted key: bare, "basic" or 'literal' parts.
func (x *indexer) key() []string {
	var parts []string
	for {
		x.skipSpace()
		if x.i >= len(x.s) {
			return parts
		}
		switch c := x.s[x.i]; {
		case c == '"':
			x.i++
			start := x.i
			for x.i < len(x.s) && x.s[x.i] != '"' && x.s[x.i] != '\n' {
				if x.s[x.i] == '\\' {
					x.i++
				}
				x.i++
			}
			end := min(x.i, len(x.s))
			parts = append(parts, unescape(x.s[start:end]))
			x.i = min(x.i+1, len(x.s))
		case c == '\'':
			x.i++
			start := x.i
			for x.i < len(x.s) && x.s[x.i] != '\'' && x.s[x.i] != '\n' {
				x.i++
			}
			parts = append(parts, x.s[start:x.i])
			x.i = min(x.i+1, len(x.s))
		case isBareKey(string(c)):
			start := x.i
			for x.i < len(x.s) && isBareKey(x.s[x.i:x.i+1]) {
				x.i++
			}
			parts = append(parts, x.s[start:x.i])
		default:
			return parts
		}
		if len(parts) > maxDepth {
			return parts // too deep already: the caller ends the scan
		}
		x.skipSpace()
		if x.i >= len(x.s) || x.s[x.i] != '.' {
			return parts
		}
		x.i++
	}
}

// value skips one value; the keys of inline tables are recorded under path
// (nil: do not record, as inside arrays).
func (x *indexer) value(path []string) {
	x.skipSpace()
	if x.i >= len(x.s) {
		return
	}
	rest := x.s[x.i:]
	switch {
	case strings.HasPrefix(rest, `"""`):
		x.i += 3
		x.skipMultiline(`"""`, true)
	case strings.HasPrefix(rest, `'''`):
		x.i += 3
		x.skipMultiline(`'''`, false)
	case rest[0] == '"':
		x.i++
		for x.i < len(x.s) && x.s[x.i] != '"' && x.s[x.i] != '\n' {
			if x.s[x.i] == '\\' {
				x.i++
			}
			x.i++
		}
		x.i = min(x.i+1, len(x.s))
	case rest[0] == '\'':
		x.i++
		for x.i < len(x.s) && x.s[x.i] != '\'' && x.s[x.i] != '\n' {
			x.i++
		}
		x.i = min(x.i+1, len(x.s))
	case rest[0] == '[':
		// An array is a level of the path, and of the recursion.
		x.depth++
		x.nest++
		defer func() { x.depth--; x.nest-- }()
		if !x.within(x.depth) {
			return
		}
		x.i++
		for x.i < len(x.s) {
			x.skipBlank()
			if x.i >= len(x.s) {
				return
			}
			switch x.s[x.i] {
			case ']':
				x.i++
				return
			case ',':
				x.i++
				continue
			}
			start := x.i
			x.value(nil)
			if x.i == start {
				x.i++
			}
		}
	case rest[0] == '{':
		// An inline table's keys are its levels of the path; it is one
		// of the recursion, which "{{{" without keys would not bound.
		x.nest++
		defer func() { x.nest-- }()
		if !x.within(x.depth) {
			return
		}
		x.i++
		for x.i < len(x.s) {
			x.skipBlank()
			if x.i >= len(x.s) {
				return
			}
			switch x.s[x.i] {
			case '}':
				x.i++
				return
			case ',':
				x.i++
				continue
			}
			start := x.i
			key := x.key()
			if !x.within(x.depth + len(key)) {
				return
			}
			var sub []string
			if path != nil && len(key) > 0 {
				x.record(path, key)
				sub = append(append([]string(nil), path...), key...)
			}
			x.skipSpace()
			if x.i < len(x.s) && x.s[x.i] == '=' {
				x.i++
			}
			x.depth += len(key)
			x.value(sub)
			x.depth -= len(key)
			if x.i == start {
				x.i++
			}
		}
	default:
		// A number, boolean or date: up to the next delimiter.
		for x.i < len(x.s) && !strings.ContainsRune(",]}\n#", rune(x.s[x.i])) {
			x.i++
		}
	}
}

// skipMultiline skips to the end of a multi-line string, counting lines. The
// closing delimiter may be followed by up to two more quotes, which belong
// to the content (TOML 1.0, "String").
func (x *indexer) skipMultiline(delim string, escapes bool) {
	for x.i < len(x.s) {
		switch {
		case strings.HasPrefix(x.s[x.i:], delim):
			x.i += 3
			for n := 0; n < 2 && x.i < len(x.s) && x.s[x.i] == delim[0]; n++ {
				x.i++
			}
			return
		case escapes && x.s[x.i] == '\\':
			x.i++
			if x.i < len(x.s) {
				if x.s[x.i] == '\n' {
					x.line++
				}
				x.i++
			}
		case x.s[x.i] == '\n':
			x.line++
			x.i++
		default:
			x.i++
		}
	}
}

// unescape decodes the escapes of a TOML basic string (TOML 1.0 and the
// \e and \xHH of 1.1). An invalid escape is kept as written: the parser has
// accepted the text, so this only happens on input the index gives up on.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'f':
			b.WriteByte('\f')
		case 'r':
			b.WriteByte('\r')
		case 'e':
			b.WriteByte(0x1b)
		case '"', '\\':
			b.WriteByte(s[i])
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[s[i]]
			if i+n >= len(s) {
				b.WriteByte('\\')
				b.WriteByte(s[i])
				continue
			}
			r, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32)
			if err != nil {
				b.WriteByte('\\')
				b.WriteByte(s[i])
				continue
			}
			b.WriteRune(rune(r))
			i += n
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
