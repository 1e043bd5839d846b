package flows

import (
	"strings"
	"unicode"
)

// maxLine is how long a provider's text may be once made safe to print.
const maxLine = 200

// Sanitize makes text from outside (a provider's error description, a
// command's stderr) safe to print on a terminal: every character that is not
// printable — C0 and C1 controls including ESC (so no escape sequence such
// as OSC 52 or "ESC [2J" survives), format characters such as bidi
// overrides, line and paragraph separators, unassigned and private-use code
// points, invalid UTF-8 — becomes a space, runs of space are folded and
// trimmed, and the result is one line of at most maxLine characters (plus
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
		if n >= maxLine {
			return strings.TrimSpace(b.String()) + "…"
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
