package config

import (
	"fmt"
	"strings"
	"time"
	"tokentop/flows/secret"
)

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
	s, problem := secretRef(spec, r.p.localPath, "CLIENT_SECRET")
	switch {
	case problem != "":
		r.fail(key, problem)
	case s.Source() == "literal":
		if len(spec) > secret.MaxSize {
			r.fail(key, secret.TooLarge("literal").Error())
		}
		r.p.literals = append(r.p.literals, literal{conn: r.name, key: key, line: r.keyLine(key)})
	}
	return s
}

// secretRef reads a secret's spec: env:NAME, cmd:COMMAND, file:PATH (made
// relative to the config file by localPath) or a literal. problem says
// what is wrong with a reference, naming the kind of source only, never
// the value; envExample is the variable name its message suggests.
func secretRef(spec string, localPath func(string) string, envExample string) (s secret.Secret, problem string) {
	kind, arg, _ := strings.Cut(spec, ":")
	s = secret.New(spec)
	switch s.Source() {
	case "env":
		if !validEnvName(arg) {
			problem = "env: must be followed by an environment variable name, such as env:" + envExample
		}
	case "cmd":
		if strings.TrimSpace(arg) == "" {
			problem = "cmd: must be followed by a command"
		}
	case "file":
		if arg == "" {
			problem = "file: must be followed by a path"
		} else {
			s = secret.New(kind + ":" + localPath(arg))
		}
	}
	return s, problem
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
	zero, zeroOK := zeroMeans[key]
	if zeroOK {
		if d == 0 {
			return 0, ""
		}
		zero = `, or "0" ` + zero
	}
	if d <= 0 {
		return 0, "must be positive" + zero
	}
	if d < b[0] || d > b[1] {
		return 0, fmt.Sprintf("must be between %s and %s%s", formatDuration(b[0]), formatDuration(b[1]), zero)
	}
	return d, ""
}

// formatDuration prints 1s, 1h, 24h rather than 1h0m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") || strings.HasSuffix(s, "h0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
