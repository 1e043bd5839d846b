package redact

import (
	"strings"
	"unicode"
)

// MaxLine is how long a provider's text may be once made safe to print.
const MaxLine = 200

// Sanitize makes text from outside (a provider's error description, a
// command's stderr) safe to print on a terminal: every character that is not
// printable — C0 and C1 controls including ESC (so no escape sequence such
// as OSC 52 or "ESC [2J" survives), format characters such as bidi
// overrides, line and paragraph separators, unassigned and private-use code
// points, invalid UTF-8 — becomes a space, runs of space are folded and
// trimmed, and the result is one line of at most MaxLine characters (plus
// "…" when cut). It is idempotent.
func Sanitize(s string) string {
	var b strings.Builder
	space := false
	n := 0
	for _, r := range s {
		// unicode.IsPrint admits letters, marks, numbers, punctuation,
		// symbols and the ASCII space only.
		if r == unicode.ReplacementChar || r == ' ' || !unicode.IsPrint(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		if n >= MaxLine {
			return strings.TrimSpace(b.String()) + "…"
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// Clean redacts the secrets red knows in s (red may be nil), then makes it
// one printable line of at most n characters, "…" marking a cut.
func Clean(red *Redactor, s string, n int) string {
	s = Sanitize(red.Redact(s))
	if r := []rune(s); len(r) > n {
		s = strings.TrimSpace(string(r[:n])) + "…"
	}
	return s
}

// Mask shows enough of a secret to recognise it and never enough to use it:
// the first and last four characters of a long value, nothing of a short one.
func Mask(s string) string {
	switch n := len(s); {
	case n == 0:
		return ""
	case n < 20:
		return "****"
	default:
		return s[:4] + "…" + s[n-4:]
	}
}
