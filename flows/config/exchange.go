package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"tokentop/flows"
)

// The token types tokentop names by default (RFC 8693 §3).
const (
	tokenTypeJWT    = "urn:ietf:params:oauth:token-type:jwt"
	tokenTypeAccess = "urn:ietf:params:oauth:token-type:access_token"
)

// exchangeKeys are the keys of the token_exchange flow (RFC 8693 §2.1).
var exchangeKeys = []string{"subject_token", "subject_connection", "subject_token_type",
	"actor_token", "actor_token_type", "requested_token_type", "audience"}

// exchange reads the token_exchange keys and check = "introspect" into c,
// after its provider and flow are known to be valid.
func (r *connReader) exchange(c *flows.Connection) {
	c.CheckMethod = r.str("check")
	if c.CheckMethod != "" && c.CheckMethod != "introspect" {
		r.fail("check", `must be "introspect" (RFC 7662), or left out for check_url`)
	}
	if c.CheckMethod == "introspect" && c.IntrospectURL == "" && c.Issuer == "" {
		r.failConn("missing introspection_url (or issuer, whose metadata names the introspection_endpoint), required by check = \"introspect\"")
	}
	if c.IntrospectURL != "" && c.CheckMethod != "introspect" {
		r.fail("introspection_url", `is only used with check = "introspect"`)
	}
	if c.Flow != flows.TokenExchange {
		for _, k := range exchangeKeys {
			if _, set := r.tbl[k]; set {
				r.fail(k, `is only used by flow = "token_exchange"`)
			}
		}
		return
	}
	x := &c.Exchange
	x.SubjectToken = r.secret("subject_token")
	x.SubjectConnection = r.str("subject_connection")
	x.ActorToken = r.secret("actor_token")
	x.Requested = r.str("requested_token_type")
	x.Audience = r.oneOrMany("audience")
	switch {
	case x.SubjectToken.IsZero() == (x.SubjectConnection == ""):
		r.failConn("set exactly one of subject_token (a secret reference such as \"file:/var/run/secrets/tokens/ci\") and subject_connection (another connection)")
	case x.SubjectConnection != "":
		x.SubjectTokenType = tokenTypeAccess
	default:
		x.SubjectTokenType = tokenTypeJWT
	}
	if t := r.str("subject_token_type"); t != "" {
		x.SubjectTokenType = t
	}
	x.ActorTokenType = r.str("actor_token_type")
	if x.ActorToken.IsZero() != (x.ActorTokenType == "") {
		r.failConn("actor_token and actor_token_type go together (RFC 8693 §2.1)")
	}
	for _, k := range []string{"subject_token_type", "actor_token_type", "requested_token_type"} {
		if v := r.str(k); v != "" && !isAbsoluteURI(v) {
			r.fail(k, "must be a token type URI such as "+tokenTypeJWT+" (RFC 8693 §3)")
		}
	}
	for i, a := range x.Audience {
		if a == "" || strings.ContainsFunc(a, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			r.fail("audience", fmt.Sprintf("value %d is empty or holds control characters", i+1))
		} else if slices.Contains(x.Audience[:i], a) {
			r.fail("audience", fmt.Sprintf("repeats value %d", slices.Index(x.Audience, a)+1))
		}
	}
}

// oneOrMany reads a key that holds a string or an array of strings.
func (r *connReader) oneOrMany(key string) []string {
	if s, ok := r.tbl[key].(string); ok {
		return []string{s}
	}
	return r.strs(key)
}

// isAbsoluteURI reports whether s is an absolute URI (RFC 3986 §4.3), a
// URN such as urn:ietf:params:oauth:token-type:jwt among them.
func isAbsoluteURI(s string) bool {
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Opaque != "" || u.Host != "" || u.Path != "")
}

// subjectProblems refuses subject_connection values that name no
// connection, the connection itself, or a chain that comes back to where
// it started: each exchange would wait for the next one's token forever.
// Each problem is on the subject_connection line of the connection that
// closes the cycle, or that names the missing one.
func (p *parser) subjectProblems(conns []*flows.Connection) {
	byName := map[string]*flows.Connection{}
	for _, c := range conns {
		byName[c.Name] = c
	}
	for _, c := range conns {
		next := c.Exchange.SubjectConnection
		if c.Flow != flows.TokenExchange || next == "" {
			continue
		}
		line := p.lines.line("connections", c.Name, "subject_connection")
		if byName[next] == nil {
			p.fail(line, c.Name, "subject_connection", fmt.Sprintf("names no connection %s", quoteValue(next)))
			continue
		}
		chain := []string{c.Name}
		for at := byName[next]; at != nil; at = byName[at.Exchange.SubjectConnection] {
			if at.Name == c.Name {
				p.fail(line, c.Name, "subject_connection", "makes a cycle ("+strings.Join(append(chain, c.Name), " → ")+"): each exchange would wait for the other's token")
				break
			}
			if slices.Contains(chain, at.Name) || at.Flow != flows.TokenExchange {
				break // another connection's cycle, reported there; or the end
			}
			chain = append(chain, at.Name)
		}
	}
}
