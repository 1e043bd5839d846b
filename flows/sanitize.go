package flows

import (
	"strings"
	"unicode"
)

// maxLine is how long a provider's text may be once made safe to print.
const maxLine = 200

// Sanitize makes text from outside (a provider's error description, a
// command's stderr) safe to print on a terminal: control characters,
// including ESC and so any escape sequence, become spaces, runs of space are
// folded, and the result is one line of at most maxLine characters. It is
// idempotent.
func Sanitize(s string) string {
	var b strings.Builder
	space := false
	n := 0
	for _, r := range s {
		if r == unicode.ReplacementChar || unicode.IsControl(r) || unicode.IsSpace(r) ||
			unicode.Is(unicode.Cf, r) {
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
