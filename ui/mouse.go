package ui

import tea "charm.land/bubbletea/v2"

// The mouse on the table screen: a click on a row selects it, a click on
// a column's header sorts by it, the wheel moves the selection (or
// scrolls the detail pane under the pointer). Line 0 is the top bar, line
// 1 the table's header, the rows follow; the pane is under the table.

// wheelStep is how many lines one turn of the wheel scrolls the pane.
const wheelStep = 3

// onMouse handles a mouse message on the table screen.
func (m *Model) onMouse(msg tea.MouseMsg) tea.Cmd {
	if m.screen != screenTable || m.mode != modeNormal {
		return nil
	}
	ev := msg.Mouse()
	tableH, paneH, _ := m.layout(m.paneLines())
	inPane := paneH > 0 && ev.Y > tableH && ev.Y <= tableH+paneH
	switch msg := msg.(type) {
	case tea.MouseWheelMsg:
		d := 0
		switch msg.Button {
		case tea.MouseWheelUp:
			d = -1
		case tea.MouseWheelDown:
			d = 1
		}
		if kind, _ := m.paneFor(); inPane && kind == paneDetail {
			m.paneOff = min(max(m.paneOff+d*wheelStep, 0), m.paneMax)
			return nil
		}
		m.move(d)
	case tea.MouseClickMsg:
		if msg.Button != tea.MouseLeft {
			return nil
		}
		switch {
		case ev.Y == 1:
			m.clickHeader(ev.X)
		case ev.Y >= 2 && ev.Y < 1+tableH:
			if i := m.offset + ev.Y - 2; i < len(m.visible) {
				m.selectionMayChange(func() { m.cursor = i })
			}
		}
	}
	return nil
}

// clickHeader sorts by the column whose header is at x: the marks sort by
// condition, NAME by name, EXPIRES by expiry. A click on the column the
// table is already sorted by goes back to the configuration's order.
func (m *Model) clickHeader(x int) {
	want := sortConfig
	if x < prefixW {
		want = sortCondition
	}
	for _, c := range m.tableColumns() {
		if x >= c.x && x < c.x+c.w {
			switch c.kind {
			case colName:
				want = sortName
			case colExpires:
				want = sortExpiry
			}
		}
	}
	if want == sortConfig {
		return
	}
	if want == m.sortBy {
		want = sortConfig
	}
	m.setSort(want)
}
