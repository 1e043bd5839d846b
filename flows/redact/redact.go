// Package redact hides the secrets tokentop handles from everything that
// leaves it (logs, errors, the screen) and makes outside text safe to print.
package redact

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Placeholder replaces every known secret in text that leaves tokentop.
const Placeholder = "[REDACTED]"

// MinLen is the shortest value the Redactor hides: shorter values
// (a "1", a "true") would blank out ordinary words, and no real credential
// is that short.
const MinLen = 6

// Redactor hides known secrets in text before it is logged or shown: a
// second line of defence behind code that never formats a secret in the
// first place. Each endpoint adds every secret it touches (client secret,
// password, authorization code, PKCE verifier, access and refresh tokens),
// and the log handler and the error excerpts of provider bodies go through
// it. It is safe for concurrent use; a nil *Redactor redacts nothing.
type Redactor struct {
	mu    sync.RWMutex
	forms map[string]struct{}
	list  []string // forms, longest first
}

// New returns an empty Redactor.
func New() *Redactor { return &Redactor{forms: map[string]struct{}{}} }

// Add registers secrets. Each is hidden as written and in the forms it takes
// on the wire: URL query and path escaping (form bodies, RFC 6749 Appendix
// B), JSON string escaping (Amino's JSON:API bodies), and base64 (an HTTP
// Basic header of RFC 6749 §2.3.1 carries it inside base64 of "id:secret",
// so every alignment of it inside a longer base64 text is covered). Values
// shorter than six characters are ignored.
func (r *Redactor) Add(secrets ...string) {
	if r == nil {
		return
	}
	var add []string
	for _, s := range secrets {
		if len(s) < MinLen {
			continue
		}
		for _, f := range []string{s, url.QueryEscape(s), url.PathEscape(s), jsonEscape(s)} {
			add = append(add, f)
			add = append(add, base64Cores(f)...)
		}
	}
	r.addForms(add...)
}

// AddBasic registers the whole base64 credentials of an HTTP Basic header,
// so the client id next to the secret is hidden too.
func (r *Redactor) AddBasic(encoded string) {
	if r != nil && len(encoded) >= MinLen {
		r.addForms(encoded)
	}
}

func (r *Redactor) addForms(forms ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.forms == nil {
		r.forms = map[string]struct{}{}
	}
	changed := false
	for _, f := range forms {
		// A form that is part of the marker itself could never be hidden
		// and would make every redaction grow: leave it out.
		if len(f) < MinLen || strings.Contains(Placeholder, f) {
			continue
		}
		if _, ok := r.forms[f]; !ok {
			r.forms[f] = struct{}{}
			changed = true
		}
	}
	if changed {
		r.list = r.list[:0:0]
		for f := range r.forms {
			r.list = append(r.list, f)
		}
		slices.SortFunc(r.list, func(a, b string) int {
			if len(a) != len(b) {
				return len(b) - len(a)
			}
			return strings.Compare(a, b)
		})
	}
}

// Redact returns s with every occurrence of a known secret, in any of its
// registered forms, replaced by "[REDACTED]". Overlapping occurrences become
// one marker; the pass repeats until no form is left, so a secret cannot be
// rebuilt from a marker and the text around it.
func (r *Redactor) Redact(s string) string {
	if r == nil || s == "" {
		return s
	}
	r.mu.RLock()
	list := r.list
	r.mu.RUnlock()
	if len(list) == 0 {
		return s
	}
	// Every round that finds something replaces at least one character of
	// the original text or merges two markers, so it ends.
	for {
		out, found := redactOnce(s, list)
		if !found {
			return out
		}
		s = out
	}
}

// redactOnce replaces the union of all occurrences of all forms by one
// marker per connected run.
func redactOnce(s string, list []string) (string, bool) {
	type span struct{ from, to int }
	var spans []span
	for _, f := range list {
		for i := 0; i+len(f) <= len(s); {
			j := strings.Index(s[i:], f)
			if j < 0 {
				break
			}
			spans = append(spans, span{i + j, i + j + len(f)})
			i += j + 1
		}
	}
	if len(spans) == 0 {
		return s, false
	}
	slices.SortFunc(spans, func(a, b span) int { return a.from - b.from })
	var b strings.Builder
	last := 0
	cur := spans[0]
	flush := func() {
		b.WriteString(s[last:cur.from])
		b.WriteString(Placeholder)
		last = cur.to
	}
	for _, sp := range spans[1:] {
		if sp.from <= cur.to {
			cur.to = max(cur.to, sp.to)
			continue
		}
		flush()
		cur = sp
	}
	flush()
	b.WriteString(s[last:])
	return b.String(), true
}

// jsonEscape returns s as it appears inside a JSON string.
func jsonEscape(s string) string {
	b, err := json.Marshal(s)
	if err != nil || len(b) < 2 {
		return s
	}
	return string(b[1 : len(b)-1])
}

// base64Cores returns, for each of the three byte alignments s can have
// inside a longer text, the base64 characters (standard and URL alphabets)
// that depend on s alone. Whatever surrounds s in an encoded "id:secret",
// those characters appear in the encoding.
func base64Cores(s string) []string {
	var out []string
	for k := 0; k < 3; k++ {
		buf := make([]byte, k+len(s))
		copy(buf[k:], s)
		enc := base64.StdEncoding.EncodeToString(buf)
		// Character i covers bits [6i, 6i+6); s covers [8k, 8(k+len)).
		first := (8*k + 5) / 6
		last := (8*(k+len(s)) - 6) / 6 // inclusive
		if last < first || last >= len(enc) {
			continue
		}
		core := enc[first : last+1]
		if len(core) < MinLen {
			continue
		}
		out = append(out, core, strings.NewReplacer("+", "-", "/", "_").Replace(core))
	}
	return out
}

// Handler wraps h so that the message and every attribute of every record
// pass through Redact: a forgotten secret in a log line is hidden.
func (r *Redactor) Handler(h slog.Handler) slog.Handler {
	if rh, ok := h.(*redactHandler); ok && rh.r == r {
		return h
	}
	return &redactHandler{r: r, h: h}
}

type redactHandler struct {
	r *Redactor
	h slog.Handler
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.h.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.Redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.h.Handle(ctx, out)
}

func (h *redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return &redactHandler{r: h.r, h: h.h.WithAttrs(clean)}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{r: h.r, h: h.h.WithGroup(name)}
}

func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.r.Redact(v.String()))
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, ga := range g {
			clean[i] = h.attr(ga)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		// Errors, structs, byte slices: print them, then redact the text.
		return slog.String(a.Key, h.r.Redact(fmt.Sprint(v.Any())))
	}
	return slog.Attr{Key: a.Key, Value: v}
}
