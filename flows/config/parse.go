package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
	"tokentop/flows"
	"tokentop/flows/redact"
	"tokentop/flows/urlmatch"

	"github.com/BurntSushi/toml"
)

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
	warnings []warning
	// teamConns are the connections with team = true; teamTable is the
	// [team] table (team.go).
	teamConns []string
	teamTable *Team
}

// warning is a problem that does not stop tokentop, with the connection it
// concerns ("" for the file as a whole).
type warning struct {
	conn, text string
}

// parse checks a file's contents. When lenient, problems inside one
// [connections.NAME] table set that connection aside in Config.Broken
// instead of failing; problems outside any connection still fail.
func parse(path string, data []byte, lenient bool) (*flows.Config, []literal, error) {
	cfg, _, literals, err := parseWith(path, data, lenient)
	return cfg, literals, err
}

// parseWith is parse, with the [team] table (nil when the file has none).
func parseWith(path string, data []byte, lenient bool) (*flows.Config, *Team, []literal, error) {
	p := &parser{path: path, file: filepath.Base(path)}
	if path == "" {
		p.file = "config"
	}
	if len(data) > maxSize {
		return nil, nil, nil, Errors{{File: p.file, Msg: "the file is larger than 1 MiB"}}
	}
	// The line index doubles as the pre-scan that refuses absurd nesting
	// before the TOML parser sees it; it is used only once the parser has
	// accepted the text.
	lines, deep := indexLines(string(data))
	if deep > 0 {
		return nil, nil, nil, Errors{{File: p.file, Line: deep, Msg: fmt.Sprintf("nesting deeper than %d levels of tables, keys and arrays", maxDepth)}}
	}
	var raw map[string]any
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		return nil, nil, nil, Errors{p.syntaxError(string(data), err)}
	}
	p.lines = lines

	cfg := &flows.Config{Path: path}
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
		case isTopKey(k[0]):
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
					"unknown key (the top level holds "+strings.Join(topKeys, ", ")+", a [team] table and [connections.NAME] tables)")
			}
		}
	}

	cfg.RefreshBefore = p.topDuration(raw, "refresh_before", defaultRefreshBefore)
	checkEvery := p.topDuration(raw, "check_every", defaultCheckEvery)
	cfg.ClipboardClear = p.topDuration(raw, "clipboard_clear", defaultClipboardClear)
	if v, ok := raw["bell"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			p.fail(p.lines.line("bell"), "", "bell", "must be true or false")
		}
		cfg.Bell = b
	}
	p.encryption(raw, cfg)

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
		cfg.Connections = append(cfg.Connections, p.connection(name, tbl, line, cfg.RefreshBefore, checkEvery))
		p.teamConn(name, tbl)
	}
	p.team(raw)
	p.subjectProblems(cfg.Connections)

	sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Line < p.errs[j].Line })
	if lenient && len(p.errs) > 0 && !slices.ContainsFunc(p.errs, func(e *Error) bool { return e.Conn == "" }) {
		p.setAside(cfg, names)
	}
	if len(p.errs) > 0 {
		return nil, nil, nil, p.errs
	}
	for _, w := range p.warnings {
		cfg.Warnings = append(cfg.Warnings, w.text)
	}
	return cfg, p.teamTable, p.literals, nil
}

// setAside moves the connections that have problems from cfg.Connections
// to cfg.Broken, with their problems, and drops what was noted about them:
// their warnings and literal secrets. names are the connections in file
// order; every problem must name one.
func (p *parser) setAside(cfg *flows.Config, names []string) {
	byConn := map[string][]string{}
	for _, e := range p.errs {
		byConn[e.Conn] = append(byConn[e.Conn], e.Error())
	}
	p.errs = nil
	for _, name := range names {
		if probs, broken := byConn[name]; broken {
			cfg.Broken = append(cfg.Broken, flows.BrokenConnection{Name: name, Line: p.lines.line("connections", name), Problems: probs})
		}
	}
	cfg.Connections = slices.DeleteFunc(cfg.Connections, func(c *flows.Connection) bool { return byConn[c.Name] != nil })
	p.warnings = slices.DeleteFunc(p.warnings, func(w warning) bool { return byConn[w.conn] != nil })
	p.literals = slices.DeleteFunc(p.literals, func(l literal) bool { return byConn[l.conn] != nil })
}

// topDuration reads a top-level duration key, or returns def.
func (p *parser) topDuration(raw map[string]any, key string, def time.Duration) time.Duration {
	v, ok := raw[key]
	if !ok {
		return def
	}
	d, msg := duration(v, key)
	if msg != "" {
		p.fail(p.lines.line(key), "", key, msg)
		return def
	}
	return d
}

// isTopKey reports whether k is one of topKeys or the [team] table.
func isTopKey(k string) bool { return k == "team" || slices.Contains(topKeys, k) }

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
	for _, w := range []string{"secret", "password", "passwd", "api_key", "apikey", "private_key", "private key", "subject_token", "actor_token", "encryption", "authorization", "cookie", "headers"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	// The [team] table's key is the team copies' encryption key.
	k, _, _ := strings.Cut(s, "=")
	k = strings.TrimSpace(k)
	return k == "key" || strings.HasSuffix(k, ".key")
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
func (p *parser) connection(name string, tbl map[string]any, line int, refresh, checkEvery time.Duration) *flows.Connection {
	r := &connReader{p: p, name: name, tbl: tbl, line: line}
	c := &flows.Connection{Name: name, Line: line}
	c.Provider = flows.Provider(r.str("provider"))
	c.Flow = flows.Flow(r.str("flow"))
	c.ClientID = r.str("client_id")
	c.ClientSecret = r.secret("client_secret")
	c.ClientAuth = flows.ClientAuth(r.str("client_auth"))
	c.PrivateKey = r.secret("private_key")
	c.KeyID = r.str("key_id")
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
	c.Resource = r.strs("resource")
	c.PKCE = r.boolean("pkce", true)
	c.Manual = !r.boolean("auto", true)
	c.Headers = r.table("headers")
	c.Params = r.table("params")
	c.RefreshBefore = r.duration("refresh_before", refresh)
	c.LoginTimeout = r.duration("login_timeout", defaultLoginTimeout)
	c.CheckEvery = r.duration("check_every", checkEvery)
	if ca := r.str("ca_file"); ca != "" {
		c.CAFile = p.localPath(ca)
	}
	c.InsecureSkipVerify = r.boolean("insecure_skip_verify", false)
	c.Note = r.str("note")
	c.APIURL = r.str("api_url")
	c.Match = r.strs("match")
	c.GitUsername = r.str("git_username")
	if c.APIURL != "" {
		if msg := uRLProblem(c.APIURL); msg != "" {
			r.fail("api_url", msg)
		}
	}
	for i, m := range c.Match {
		if _, err := urlmatch.Parse(m); err != nil {
			r.fail("match", fmt.Sprintf("pattern %d %s (such as \"https://api.example.com/*\")", i+1, err))
		}
	}
	if strings.ContainsAny(c.GitUsername, "\n\r\x00") {
		r.fail("git_username", "must be one line")
	}

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
	for i, res := range c.Resource {
		if msg := resourceProblem(res, c.Resource[:i]); msg != "" {
			r.fail("resource", fmt.Sprintf("value %d %s", i+1, msg))
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
		p.warnings = append(p.warnings, warning{name, fmt.Sprintf(
			"%s:%d: connections.%s: insecure_skip_verify is on: TLS certificates are not verified, so anyone on the network path can read this connection's tokens",
			p.file, r.keyLine("insecure_skip_verify"), quoteKey(name))})
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
	if !knownClientAuth(c.ClientAuth) {
		r.failValue("client_auth", fmt.Sprintf("unknown client_auth %s (one of: %s)", quoteValue(string(c.ClientAuth)), clientAuths))
	}
	for _, pr := range applyPreset(c) {
		r.fail(pr.key, pr.msg)
	}
	for _, pr := range append(presetProblems(c), clientAuthProblems(c)...) {
		r.fail(pr.key, pr.msg)
	}
	r.exchange(c)
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
