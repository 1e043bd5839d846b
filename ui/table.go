package ui

import (
	"slices"
	"strings"
	"time"
	"tokentop/flows"
)

// The table: its columns, sized to the window and their content, and its
// rows.

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
		cw.name = max(cw.name, m.nameWidth(r))
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
			cl.text = m.nameCell(r)
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
