package ui

import (
	"fmt"
	"strings"
	"unicode"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"tokentop/flows"
)

// View renders the window. It reads the model and nothing else: no clock,
// no backend.
func (m *Model) View() tea.View {
	var s string
	switch m.screen {
	case screenEmpty:
		s = m.emptyView()
	case screenConfigError:
		s = m.configErrorView()
	default:
		s = m.tableScreen()
	}
	if m.overlay != overlayNone {
		s = m.overlayScreen()
	}
	v := tea.NewView(s)
	v.AltScreen = true
	v.WindowTitle = "tokentop"
	return v
}

// pane is what the lower part of the table screen shows.
type pane int

const (
	paneNone pane = iota
	paneDetail
	paneSignIn
)

// paneFor returns the pane to show and the connection it is about.
func (m *Model) paneFor() (pane, string) {
	if m.mode == modePassword {
		return paneSignIn, m.pwdFor
	}
	name := m.selectedName()
	if _, p := m.pendingOf(name); needsPerson(p) {
		return paneSignIn, name
	}
	if m.detail && name != "" {
		return paneDetail, name
	}
	return paneNone, ""
}

// paneLines returns the lines of the pane to show under the table, if any.
func (m *Model) paneLines() []string {
	switch kind, name := m.paneFor(); kind {
	case paneDetail:
		return m.detailLines(m.byName[name], m.width-4)
	case paneSignIn:
		return m.signInLines(name, m.width-4)
	}
	return nil
}

// layout splits the window's height: the table (with its header line),
// the pane of lines (boxed), and the help bar. The top bar and the status
// line take one line each. The pane takes what its lines need, leaving the
// table at least a third.
func (m *Model) layout(lines []string) (tableH, paneH, helpH int) {
	helpH = strings.Count(m.helpView(), "\n") + 1
	avail := m.height - 2 - helpH
	if len(lines) > 0 {
		paneH = min(len(lines)+2, avail-max(5, avail/3))
	}
	if paneH < 4 {
		paneH = 0
	}
	return max(avail-paneH, 1), paneH, helpH
}

// tableRows is how many connections fit on screen.
func (m *Model) tableRows() int {
	t, _, _ := m.layout(m.paneLines())
	return max(t-1, 1)
}

// tableScreen renders the top bar, the table, the pane, the status line
// and the help bar, exactly m.height lines of m.width cells.
func (m *Model) tableScreen() string {
	lines := m.paneLines()
	tableH, paneH, _ := m.layout(lines)
	var b strings.Builder
	b.Grow(m.width * m.height * 2)
	b.WriteString(m.topBar())
	b.WriteByte('\n')
	m.writeTable(&b, tableH)
	if paneH > 0 {
		off := 0
		if kind, _ := m.paneFor(); kind == paneDetail {
			off = m.paneOff
		}
		b.WriteString(m.box(lines, paneH, off))
		b.WriteByte('\n')
	}
	b.WriteString(m.statusLine())
	b.WriteByte('\n')
	b.WriteString(m.helpView())
	return b.String()
}

// topBar is the program's name, the counts, the filter and the clock.
func (m *Model) topBar() string {
	left := m.st.Title.Render("tokentop")
	info := fmt.Sprintf(" · %d connections", len(m.rows))
	if m.attention > 0 {
		info += fmt.Sprintf(" · %d need attention", m.attention)
	}
	if n := m.busyCount(); n > 0 {
		info += fmt.Sprintf(" · %d busy", n)
	}
	if q := m.filter.Value(); q != "" && m.mode != modeFilter {
		info += fmt.Sprintf(" · filter %q: %d shown", q, len(m.visible))
	}
	if m.opts.Demo {
		info += " · demo"
	}
	clock := m.clock.In(m.loc).Format("15:04:05")
	room := m.width - lipgloss.Width(left) - len(clock) - 1
	if room < 8 {
		return clip(left+m.st.Subtitle.Render(info), m.width)
	}
	info = clip(info, room)
	pad := m.width - lipgloss.Width(left) - lipgloss.Width(info) - len(clock)
	return left + m.st.Subtitle.Render(info) + strings.Repeat(" ", pad) + m.st.Subtitle.Render(clock)
}

// colKind names a table column.
type colKind int

const (
	colName colKind = iota
	colProvider
	colFlow
	colExpires
	colCheck
	colRenewal
)

// column is a table column and its width.
type column struct {
	kind  colKind
	title string
	w     int
}

// prefixW is the selection pointer and status mark before the name: "› ● ".
const prefixW = 4

// columns lays the table out for a width, dropping the least useful
// columns first when it is narrow: flow, provider, last renewal, check.
func columns(width int) []column {
	all := []column{
		{colName, "NAME", 12},
		{colProvider, "PROVIDER", 8},
		{colFlow, "FLOW", 12},
		{colExpires, "EXPIRES", 16},
		{colCheck, "LAST CHECK", 23},
		{colRenewal, "RENEWAL", 16},
	}
	const gap = 2
	total := func(cols []column) int {
		n := prefixW
		for i, c := range cols {
			n += c.w
			if i > 0 {
				n += gap
			}
		}
		return n
	}
	for _, drop := range []colKind{colFlow, colProvider, colRenewal, colCheck} {
		if total(all) <= width {
			break
		}
		for i, c := range all {
			if c.kind == drop {
				all = append(all[:i], all[i+1:]...)
				break
			}
		}
	}
	// The name takes what is left, up to a point.
	all[0].w = max(min(all[0].w+width-total(all), 32), 4)
	return all
}

// writeTable writes the header and the visible rows, padded to h lines.
func (m *Model) writeTable(b *strings.Builder, h int) {
	cols := columns(m.width)
	var hdr strings.Builder
	hdr.WriteString(strings.Repeat(" ", prefixW))
	for i, c := range cols {
		if i > 0 {
			hdr.WriteString("  ")
		}
		hdr.WriteString(fit(c.title, c.w))
	}
	b.WriteString(m.st.Header.Render(fit(hdr.String(), m.width)))
	b.WriteByte('\n')
	rows := h - 1
	if len(m.rows) > 0 && len(m.visible) == 0 {
		b.WriteString(m.st.Muted.Render(fit("    no connection matches the filter", m.width)))
		b.WriteByte('\n')
		rows--
	}
	// Narrower than the narrowest table: draw the rows, then cut them.
	need := prefixW + 2*(len(cols)-1)
	for _, c := range cols {
		need += c.w
	}
	tooNarrow := need > m.width
	end := min(m.offset+rows, len(m.visible))
	for i := m.offset; i < end; i++ {
		if tooNarrow {
			var line strings.Builder
			m.writeRow(&line, m.rows[m.visible[i]], cols, i == m.cursor)
			b.WriteString(clip(line.String(), m.width))
		} else {
			m.writeRow(b, m.rows[m.visible[i]], cols, i == m.cursor)
		}
		b.WriteByte('\n')
		rows--
	}
	for ; rows > 0; rows-- {
		b.WriteByte('\n')
	}
}

// writeRow writes one connection's line.
func (m *Model) writeRow(b *strings.Builder, r *row, cols []column, selected bool) {
	now := m.clock
	cond := r.cond.Condition
	j := m.busy[r.conn.Name]
	mark, st := cond.Mark(), m.inks.condition(cond)
	if !m.loaded {
		mark, st = loadingMark, m.inks.muted
	}

	type cell struct {
		text string
		ink  *ink
		w    int
	}
	var buf [8]cell
	cells := buf[:0]
	if j != nil && !waitsForPerson(j) {
		cells = append(cells, cell{m.spinner.View(), &m.inks.accent, 1})
	} else {
		cells = append(cells, cell{mark, &st, 1})
	}
	for _, c := range cols {
		cl := cell{w: c.w}
		switch c.kind {
		case colName:
			cl.text = r.name
			if m.loaded && cond.NeedsAttention() {
				cl.ink = &st
			}
		case colProvider:
			cl.text = r.provider
		case colFlow:
			cl.text = r.flow
		case colExpires:
			cl.text = r.expiresText(now, m.loaded)
			switch {
			case !m.loaded:
				cl.ink = &m.inks.muted
			case cond == flows.Renewing || cond == flows.Expiring || cond == flows.SignedOut || cond == flows.SignInRequired:
				cl.ink = &st
			case cond == flows.NoToken || cond == flows.NoExpiry:
				cl.ink = &m.inks.muted
			}
		case colCheck:
			cl.text = r.checkCell(now)
			switch {
			case r.st.LastCheck == nil:
				cl.ink = &m.inks.muted
			case !r.checkOK:
				cl.ink = &m.inks.danger
			}
		case colRenewal:
			var bad bool
			cl.text, bad = r.renewalCell(now)
			cl.ink = &m.inks.muted
			if bad {
				cl.ink = &m.inks.danger
			}
			if j != nil {
				cl.text, cl.ink = jobCell(j), &m.inks.accent
			}
		}
		cells = append(cells, cl)
	}

	// The selected row is one run of the selection's style, so its
	// background spans the line; the pointer shows it without colour.
	pointer, sel := "  ", (*ink)(nil)
	if selected {
		pointer, sel = "› ", &m.inks.selected
		b.WriteString(sel.pre)
	}
	b.WriteString(pointer)
	n := 2
	for i, c := range cells {
		if i > 1 {
			b.WriteString("  ")
			n += 2
		} else if i == 1 {
			b.WriteByte(' ')
			n++
		}
		t := fit(c.text, c.w)
		if c.ink != nil && sel == nil {
			// Colour the text, not its padding.
			trimmed := strings.TrimRight(t, " ")
			b.WriteString(c.ink.paint(trimmed))
			b.WriteString(t[len(trimmed):])
		} else {
			b.WriteString(t)
		}
		n += c.w
	}
	if n < m.width {
		b.WriteString(strings.Repeat(" ", m.width-n))
	}
	if sel != nil {
		b.WriteString(sel.post)
	}
}

// box draws lines in a bordered pane exactly h lines high and m.width
// wide. The first line is a title and stays; the rest scroll by off, and a
// last line says how many more there are when they do not fit.
func (m *Model) box(lines []string, h, off int) string {
	inner := h - 2
	var out []string
	if len(lines) > 0 {
		out = append(out, lines[0])
		body := lines[1:]
		body = body[min(off, len(body)):]
		room := inner - 1
		if len(body) > room {
			more := len(body) - room + 1
			body = append(body[:room-1:room-1], m.st.Muted.Render(fmt.Sprintf("… %d more lines (ctrl+d scrolls)", more)))
		}
		out = append(out, body...)
	}
	w := m.width - 4
	for i, l := range out {
		out[i] = clip(l, w)
	}
	for len(out) < inner {
		out = append(out, "")
	}
	return m.st.Pane.Width(m.width).Render(strings.Join(out, "\n"))
}

// statusLine is the newest message, named by its connection, the filter
// being typed, or the logout question. A message too long for the window
// says that L shows it whole.
func (m *Model) statusLine() string {
	switch m.mode {
	case modeFilter:
		return clip(m.filter.View(), m.width)
	case modeConfirm:
		return clip(m.st.Warn.Render(fmt.Sprintf("log out of %s? its stored tokens will be deleted (y/n)", m.confirm)), m.width)
	}
	if m.status == "" {
		return ""
	}
	style := m.levelStyle(m.statusLevel)
	text := withConn(m.statusConn, m.status)
	const more = " (L: all of it)"
	if ansi.StringWidth(text) > m.width && m.width > 2*len(more) {
		return style.Render(clip(text, m.width-len(more))) + m.st.Muted.Render(more)
	}
	return style.Render(clip(text, m.width))
}

// hardwrap breaks text to exactly w cells a line: for URLs, which have no
// good place to break.
func hardwrap(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	return strings.Split(ansi.Hardwrap(s, w, true), "\n")
}

// wrap breaks text to w cells, at spaces where it can and anywhere when it
// must (URLs, tokens).
func wrap(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	return strings.Split(ansi.Wrap(s, w, ""), "\n")
}

// safeText drops control and format characters from text that came from
// outside, keeping it whole (flows.Sanitize shortens it): a URL the person
// may have to copy by hand.
func safeText(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
}

// helpView is the help bar, one line: see footer.
func (m *Model) helpView() string { return m.footer() }
