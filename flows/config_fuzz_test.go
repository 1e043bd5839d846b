package flows

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// cfgFuzzPlace is where FuzzParseConfig plants its secret: the value of a
// secret key, written @S@ in the corpus.
var cfgFuzzPlace = regexp.MustCompile(`(client_secret|password|api_key)[ \t]*=[ \t]*@S@`)

// cfgFuzzMark starts every planted secret. The fuzzed document may not
// contain it, so any occurrence in a message comes from a planted value.
const cfgFuzzMark = "Zq9_"

// FuzzParseConfig checks that ParseConfig never panics, returns either a
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
		if len(doc) > 64<<10 || len(secret) > 1<<10 || strings.Contains(doc, cfgFuzzMark[:3]) {
			return
		}
		planted := cfgFuzzMark + secret
		lit := cfgFuzzQuote(planted)
		text := cfgFuzzPlace.ReplaceAllStringFunc(doc, func(m string) string {
			return m[:len(m)-len("@S@")] + lit
		})
		cfg, err := ParseConfig("fuzz.toml", []byte(text))
		if (cfg == nil) == (err == nil) {
			t.Fatalf("ParseConfig returned config %v and error %v", cfg != nil, err)
		}
		var msgs []string
		if err != nil {
			msgs = append(msgs, err.Error())
		} else {
			msgs = append(msgs, cfg.Warnings...)
			cfgFuzzCheckConfig(t, cfg)
		}
		if text == doc {
			return
		}
		// A document may copy the planted text elsewhere (a multi-line
		// string that spans the placeholder's line, say), where showing
		// it is fair.
		var raw map[string]any
		if _, err := toml.Decode(text, &raw); err == nil && cfgFuzzElsewhere(raw, false) {
			return
		}
		for _, m := range msgs {
			if strings.Contains(m, cfgFuzzMark[:3]) {
				t.Fatalf("a message shows the planted secret:\n%s\n--- document:\n%s", m, text)
			}
		}
	})
}

// cfgFuzzCheckConfig checks what a successful parse promises.
func cfgFuzzCheckConfig(t *testing.T, cfg *Config) {
	for _, c := range cfg.Connections {
		if cfgNameProblem(c.Name) != "" || c.Name == "" {
			t.Fatalf("connection name %q accepted", c.Name)
		}
		if !cfgOffers(c.Provider, c.Flow) {
			t.Fatalf("%s: provider %q with flow %q accepted", c.Name, c.Provider, c.Flow)
		}
		for _, f := range cfgURLFields(c) {
			if *f.val == "" {
				continue
			}
			if u := c.ExpandURL(*f.val, "acme"); u == "" || cfgURLProblem(u) != "" {
				t.Fatalf("%s.%s: accepted %q, expands to %q: %s", c.Name, f.key, *f.val, u, cfgURLProblem(u))
			}
		}
		if c.RefreshBefore <= 0 || c.LoginTimeout <= 0 {
			t.Fatalf("%s: durations %v, %v", c.Name, c.RefreshBefore, c.LoginTimeout)
		}
	}
}

// cfgFuzzElsewhere reports whether the mark appears in a key or in a value
// that is not a secret key's.
func cfgFuzzElsewhere(v any, secretValue bool) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if strings.Contains(k, cfgFuzzMark[:3]) || cfgFuzzElsewhere(e, cfgSecretKeys[k]) {
				return true
			}
		}
	case []map[string]any:
		for _, e := range v {
			if cfgFuzzElsewhere(e, false) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if cfgFuzzElsewhere(e, false) {
				return true
			}
		}
	case string:
		return !secretValue && strings.Contains(v, cfgFuzzMark[:3])
	default:
		return strings.Contains(fmt.Sprint(v), cfgFuzzMark[:3])
	}
	return false
}

// cfgFuzzQuote writes s as a TOML basic string.
func cfgFuzzQuote(s string) string {
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
		_, deep := cfgIndexLines(doc)
		if deep != 0 {
			return
		}
		var raw map[string]any
		if _, err := toml.Decode(doc, &raw); err != nil {
			return
		}
		if d := cfgFuzzDepth(raw); d > 2*cfgMaxDepth {
			t.Fatalf("the pre-scan let through a document %d deep:\n%s", d, doc)
		}
	})
}

// cfgFuzzDepth is the length of the longest path from v to a value.
func cfgFuzzDepth(v any) int {
	d := 0
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			d = max(d, 1+cfgFuzzDepth(e))
		}
	case []map[string]any:
		for _, e := range v {
			d = max(d, 1+cfgFuzzDepth(e))
		}
	case []any:
		for _, e := range v {
			d = max(d, 1+cfgFuzzDepth(e))
		}
	}
	return d
}
