package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"
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
		s = m.overlayMenu(m.tableScreen())
	}
	if m.overlay != overlayNone {
		s = m.overlayScreen()
	}
	v := tea.NewView(s)
	v.AltScreen = true
	v.MouseMode = m.mouseMode()
	v.WindowTitle = windowTitle(m.attention)
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
// the pane of lines (boxed, with the sign-in address under the box), and
// the help bar. The top bar and the status line take one line each. The
// pane takes what its lines need, leaving the table at least a third.
func (m *Model) layout(lines []string) (tableH, paneH, helpH int) {
	helpH = strings.Count(m.helpView(), "\n") + 1
	avail := m.height - 2 - helpH - len(m.bannerLines())
	extra := 0
	if m.paneURL() != "" {
		extra = 1
	}
	if len(lines) > 0 {
		paneH = min(len(lines)+2+extra, avail-max(5, avail/3))
	}
	if paneH < 4+extra {
		paneH = 0
	}
	return max(avail-paneH, 1), paneH, helpH
}

// paneURL is the address the sign-in pane shows, if it shows one: it is
// drawn whole on a line of its own under the box, so that selecting it
// with the mouse copies it without borders or line breaks.
func (m *Model) paneURL() string {
	kind, name := m.paneFor()
	if kind != paneSignIn {
		return ""
	}
	switch p := m.pendingSignIn(name).(type) {
	case flows.BrowserSignIn:
		return safeText(p.URL())
	case flows.DeviceSignIn:
		return safeText(p.URL())
	}
	return ""
}

// pendingSignIn is the sign-in of connection name waiting for the person,
// or nil.
func (m *Model) pendingSignIn(name string) flows.Pending {
	_, p := m.pendingOf(name)
	return p
}

// urlLine is the sign-in address as one unbroken line, an OSC 8 hyperlink
// where the terminal supports it. It may be wider than the window.
func (m *Model) urlLine(url string) string {
	return ansi.SetHyperlink(url) + m.st.Accent.Render(url) + ansi.ResetHyperlink()
}

// mouseMode is the mouse reporting the screen asks for: cell motion on the
// table, none while a sign-in address is shown, so that the terminal's own
// selection can copy it.
func (m *Model) mouseMode() tea.MouseMode {
	if m.screen != screenTable || m.paneURL() != "" {
		return tea.MouseModeNone
	}
	return tea.MouseModeCellMotion
}

// tableRows is how many connections fit on screen.
func (m *Model) tableRows() int {
	t, _, _ := m.layout(m.paneLines())
	return max(t-1, 1)
}

// tableScreen renders the top bar, the table, the pane, the status line
// and the help bar, exactly m.height lines of m.width cells (but for the
// sign-in address, which is never cut).
func (m *Model) tableScreen() string {
	lines := m.paneLines()
	tableH, paneH, _ := m.layout(lines)
	var b strings.Builder
	b.Grow(m.width * m.height * 2)
	b.WriteString(m.topBar())
	b.WriteByte('\n')
	for _, l := range m.bannerLines() {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	m.writeTable(&b, tableH)
	if paneH > 0 {
		off := 0
		if kind, _ := m.paneFor(); kind == paneDetail {
			off = m.paneOff
		}
		url := m.paneURL()
		boxH := paneH
		if url != "" {
			boxH--
		}
		b.WriteString(m.box(lines, boxH, off))
		b.WriteByte('\n')
		if url != "" {
			b.WriteString(m.urlLine(url))
			b.WriteByte('\n')
		}
	}
	b.WriteString(m.statusLine())
	b.WriteByte('\n')
	b.WriteString(m.helpView())
	return b.String()
}

// topBar is the program's name, the counts, the filter and the clock.
func (m *Model) topBar() string {
	left := m.st.Title.Render("tokentop")
	info := " · " + plural(len(m.rows), "connection")
	if m.attention > 0 {
		info += " · " + needAttention(m.attention)
	}
	if n := m.working(); n > 0 {
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

// bannerLines is the error banner over the table while the config file
// cannot be read as a whole: what is wrong, and that the connections shown
// are the last good ones. It is empty otherwise.
func (m *Model) bannerLines() []string {
	if m.configErr == nil || m.screen != screenTable {
		return nil
	}
	text := "config not reloaded: " + firstLine(safeText(errText(m.configErr)))
	if errors.Is(m.configErr, fs.ErrNotExist) {
		text = "the config file is gone"
	}
	text += " — showing the last good connections until the file is fixed"
	lines := wrap(text, max(m.width-2, 10))
	if len(lines) > 2 {
		lines = append(lines[:1:1], lines[1]+"…")
	}
	for i, l := range lines {
		lines[i] = m.st.Danger.Render(clip("! "+l, m.width))
		if i > 0 {
			lines[i] = m.st.Danger.Render(clip("  "+l, m.width))
		}
	}
	return lines
}

// colKind names a table column.
type colKind int

// The table's columns, in the order they stand left to right.
const (
	colName colKind = iota
	colProvider
	colFlow
	colExpires
	colCheck
	colTrend
	colRenewal
	colScopes
)

// column is a table column, its width, and where it starts.
type column struct {
	kind  colKind
	title string
	w     int
	x     int
}

// prefixW is the selection pointer and status mark before the name: "› ● ".
const prefixW = 4

// colGap is the space between two columns.
const colGap = 2

// The widest texts of the columns whose content is known in advance.
const (
	// expiresW fits "signed out — press l", "expired 23h 59m ago", "no
	// token yet" and a countdown of up to 7 cells with its bar ("59m 59s
	// ▰▰▰▱▱").
	expiresW = 20
	// countdownW is the countdown's share of the cell, before the bar.
	countdownW = 7
	// agoW fits "59m 59s ago", the age after a check.
	agoW = 11
	// renewalW fits "sign-in required" and the jobs' "signing in…".
	renewalW = 16
	// nameMinW is how far a long name's column is kept before the wider
	// columns give way; names beyond it are cut when the window is narrow.
	nameMinW = 24
	// scopesMaxW caps the SCOPES column; its cell is cut beyond.
	scopesMaxW = 40
)

// widths are the widest values of the columns sized by their content,
// over every connection (not only those the filter shows, so the columns
// stay put while typing).
type widths struct {
	name, provider, flow, check, scopes int
	checks                              bool // some connection has a check history
}

// contentWidths measures the rows: a pass over precomputed widths.
func (m *Model) contentWidths() widths {
	var cw widths
	for _, r := range m.rows {
		cw.name = max(cw.name, r.nameW)
		cw.provider = max(cw.provider, r.providerW)
		cw.flow = max(cw.flow, r.flowW)
		cw.check = max(cw.check, r.checkW)
		cw.scopes = max(cw.scopes, r.scopesW)
		cw.checks = cw.checks || r.trend.n > 0
	}
	return cw
}

// sortArrow marks the column the table is sorted by.
const sortArrow = " ↑"

// columns lays the table out for a width: the name and the expiry always,
// then, as long as they fit, the last check, the renewal, the provider,
// the trend, the flow and the scopes, each as wide as its widest value;
// the trend grows to the whole check history and the name takes the rest.
func columns(width int, cw widths, by sortKey) []column {
	head := func(k colKind, title string, w int) column {
		if by.column() == k && k != colCheck {
			title += sortArrow
		}
		return column{kind: k, title: title, w: max(w, len([]rune(title)))}
	}
	name := head(colName, "NAME", min(cw.name, nameMinW))
	cols := []column{name, head(colExpires, "EXPIRES", expiresW)}
	total := prefixW + name.w + colGap + expiresW
	var more []column
	if cw.check > 0 {
		more = append(more, head(colCheck, "LAST CHECK", cw.check+3+agoW))
	} else {
		more = append(more, head(colCheck, "LAST CHECK", 1))
	}
	more = append(more, head(colRenewal, "RENEWAL", renewalW), head(colProvider, "PROVIDER", cw.provider))
	if cw.checks {
		more = append(more, head(colTrend, "TREND", trendCells))
	}
	more = append(more, head(colFlow, "FLOW", cw.flow))
	if cw.scopes > 0 {
		more = append(more, head(colScopes, "SCOPES", min(cw.scopes, scopesMaxW)))
	}
	for _, c := range more {
		if total+colGap+c.w > width {
			break
		}
		cols = append(cols, c)
		total += colGap + c.w
	}
	// The trend takes what is left up to the whole history, the name the
	// rest; the name gives way when even it and the expiry do not fit.
	spare := width - total
	for i := range cols {
		if cols[i].kind == colTrend && spare > 0 {
			grow := min(spare, flows.MaxChecks-cols[i].w)
			cols[i].w += grow
			spare -= grow
		}
	}
	cols[0].w = max(cols[0].w+spare, 4)
	slices.SortFunc(cols, func(a, b column) int { return int(a.kind) - int(b.kind) })
	x := prefixW
	for i := range cols {
		cols[i].x = x
		x += cols[i].w + colGap
	}
	return cols
}

// tableColumns is the table's layout in the current window.
func (m *Model) tableColumns() []column {
	return columns(m.width, m.contentWidths(), m.sortBy)
}

// writeTable writes the header and the visible rows, padded to h lines.
func (m *Model) writeTable(b *strings.Builder, h int) {
	cols := m.tableColumns()
	var hdr strings.Builder
	if m.sortBy == sortCondition {
		hdr.WriteString("  ↑ ")
	} else {
		hdr.WriteString(strings.Repeat(" ", prefixW))
	}
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
	need := prefixW + colGap*(len(cols)-1)
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

	// A cell is plain text in one ink, or text already painted (painted),
	// whose width is then given.
	type cell struct {
		text    string
		ink     *ink
		w       int
		painted bool
	}
	var buf [10]cell
	cells := buf[:0]
	if j != nil && !j.waiting() {
		cells = append(cells, cell{text: m.spinner.View(), ink: &m.inks.accent, w: 1})
	} else {
		cells = append(cells, cell{text: mark, ink: &st, w: 1})
	}
	// sel is the selection's ink: every painted cell ends by resetting
	// the style, so the selection's is taken up again after it.
	pointer, sel := "  ", (*ink)(nil)
	if selected {
		pointer, sel = "› ", &m.inks.selected
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
			cl.text, cl.painted = m.expiresCell(r, now, c.w, sel)
		case colCheck:
			cl.text = r.checkCell(now)
			switch {
			case r.st.LastCheck == nil:
				cl.ink = &m.inks.muted
			case !r.checkOK:
				cl.ink = &m.inks.danger
			}
		case colTrend:
			if r.trend.n == 0 {
				cl.text, cl.ink = "—", &m.inks.muted
				break
			}
			cl.text = fit(paintRuns(r.trend.cell, c.w, m.inks.ok.then(sel), m.inks.danger.then(sel)), c.w)
			cl.painted = true
		case colRenewal:
			var bad bool
			cl.text, bad = r.renewalCell(now)
			cl.ink = &m.inks.muted
			if bad {
				cl.ink = &m.inks.danger
			}
			if j != nil {
				cl.text, cl.ink = j.doing(), &m.inks.accent
			}
		case colScopes:
			cl.text = r.scopes
			if cl.text == "" {
				cl.text, cl.ink = "—", &m.inks.muted
			}
		}
		cells = append(cells, cl)
	}

	if sel != nil {
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
		switch {
		case c.painted:
			b.WriteString(c.text)
		case c.ink != nil:
			// Colour the text, not its padding.
			t := fit(c.text, c.w)
			trimmed := strings.TrimRight(t, " ")
			b.WriteString(c.ink.then(sel)(trimmed))
			b.WriteString(t[len(trimmed):])
		default:
			b.WriteString(fit(c.text, c.w))
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

// expiresCell is the EXPIRES cell, w cells wide and painted: the countdown
// and the bar of the token's remaining life in the expiry's tone, or why
// there is no countdown.
func (m *Model) expiresCell(r *row, now time.Time, w int, sel *ink) (string, bool) {
	text := r.expiresText(now, m.loaded)
	if !m.loaded {
		return m.inks.muted.then(sel)(fit(text, w)), true
	}
	k := m.inks.muted
	switch tn := r.expiryTone(now); {
	case tn != toneMuted:
		k = [...]ink{toneOK: m.inks.ok, toneWarn: m.inks.warn, toneDanger: m.inks.danger}[tn]
	case r.cond.Condition == flows.SignedOut || r.cond.Condition == flows.SignInRequired:
		k = m.inks.condition(r.cond.Condition)
	}
	if bar := r.lifeBar(now); bar != "" {
		text = fit(text, countdownW) + " " + bar
	}
	t := fit(text, w)
	trimmed := strings.TrimRight(t, " ")
	return k.then(sel)(trimmed) + t[len(trimmed):], true
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
	case modeResignIn:
		return clip(m.st.Warn.Render(resignInQuestion(m.confirm)), m.width)
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
