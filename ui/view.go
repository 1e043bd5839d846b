package ui

import (
	"errors"
	"fmt"
	"io/fs"
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
	if m.opts.PlainText {
		info += " · tokens in plain text"
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
