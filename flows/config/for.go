package config

import (
	"bytes"
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
		if cfg, err := load(path, reduced, mode, false); err == nil && cfg.Connection(name) != nil && len(cfg.Connections) == 1 {
			return cfg, nil
		}
	}
	return load(path, data, mode, false)
}

// reduce blanks every line that belongs to a table other than the
// connection's own ([connections.NAME] and its sub-tables) or one of its
// ancestors ([connections], which may hold dotted keys). The headers come
// from the package's one scanner (tableHeaders), which knows strings and
// comments. ok is false when the text holds something reduce does not place
// with certainty: arrays of tables, nesting too deep, or no such connection.
func reduce(data []byte, name string) (reduced []byte, ok bool) {
	headers, deep := tableHeaders(string(data))
	if deep != 0 {
		return nil, false
	}
	keep := true // top-level keys come before the first header
	found := false
	var out bytes.Buffer
	out.Grow(len(data))
	for n, l := range bytes.SplitAfter(data, []byte("\n")) {
		for len(headers) > 0 && headers[0].line == n+1 {
			h := headers[0]
			headers = headers[1:]
			if h.array {
				return nil, false
			}
			keep = related(h.path, name)
			if len(h.path) >= 2 && h.path[0] == "connections" && h.path[1] == name {
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
// name: the table itself, its sub-tables, or its ancestors; or is the
// [team] table, which says where a team connection's state is.
func related(path []string, name string) bool {
	if len(path) > 0 && path[0] == "team" {
		return true
	}
	want := []string{"connections", name}
	n := min(len(path), len(want))
	for i := range n {
		if path[i] != want[i] {
			return false
		}
	}
	return true
}
