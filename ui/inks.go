package ui

import (
	"strings"

	"charm.land/lipgloss/v2"

	"tokentop/theme"
)

// ink is a text style reduced to the escape sequences before and after the
// text: painting a table cell with it costs a string concatenation instead
// of a lipgloss render, which matters with a thousand rows scrolling. It
// fits only styles without layout (no width, padding or border).
type ink struct{ pre, post string }

// inkOf takes the escape sequences a style wraps around text.
func inkOf(st lipgloss.Style) ink {
	const marker = "\uE000" // a private-use rune no style rewrites
	out := st.Render(marker)
	i := strings.Index(out, marker)
	if i < 0 {
		return ink{}
	}
	return ink{out[:i], out[i+len(marker):]}
}

// paint wraps s in the ink.
func (k ink) paint(s string) string {
	if s == "" {
		return ""
	}
	return k.pre + s + k.post
}

// inks are the table's cell styles as inks, rebuilt with the styles.
type inks struct {
	ok, warn, danger, muted, accent, selected ink
}

// newInks takes the inks of the theme's styles.
func newInks(st theme.Styles) inks {
	return inks{
		ok:       inkOf(st.OK),
		warn:     inkOf(st.Warn),
		danger:   inkOf(st.Danger),
		muted:    inkOf(st.Muted),
		accent:   inkOf(st.Accent),
		selected: inkOf(st.Selected),
	}
}

// then is the ink's paint for a cell of a row drawn in base (the
// selection's ink, or nil): the cell's style ends with a reset, so base is
// taken up again after it and the row keeps its background.
func (k ink) then(base *ink) func(string) string {
	if base == nil {
		return k.paint
	}
	return func(s string) string {
		if s == "" {
			return ""
		}
		return k.pre + s + k.post + base.pre
	}
}
