package config

import (
	"bytes"
	"errors"
	"strings"
	"tokentop/flows"
)

// LoadFor loads the configuration as Load does, but parses only
// the top-level keys and the tables of connection name, so that the script
// path (tokentop token NAME) costs the same with one connection configured or
// a thousand, and does no work for the others. Lines of other connections
// are blanked rather than removed, so an error in this connection keeps its
// file:line. Whenever the file's layout is not one the line scan can read
// with certainty (arrays of tables, multi-line strings, an inline-table
// connection, a parse error, the connection not found), it falls back to
// Load, whose result and errors are the reference.
func LoadFor(path, name string) (*flows.Config, error) {
	data, mode, err := read(path)
	if err != nil {
		return nil, err
	}
	if reduced, ok := reduce(data, name); ok {
		if cfg, err := load(path, reduced, mode); err == nil && cfg.Connection(name) != nil && len(cfg.Connections) == 1 {
			return cfg, nil
		}
	}
	return load(path, data, mode)
}

// reduce blanks every line that belongs to a table other than the
// connection's own ([connections.NAME] and its sub-tables) or one of its
// ancestors ([connections], which may hold dotted keys). ok is false when the
// text holds something the scan cannot place with certainty.
func reduce(data []byte, name string) (reduced []byte, ok bool) {
	if bytes.Contains(data, []byte(`"""`)) || bytes.Contains(data, []byte(`'''`)) {
		return nil, false // a multi-line string could hold a line like a header
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	keep := true // top-level keys come before the first header
	found := false
	var out bytes.Buffer
	out.Grow(len(data))
	for _, l := range lines {
		t := bytes.TrimSpace(l)
		if len(t) > 0 && t[0] == '[' {
			if bytes.HasPrefix(t, []byte("[[")) {
				return nil, false
			}
			path, isHeader := headerPath(string(t))
			if !isHeader {
				// A line of a multi-line array, or something unexpected:
				// only safe inside a kept table, where it stays as it is.
				if !keep {
					return nil, false
				}
				out.Write(l)
				continue
			}
			keep = related(path, name)
			if len(path) >= 2 && path[0] == "connections" && path[1] == name {
				found = true
			}
		}
		if keep {
			out.Write(l)
		} else if bytes.HasSuffix(l, []byte("\n")) {
			out.WriteByte('\n')
		}
	}
	return out.Bytes(), found
}

// related reports whether a table at path can hold keys of connection
// name: the table itself, its sub-tables, or its ancestors.
func related(path []string, name string) bool {
	want := []string{"connections", name}
	n := min(len(path), len(want))
	for i := range n {
		if path[i] != want[i] {
			return false
		}
	}
	return true
}

// headerPath reads a table header line such as `[connections."a b"]  #
// note` into its key path. isHeader is false for anything else.
func headerPath(line string) (path []string, isHeader bool) {
	if !strings.HasPrefix(line, "[") {
		return nil, false
	}
	s := line[1:]
	for {
		s = strings.TrimLeft(s, " \t")
		var key string
		var err error
		key, s, err = headerKey(s)
		if err != nil {
			return nil, false
		}
		path = append(path, key)
		s = strings.TrimLeft(s, " \t")
		switch {
		case strings.HasPrefix(s, "."):
			s = s[1:]
			continue
		case strings.HasPrefix(s, "]"):
			rest := strings.TrimSpace(s[1:])
			if rest != "" && !strings.HasPrefix(rest, "#") {
				return nil, false
			}
			return path, true
		default:
			return nil, false
		}
	}
}

var errHeader = errors.New("not a header key")

// headerKey reads one bare, basic-quoted or literal-quoted key.
func headerKey(s string) (key, rest string, err error) {
	switch {
	case strings.HasPrefix(s, `"`):
		end := strings.IndexByte(s[1:], '"')
		if end < 0 || strings.ContainsRune(s[1:1+end], '\\') {
			return "", "", errHeader // escapes: leave it to the parser
		}
		return s[1 : 1+end], s[2+end:], nil
	case strings.HasPrefix(s, "'"):
		end := strings.IndexByte(s[1:], '\'')
		if end < 0 {
			return "", "", errHeader
		}
		return s[1 : 1+end], s[2+end:], nil
	}
	i := 0
	for i < len(s) {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' {
			i++
			continue
		}
		break
	}
	if i == 0 {
		return "", "", errHeader
	}
	return s[:i], s[i:], nil
}
