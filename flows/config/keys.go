package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

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
