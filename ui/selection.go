package ui

// selected returns the selected row, or nil.
func (m *Model) selected() *row {
	if m.cursor < 0 || m.cursor >= len(m.visible) {
		return nil
	}
	return m.rows[m.visible[m.cursor]]
}

// selectedName returns the selected connection's name, or "".
func (m *Model) selectedName() string {
	if r := m.selected(); r != nil {
		return r.conn.Name
	}
	return ""
}

// refilter recomputes the visible rows, in the sort's order, keeping the
// selection when it still passes. The filter's terms must all match (see
// parseFilter).
func (m *Model) refilter() {
	keep := m.selectedName()
	terms := parseFilter(m.filter.Value())
	m.visible = m.visible[:0]
	m.cursor = 0
	for i, r := range m.rows {
		if m.matches(r, terms) {
			m.visible = append(m.visible, i)
		}
	}
	m.sortVisible()
	for i, idx := range m.visible {
		if m.rows[idx].conn.Name == keep {
			m.cursor = i
			break
		}
	}
}

// clearFilter empties the filter and leaves it.
func (m *Model) clearFilter() {
	m.filter.Reset()
	m.filter.Blur()
	m.mode = modeNormal
	m.selectionMayChange(m.refilter)
}

// move moves the selection by d rows, within bounds.
func (m *Model) move(d int) {
	m.selectionMayChange(func() {
		m.cursor += d
		if m.cursor >= len(m.visible) {
			m.cursor = len(m.visible) - 1
		}
		if m.cursor < 0 {
			m.cursor = 0
		}
	})
}

// selectionMayChange runs fn and hides a revealed token if the selection
// moved.
func (m *Model) selectionMayChange(fn func()) {
	before := m.selectedName()
	fn()
	if m.selectedName() != before {
		m.revealed = ""
		m.paneOff = 0
	}
}

// fixScroll keeps the selected row on screen and the pane's scroll within
// its lines.
func (m *Model) fixScroll() {
	lines := m.paneLines()
	tableH, paneH, _ := m.layout(lines)
	h := max(tableH-1, 1)
	m.paneMax = 0
	if kind, _ := m.paneFor(); kind == paneDetail && paneH > 0 {
		m.paneMax = max(len(lines)-1-(paneH-3), 0)
	}
	m.paneOff = min(m.paneOff, m.paneMax)
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if h > 0 && m.cursor >= m.offset+h {
		m.offset = m.cursor - h + 1
	}
	if maxOff := len(m.visible) - h; m.offset > maxOff {
		m.offset = max(maxOff, 0)
	}
	if m.offset < 0 {
		m.offset = 0
	}
}
