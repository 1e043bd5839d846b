package redact

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"plain":           {"invalid_grant", "invalid_grant"},
		"osc 52":          {"bad\x1b]52;c;ZXZpbA==\x07 token", "bad ]52;c;ZXZpbA== token"},
		"clear screen":    {"x\x1b[2Jy", "x [2Jy"},
		"newlines":        {"line one\r\nline two\n", "line one line two"},
		"c1 csi":          {"a\u009b31mb", "a 31mb"},
		"bidi override":   {"abc\u202edcba", "abc dcba"},
		"line separator":  {"a\u2028b", "a b"},
		"nbsp and spaces": {"  a\u00a0\t b  ", "a b"},
		"invalid utf8":    {"a\xffb", "a b"},
		"unicode kept":    {"Zugriff verweigert: ü ✓", "Zugriff verweigert: ü ✓"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Sanitize(tc.in); got != tc.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	long := Sanitize(strings.Repeat("ab ", 500))
	if n := utf8.RuneCountInString(long); n > MaxLine+1 || !strings.HasSuffix(long, "…") {
		t.Errorf("long: %d runes %q", n, long)
	}
}

// checkSanitized asserts the properties Sanitize promises.
func checkSanitized(t *testing.T, in, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("invalid UTF-8 from %q: %q", in, out)
	}
	for _, r := range out {
		if r != ' ' && !unicode.IsPrint(r) {
			t.Fatalf("unprintable %U in %q (from %q)", r, out, in)
		}
	}
	if n := utf8.RuneCountInString(out); n > MaxLine+1 {
		t.Fatalf("too long: %d runes", n)
	}
	if strings.HasPrefix(out, " ") || strings.HasSuffix(out, " ") || strings.Contains(out, "  ") {
		t.Fatalf("unfolded space in %q", out)
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"", "a\x1b]52;c;QUJD\x07b", "\x1b[2J", "\u202e\u2066x", strings.Repeat("x ", 150), "\xff\xfe", "a\u0000b\u007f\u0085"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Sanitize(s)
		checkSanitized(t, s, out)
		if again := Sanitize(out); again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, out, again)
		}
	})
}

func ExampleSanitize() {
	fmt.Println(Sanitize("invalid_grant\x1b]52;c;ZXZpbA==\x07\n\x1b[2Jrefresh token expired"))
	// Output: invalid_grant ]52;c;ZXZpbA== [2Jrefresh token expired
}
