package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"tokentop/flows"
)

// Overlays cover the table until closed: the full help (?) and the message
// log (L). One shows at a time, but help can open over another and goes
// back to it. esc closes the top one: closeOverlay is the one place that
// does. A new overlay is a constant here, a case in overlayLines and, if
// it takes keys of its own, a case at the top of onOverlayKey.

// overlay is what covers the table.
type overlay int

const (
	overlayNone overlay = iota
	overlayHelp         // every key, grouped
	overlayLog          // the message log
)

// allKeys matches a key press whatever applies now: explain uses it to say
// why a key that does not apply does nothing, overlays to scroll.
var allKeys = DefaultKeyMap()

// openOverlay shows o. Help opens over the overlay showing, which comes
// back when help closes; any other overlay replaces what was showing.
func (m *Model) openOverlay(o overlay) {
	if o == overlayHelp && m.overlay != overlayNone && m.overlay != overlayHelp {
		m.below, m.belowOff = m.overlay, m.overlayOff
	} else {
		m.below, m.belowOff = overlayNone, 0
	}
	m.overlay, m.overlayOff = o, 0
}

// closeOverlay closes the overlay on top, uncovering the one below if any.
func (m *Model) closeOverlay() {
	m.overlay, m.overlayOff = m.below, m.belowOff
	m.below, m.belowOff = overlayNone, 0
}

// onOverlayKey handles a key press while an overlay shows: esc closes it,
// ? and L switch, q quits, the moving keys scroll, and nothing else acts.
func (m *Model) onOverlayKey(msg tea.KeyPressMsg) tea.Cmd {
	a := allKeys
	page := max(m.overlayRoom()-1, 1)
	switch {
	case msg.String() == "esc":
		m.closeOverlay()
	case key.Matches(msg, a.Quit):
		return m.quit()
	case key.Matches(msg, a.Help):
		if m.overlay == overlayHelp {
			m.closeOverlay()
		} else {
			m.openOverlay(overlayHelp)
		}
	case key.Matches(msg, a.Log):
		if m.overlay == overlayLog {
			m.closeOverlay()
		} else {
			m.openOverlay(overlayLog)
		}
	case key.Matches(msg, a.Up):
		m.scrollOverlay(-1)
	case key.Matches(msg, a.Down):
		m.scrollOverlay(1)
	case key.Matches(msg, a.PageUp):
		m.scrollOverlay(-page)
	case key.Matches(msg, a.PageDown):
		m.scrollOverlay(page)
	case key.Matches(msg, a.Top):
		m.overlayOff = 0
	case key.Matches(msg, a.Bottom):
		m.overlayOff = m.overlayMax()
	case key.Matches(msg, a.SignIn, a.Paste, a.Renew, a.RenewAll, a.Copy, a.CopyHeader, a.Check, a.CheckAll,
		a.Logout, a.Reveal, a.Details, a.Filter, a.PaneDown, a.PaneUp):
		// Said, not logged: it is about the dashboard, not a connection.
		m.showStatus("", levelInfo, "esc closes the "+m.overlayName()+" first")
	}
	return nil
}

// overlayName names the showing overlay for a person.
func (m *Model) overlayName() string {
	switch m.overlay {
	case overlayHelp:
		return "help"
	case overlayLog:
		return "log"
	}
	return "overlay"
}

// scrollOverlay scrolls the overlay by d lines, within its content.
func (m *Model) scrollOverlay(d int) {
	m.overlayOff = max(min(m.overlayOff+d, m.overlayMax()), 0)
}

// overlayLines is the showing overlay's content for a width: a title line
// that stays, then the lines that scroll.
func (m *Model) overlayLines(w int) []string {
	switch m.overlay {
	case overlayHelp:
		return m.helpLines(w)
	case overlayLog:
		return m.logLines(w)
	}
	return nil
}

// overlayHeight is the height of the overlay's box: the window less the
// top bar, the status line and the help bar.
func (m *Model) overlayHeight() int { return m.height - 3 }

// overlayRoom is how many scrolling lines the overlay's box holds.
func (m *Model) overlayRoom() int { return m.overlayHeight() - 3 }

// overlayMax is how far the overlay can scroll.
func (m *Model) overlayMax() int {
	body := len(m.overlayLines(m.width-4)) - 1
	return max(body-m.overlayRoom(), 0)
}

// overlayScreen renders the top bar, the overlay, the status line and the
// help bar, exactly m.height lines of at most m.width cells.
func (m *Model) overlayScreen() string {
	h := m.overlayHeight()
	lines := m.overlayLines(m.width - 4)
	var box string
	if h < 3 || m.width < 8 {
		// No room for a box: as many lines as fit.
		fits := make([]string, max(min(len(lines), h), 0))
		for i := range fits {
			fits[i] = clip(lines[i], m.width)
		}
		box = strings.Join(fits, "\n")
		if h <= 0 {
			return clip(m.topBar(), m.width)
		}
		for n := len(lines); n < h; n++ {
			box += "\n"
		}
	} else {
		box = m.overlayBox(lines, h)
	}
	return m.topBar() + "\n" + box + "\n" + m.statusLine() + "\n" + m.helpView()
}

// overlayBox draws lines in a bordered box exactly h lines high: the title
// line stays, the rest scroll by m.overlayOff, and a last line says how
// many more there are when they do not fit.
func (m *Model) overlayBox(lines []string, h int) string {
	room := h - 3
	var out []string
	if len(lines) > 0 {
		out = append(out, lines[0])
		body := lines[1:]
		body = body[min(m.overlayOff, len(body)):]
		if len(body) > room && room > 0 {
			more := len(body) - room + 1
			body = append(body[:room-1:room-1], m.st.Muted.Render(fmt.Sprintf("… %d more lines (j/k, pgdn scroll)", more)))
		}
		out = append(out, body[:min(len(body), max(room, 0))]...)
	}
	w := m.width - 4
	for i, l := range out {
		out[i] = clip(l, w)
	}
	for len(out) < h-2 {
		out = append(out, "")
	}
	return m.st.Pane.Width(m.width).Render(strings.Join(out, "\n"))
}

// helpRow is one key of the full help: what it does, and whether it
// applies now (nil: always).
type helpRow struct {
	key, desc string
	applies   func(k *KeyMap) bool
}

// helpGroup is a titled group of the full help.
type helpGroup struct {
	title string
	rows  []helpRow
}

// enabled is a helpRow's applies for one binding.
func enabled(b func(k *KeyMap) *key.Binding) func(k *KeyMap) bool {
	return func(k *KeyMap) bool { return b(k).Enabled() }
}

// helpGroups lists every key of the dashboard, one row a key, as ? shows
// them and the README's key table repeats them.
func helpGroups() []helpGroup {
	return []helpGroup{
		{"moving", []helpRow{
			{"↑/k", "up", enabled(func(k *KeyMap) *key.Binding { return &k.Up })},
			{"↓/j", "down", enabled(func(k *KeyMap) *key.Binding { return &k.Down })},
			{"pgup", "page up", enabled(func(k *KeyMap) *key.Binding { return &k.PageUp })},
			{"pgdn", "page down", enabled(func(k *KeyMap) *key.Binding { return &k.PageDown })},
			{"g/home", "first connection", enabled(func(k *KeyMap) *key.Binding { return &k.Top })},
			{"G/end", "last connection", enabled(func(k *KeyMap) *key.Binding { return &k.Bottom })},
			{"ctrl+d", "scroll the details down", enabled(func(k *KeyMap) *key.Binding { return &k.PaneDown })},
			{"ctrl+u", "scroll the details up", enabled(func(k *KeyMap) *key.Binding { return &k.PaneUp })},
		}},
		{"acting", []helpRow{
			{"l", "sign in, or its password", enabled(func(k *KeyMap) *key.Binding { return &k.SignIn })},
			{"i", "paste the redirect URL", enabled(func(k *KeyMap) *key.Binding { return &k.Paste })},
			{"r", "renew", enabled(func(k *KeyMap) *key.Binding { return &k.Renew })},
			{"R", "renew all that can", enabled(func(k *KeyMap) *key.Binding { return &k.RenewAll })},
			{"c", "copy token (URL, code)", enabled(func(k *KeyMap) *key.Binding { return &k.Copy })},
			{"C", "copy Authorization header", enabled(func(k *KeyMap) *key.Binding { return &k.CopyHeader })},
			{"y", "copy: token, header, curl…", enabled(func(k *KeyMap) *key.Binding { return &k.CopyMenu })},
			{"p", "check (check_url)", enabled(func(k *KeyMap) *key.Binding { return &k.Check })},
			{"P", "check all", enabled(func(k *KeyMap) *key.Binding { return &k.CheckAll })},
			{"x", "log out (asks first)", enabled(func(k *KeyMap) *key.Binding { return &k.Logout })},
			{"e", "edit the config file", enabled(func(k *KeyMap) *key.Binding { return &k.Edit })},
		}},
		{"views", []helpRow{
			{"enter", "open or close the details", enabled(func(k *KeyMap) *key.Binding { return &k.Details })},
			{"v", "reveal or hide the token", enabled(func(k *KeyMap) *key.Binding { return &k.Reveal })},
			{"/", "filter (name, !, flow:…)", enabled(func(k *KeyMap) *key.Binding { return &k.Filter })},
			{"s", "sort: name, expiry, condition", enabled(func(k *KeyMap) *key.Binding { return &k.Sort })},
			{"n/N", "next/previous needing attention", enabled(func(k *KeyMap) *key.Binding { return &k.NextAttention })},
			{"L", "message log", nil},
			{"?", "this help", nil},
		}},
		{"other", []helpRow{
			{"esc", "close, clear filter, cancel", nil},
			{"y/n", "answer a question (log out?)", enabled(func(k *KeyMap) *key.Binding { return &k.Yes })},
			{"1/2/3/4", "choose in the copy menu", enabled(func(k *KeyMap) *key.Binding { return &k.Pick })},
			{"q", "quit (not in text fields)", nil},
			{"ctrl+c", "quit", nil},
		}},
	}
}

// helpKeyW is the width of the full help's key column.
const helpKeyW = 7

// helpColW is the narrowest column of the full help; two fit side by side
// from 2*helpColW+2 cells.
const helpColW = 36

// helpLines is the help overlay's content for a width: a title, the legend,
// and the groups in two columns where they fit (moving and views on the
// left, acting and other on the right), one otherwise.
func (m *Model) helpLines(w int) []string {
	about := "the selected connection"
	if name := m.selectedName(); name != "" {
		about = name
	}
	lines := []string{
		m.st.PaneTitle.Render("keys") + m.st.Muted.Render(" · dimmed ones do not apply to "+about+" now"),
		m.st.Muted.Render("in a text field: enter submits, esc leaves, ctrl+c quits"),
	}
	groups := helpGroups()
	if w < 2*helpColW+2 {
		for i, g := range groups {
			if i > 0 {
				lines = append(lines, "")
			}
			lines = append(lines, m.helpGroupLines(g, w)...)
		}
		return lines
	}
	colW := min((w-2)/2, helpColW+8)
	left := append(append(m.helpGroupLines(groups[0], colW), ""), m.helpGroupLines(groups[2], colW)...)
	right := append(append(m.helpGroupLines(groups[1], colW), ""), m.helpGroupLines(groups[3], colW)...)
	lines = append(lines, "")
	for i := range max(len(left), len(right)) {
		var l, r string
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			r = right[i]
		}
		lines = append(lines, l+strings.Repeat(" ", max(colW-lipgloss.Width(l), 0)+2)+r)
	}
	return lines
}

// helpGroupLines renders one group of the full help in w cells.
func (m *Model) helpGroupLines(g helpGroup, w int) []string {
	lines := []string{m.st.Bold.Render(g.title)}
	for _, r := range g.rows {
		k, d := fit(r.key, helpKeyW), clip(r.desc, max(w-helpKeyW-1, 1))
		if r.applies == nil || r.applies(&m.keys) {
			lines = append(lines, m.st.Key.Render(k)+" "+d)
		} else {
			lines = append(lines, m.st.Muted.Render(k+" "+d))
		}
	}
	return lines
}

// footer is the help bar: the keys that apply now, most useful first, as
// many as fit, and always the way to help and out ("? help", "q quit"; in
// a text field, where those are letters to type, "ctrl+c quit").
func (m *Model) footer() string {
	hs := m.st.Help
	item := func(k, d string) string { return hs.ShortKey.Render(k) + " " + hs.ShortDesc.Render(d) }
	sep := hs.ShortSeparator.Render(" • ")
	var items, pinned []string
	switch {
	case m.overlay != overlayNone:
		if m.overlayMax() > 0 {
			items = append(items, item("j/k", "scroll"))
		}
		items = append(items, item("esc", "close"))
		pinned = []string{item("?", "help"), item("q", "quit")}
	case m.screen == screenTable && (m.mode == modeFilter || m.mode == modePassword || m.mode == modePaste):
		pinned = []string{item("ctrl+c", "quit")}
	default:
		pinned = []string{item("?", "help"), item("q", "quit")}
	}
	if m.overlay == overlayNone {
		for _, b := range m.keys.ShortHelp() {
			if b.Enabled() {
				items = append(items, item(b.Help().Key, b.Help().Desc))
			}
		}
	}
	tail := strings.Join(pinned, sep)
	room := m.width - lipgloss.Width(tail)
	var head []string
	used := 0
	for _, it := range items {
		w := lipgloss.Width(it) + lipgloss.Width(sep)
		if used+w > room {
			break
		}
		head = append(head, it)
		used += w
	}
	return clip(strings.Join(append(head, tail), sep), m.width)
}

// escape is esc on the table: it closes the detail pane, or clears the
// filter, or cancels the selected connection's job, the first that
// applies. (Overlays close before: onOverlayKey.)
func (m *Model) escape(name string) tea.Cmd {
	if showing, _ := m.paneFor(); showing == paneDetail {
		m.detail = false
		m.paneOff = 0
		return nil
	}
	if m.filter.Value() != "" {
		m.clearFilter()
		return nil
	}
	return m.cancel(name)
}

// explain puts on the status line why a key that does not apply now does
// nothing, when it is a key of the table.
func (m *Model) explain(msg tea.KeyPressMsg) {
	if conn, text := m.why(msg); text != "" {
		m.setStatus(conn, levelWarn, text)
	}
}

// why says why a key of the table does not apply now, and which connection
// that is about; "" for a key that is not one or needs no explaining (a
// move with nowhere to go).
func (m *Model) why(msg tea.KeyPressMsg) (conn, text string) {
	a := allKeys
	r, name := m.selected(), m.selectedName()
	acts := []key.Binding{a.SignIn, a.Paste, a.Renew, a.Copy, a.CopyHeader, a.Check, a.Logout, a.Reveal, a.Details}
	if r == nil {
		if key.Matches(msg, acts...) {
			if len(m.rows) > 0 {
				return "", "no connection matches the filter: esc clears it"
			}
			return "", "no connection selected"
		}
		return "", ""
	}
	j := m.busy[name]
	busy := func() (string, string) {
		if j.pending != nil {
			return name, name + ": signing in — finish it, or esc cancels it"
		}
		return name, fmt.Sprintf("%s: busy %s esc cancels it", name, j.kind.doing())
	}
	noToken := func() (string, string) {
		switch {
		case r.st.Token == nil:
			return name, name + ": signed out — press l to sign in"
		case r.needsPerson() || r.st.NeedsSignIn:
			return name, name + ": sign-in required — press l to sign in"
		}
		return name, name + ": token expired — press l to sign in"
	}
	showing, _ := m.paneFor()
	switch {
	case key.Matches(msg, a.Renew):
		switch {
		case j != nil:
			return busy()
		case r.conn.Flow == flows.Implicit:
			return name, name + " cannot renew without you: press l"
		case r.st.Token == nil || r.needsPerson():
			return noToken()
		}
		return name, name + ": no refresh token to renew with — press l to sign in again"
	case key.Matches(msg, a.RenewAll):
		return "", "nothing to renew: no connection can renew without you"
	case key.Matches(msg, a.Check):
		switch {
		case j != nil:
			return busy()
		case r.conn.CheckURL == "":
			return name, name + ": no check_url configured"
		}
		return noToken()
	case key.Matches(msg, a.CheckAll):
		return "", "nothing to check: no connection has both a token and a check_url"
	case key.Matches(msg, a.Copy, a.CopyHeader):
		if j != nil {
			return busy()
		}
		return noToken()
	case key.Matches(msg, a.Logout):
		switch {
		case j != nil:
			return busy()
		case r.st.Token == nil:
			return name, name + ": signed out — nothing to log out of"
		}
	case key.Matches(msg, a.Reveal):
		switch {
		case showing != paneDetail:
			return "", "enter opens the details, v reveals the token there"
		case r.st.Token == nil:
			return name, name + ": no token to reveal"
		}
	case key.Matches(msg, a.SignIn):
		if j != nil {
			return busy()
		}
	case key.Matches(msg, a.Paste):
		return name, name + ": no browser sign-in is waiting for a redirect URL"
	case key.Matches(msg, a.PaneDown, a.PaneUp):
		if showing != paneDetail {
			return "", "enter opens the details; ctrl+d and ctrl+u scroll them"
		}
		if m.paneMax == 0 {
			return name, name + ": the details fit, nothing to scroll"
		}
	}
	return "", ""
}
