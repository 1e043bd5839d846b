package config

import (
	"strconv"
	"strings"
)

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
	depth int       // the path length of the value being read
	nest  int       // arrays and inline tables open around it
	deep  int       // the line where depth or nest first passed maxDepth; 0 if none
	idx   lineIndex // nil: headers only
	// headers are the [table] and [[array]] header lines, in order.
	headers []header
}

// header is a [table] or [[array of tables]] header line.
type header struct {
	line  int
	path  []string
	array bool
}

// indexLines indexes the lines of keys in valid TOML text. It also
// serves as the pre-scan of any text: deep is the line where the nesting
// passes maxDepth (the scan stops there), or 0. Strings and comments do
// not count, and the scan's cost is linear in the text.
func indexLines(s string) (idx lineIndex, deep int) {
	x := scan(s, lineIndex{})
	return x.idx, x.deep
}

// tableHeaders returns the header lines of TOML text, for LoadFor, and deep
// as indexLines does. It is the same scan, so strings and comments that look
// like headers are never taken for one.
func tableHeaders(s string) (headers []header, deep int) {
	x := scan(s, nil)
	return x.headers, x.deep
}

// scan runs the one hand-written scanner of the package over s, indexing
// key lines into idx unless it is nil. It exists beside the TOML parser
// because that parser exposes neither key positions nor a depth limit.
func scan(s string, idx lineIndex) *indexer {
	// A byte order mark is allowed before the first key (TOML 1.0,
	// "Spec"); it is not part of it.
	s = strings.TrimPrefix(s, "\ufeff")
	x := &indexer{s: s, line: 1, idx: idx}
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
			array := x.i < len(x.s) && x.s[x.i] == '['
			if array {
				x.i++
			}
			table = x.key()
			if !x.within(len(table)) {
				break
			}
			x.headers = append(x.headers, header{line: x.line, path: table, array: array})
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
	return x
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
	if x.idx == nil {
		return
	}
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
		x.items(']', func() bool { x.value(nil); return true })
	case rest[0] == '{':
		// An inline table's keys are its levels of the path; it is one
		// of the recursion, which "{{{" without keys would not bound.
		x.nest++
		defer func() { x.nest-- }()
		if !x.within(x.depth) {
			return
		}
		x.items('}', func() bool {
			key := x.key()
			if !x.within(x.depth + len(key)) {
				return false
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
			return true
		})
	default:
		// A number, boolean or date: up to the next delimiter.
		for x.i < len(x.s) && !strings.ContainsRune(",]}\n#", rune(x.s[x.i])) {
			x.i++
		}
	}
}

// items reads the items of an array or inline table, from its opening
// bracket to close, calling item at the start of each; item returns false to
// end the scan (the nesting limit was passed).
func (x *indexer) items(close byte, item func() bool) {
	x.i++
	for x.i < len(x.s) {
		x.skipBlank()
		if x.i >= len(x.s) {
			return
		}
		switch x.s[x.i] {
		case close:
			x.i++
			return
		case ',':
			x.i++
			continue
		}
		start := x.i
		if !item() {
			return
		}
		if x.i == start {
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
