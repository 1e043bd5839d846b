package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"tokentop/flows"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// fuzzPlace is where FuzzParseConfig plants its secret: the value of a
// secret key, written @S@ in the corpus.
var fuzzPlace = regexp.MustCompile(`(client_secret|password|api_key)[ \t]*=[ \t]*@S@`)

// fuzzMark starts every planted secret. The fuzzed document may not
// contain it, so any occurrence in a message comes from a planted value.
const fuzzMark = "Zq9_"

// FuzzParseConfig checks that Parse never panics, returns either a
// config or an error, and never shows a secret: the fuzzed secret is
// planted, properly quoted, as the value of every "client_secret = @S@",
// "password = @S@" and "api_key = @S@" of the fuzzed document.
func FuzzParseConfig(f *testing.F) {
	example, err := os.ReadFile(filepath.Join("testdata", "config", "example.toml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(example), "hunter2")
	f.Fuzz(func(t *testing.T, doc, secret string) {
		if len(doc) > 64<<10 || len(secret) > 1<<10 || strings.Contains(doc, fuzzMark[:3]) {
			return
		}
		planted := fuzzMark + secret
		lit := fuzzQuote(planted)
		text := fuzzPlace.ReplaceAllStringFunc(doc, func(m string) string {
			return m[:len(m)-len("@S@")] + lit
		})
		cfg, err := Parse("fuzz.toml", []byte(text))
		if (cfg == nil) == (err == nil) {
			t.Fatalf("Parse returned config %v and error %v", cfg != nil, err)
		}
		var msgs []string
		if err != nil {
			msgs = append(msgs, err.Error())
		} else {
			msgs = append(msgs, cfg.Warnings...)
			fuzzCheckConfig(t, cfg)
		}
		msgs = append(msgs, fuzzLenient(t, text, cfg, err)...)
		if text == doc {
			return
		}
		// A document may copy the planted text elsewhere (a multi-line
		// string that spans the placeholder's line, say), where showing
		// it is fair.
		var raw map[string]any
		if _, err := toml.Decode(text, &raw); err == nil && fuzzElsewhere(raw, false) {
			return
		}
		for _, m := range msgs {
			if strings.Contains(m, fuzzMark[:3]) {
				t.Fatalf("a message shows the planted secret:\n%s\n--- document:\n%s", m, text)
			}
		}
	})
}

// fuzzLenient checks that ParseLenient agrees with Parse's cfg and err: the
// same config when Parse succeeds; when it fails, the same error, or every
// problem set aside under the connection it names. It returns the lenient
// parse's messages, for the check that none shows a secret.
func fuzzLenient(t *testing.T, text string, cfg *flows.Config, err error) []string {
	lcfg, lerr := ParseLenient("fuzz.toml", []byte(text))
	switch {
	case err == nil && (lerr != nil || !reflect.DeepEqual(cfg, lcfg)):
		t.Fatalf("Parse succeeded, ParseLenient gave %v, %v", lcfg, lerr)
	case err != nil && lerr != nil && lerr.Error() != err.Error():
		t.Fatalf("ParseLenient's error\n%v\nis not Parse's\n%v", lerr, err)
	case lerr != nil:
		return nil
	}
	n := 0
	msgs := lcfg.Warnings
	for _, b := range lcfg.Broken {
		if lcfg.Connection(b.Name) != nil {
			t.Fatalf("%s is both broken and loaded", b.Name)
		}
		n += len(b.Problems)
		msgs = append(msgs, b.Problems...)
	}
	if errs, ok := err.(Errors); ok && n != len(errs) {
		t.Fatalf("%d problems set aside, Parse found %d", n, len(errs))
	}
	fuzzCheckConfig(t, lcfg)
	return msgs
}

// fuzzCheckConfig checks what a successful parse promises.
func fuzzCheckConfig(t *testing.T, cfg *flows.Config) {
	for _, c := range cfg.Connections {
		if nameProblem(c.Name) != "" || c.Name == "" {
			t.Fatalf("connection name %q accepted", c.Name)
		}
		if !offers(c.Provider, c.Flow) {
			t.Fatalf("%s: provider %q with flow %q accepted", c.Name, c.Provider, c.Flow)
		}
		for _, f := range uRLFields(c) {
			if *f.val == "" {
				continue
			}
			if u := c.ExpandURL(*f.val, "acme"); u == "" || uRLProblem(u) != "" {
				t.Fatalf("%s.%s: accepted %q, expands to %q: %s", c.Name, f.key, *f.val, u, uRLProblem(u))
			}
		}
		if c.RefreshBefore <= 0 || c.LoginTimeout <= 0 {
			t.Fatalf("%s: durations %v, %v", c.Name, c.RefreshBefore, c.LoginTimeout)
		}
	}
}

// fuzzElsewhere reports whether the mark appears in a key or in a value
// that is not a secret key's.
func fuzzElsewhere(v any, secretValue bool) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if strings.Contains(k, fuzzMark[:3]) || fuzzElsewhere(e, secretKeys[k]) {
				return true
			}
		}
	case []map[string]any:
		for _, e := range v {
			if fuzzElsewhere(e, false) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if fuzzElsewhere(e, false) {
				return true
			}
		}
	case string:
		return !secretValue && strings.Contains(v, fuzzMark[:3])
	default:
		return strings.Contains(fmt.Sprint(v), fuzzMark[:3])
	}
	return false
}

// fuzzQuote writes s as a TOML basic string.
func fuzzQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range strings.ToValidUTF8(s, string(utf8.RuneError)) {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// FuzzConfigNesting checks that the pre-scan is sound: a document it lets
// through never decodes deeper than it can measure. Its count is exact but
// for arrays of tables ([[a.b]]), each of which may hide one level, hence
// the factor of two.
func FuzzConfigNesting(f *testing.F) {
	for _, s := range []string{
		"a = [[1], {b = [2, {c = 3}]}]\n",
		"[a.b]\nc.d = {e = [[{f = 1}]]}\n",
		"[[a]]\n[[a.b]]\n[[a.b.c]]\nd = 1\n",
		"a = \"\"\"\n[[[\n\"\"\" # [[\nb = '{{'\n",
		"a = [\n  [ # ]\n  1 ],\n]\n",
		"\"a.b\" = {'c' = [ \"]\" ]}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		if len(doc) > 4<<10 {
			return
		}
		_, deep := indexLines(doc)
		if deep != 0 {
			return
		}
		var raw map[string]any
		if _, err := toml.Decode(doc, &raw); err != nil {
			return
		}
		if d := fuzzDepth(raw); d > 2*maxDepth {
			t.Fatalf("the pre-scan let through a document %d deep:\n%s", d, doc)
		}
	})
}

// fuzzDepth is the length of the longest path from v to a value.
func fuzzDepth(v any) int {
	d := 0
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			d = max(d, 1+fuzzDepth(e))
		}
	case []map[string]any:
		for _, e := range v {
			d = max(d, 1+fuzzDepth(e))
		}
	case []any:
		for _, e := range v {
			d = max(d, 1+fuzzDepth(e))
		}
	}
	return d
}
