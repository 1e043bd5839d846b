package ui

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// y opens a small menu over the lower pane: what to copy of the selected
// connection's token. Every entry fetches a fresh token first, as c does.

// copyWhat is what a copy job puts on the clipboard.
type copyWhat int

const (
	copyToken  copyWhat = iota // the access token
	copyHeader                 // "Authorization: Bearer …"
	copyCurl                   // a curl command line for the check URL
	copyClaims                 // the JWT's claims as JSON
)

// key is the entry's number in the menu, fixed whatever else is offered.
func (w copyWhat) key() string { return string(rune('1' + int(w))) }

// label is the entry's text in the menu.
func (w copyWhat) label() string {
	switch w {
	case copyHeader:
		return "Authorization header"
	case copyCurl:
		return "curl command line for the check URL"
	case copyClaims:
		return "claims as JSON"
	}
	return "token"
}

// noun names what was copied, after the connection's name.
func (w copyWhat) noun() string {
	switch w {
	case copyHeader:
		return "Authorization header"
	case copyCurl:
		return "curl command line"
	case copyClaims:
		return "claims (JSON)"
	}
	return "token"
}

// copyMenu is the open copy menu: the connection, what it offers, and the
// highlighted entry.
type copyMenu struct {
	name   string
	items  []copyWhat
	cursor int
}

// openMenu opens the copy menu of a connection: the token and the header
// always, the curl line when it has a check URL, the claims when its token
// is a JWT.
func (m *Model) openMenu(name string) {
	r := m.byName[name]
	if r == nil {
		return
	}
	items := []copyWhat{copyToken, copyHeader}
	if r.conn.CheckURL != "" {
		items = append(items, copyCurl)
	}
	if r.claims != nil {
		items = append(items, copyClaims)
	}
	m.menu = copyMenu{name: name, items: items}
	m.mode = modeMenu
}

// closeMenu closes the copy menu.
func (m *Model) closeMenu() {
	m.menu = copyMenu{}
	if m.mode == modeMenu {
		m.mode = modeNormal
	}
}

// onMenuKey handles a key while the copy menu is open: a number or enter
// copies, j/k and the arrows move, esc closes.
func (m *Model) onMenuKey(msg tea.KeyPressMsg) tea.Cmd {
	mn := &m.menu
	switch s := msg.String(); s {
	case "esc", "q", "y":
		m.closeMenu()
	case "up", "k":
		mn.cursor = max(mn.cursor-1, 0)
	case "down", "j":
		mn.cursor = min(mn.cursor+1, len(mn.items)-1)
	case "enter":
		if mn.cursor < len(mn.items) {
			return m.pick(mn.items[mn.cursor])
		}
	default:
		for _, w := range mn.items {
			if w.key() == s {
				return m.pick(w)
			}
		}
	}
	return nil
}

// pick closes the menu and fetches a fresh token to copy what was chosen.
func (m *Model) pick(w copyWhat) tea.Cmd {
	name := m.menu.name
	m.closeMenu()
	return m.startCopy(name, w)
}

// startCopy fetches a fresh token of a connection to copy w of it.
func (m *Model) startCopy(name string, w copyWhat) tea.Cmd {
	if m.byName[name] == nil {
		return nil
	}
	if j := m.busy[name]; j != nil {
		m.setStatus(name, levelWarn, name+": busy "+j.kind.doing()+" try again when it is done, or esc to cancel it")
		return nil
	}
	m.setStatus(name, levelInfo, name+": fetching a fresh token…")
	cmd := m.start(name, jobCopy, false, false, w == copyHeader)
	if j := m.busy[name]; j != nil {
		j.what = w
	}
	return cmd
}

// copyText is what a copy of w puts on the clipboard, made from a fresh
// token; ok is false when w cannot be made of it (claims of a token that is
// not a JWT).
func copyText(w copyWhat, token, checkURL string) (string, bool) {
	switch w {
	case copyHeader:
		return "Authorization: Bearer " + token, true
	case copyCurl:
		return curlLine(checkURL, token), true
	case copyClaims:
		return claimsJSON(token)
	}
	return token, true
}

// curlLine is a curl command line that calls url with the token, the
// header read from a config on stdin (-K -) so that the token is never on a
// command line, where ps would show it.
func curlLine(url, token string) string {
	return "curl -sS -K - " + shellQuote(url) + " <<'EOF'\n" +
		"header = \"Authorization: Bearer " + curlQuote(token) + "\"\n" +
		"EOF\n"
}

// shellQuote quotes s as one POSIX shell word.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// curlQuote escapes s for a double-quoted value of a curl config file, and
// drops control characters, which would end or split the header.
func curlQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\' || r == '"':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// claimsJSON is a JWT's payload, indented; false when tok is not a JWT.
// The signature is not verified: these are the claims as the token says.
func claimsJSON(tok string) (string, bool) {
	if decodeClaims(tok) == nil {
		return "", false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.Split(tok, ".")[1], "="))
	if err != nil {
		return "", false
	}
	var b bytes.Buffer
	if json.Indent(&b, payload, "", "  ") != nil {
		return "", false
	}
	b.WriteByte('\n')
	return b.String(), true
}

// menuLines are the lines of the open copy menu.
func (m *Model) menuLines() []string {
	mn := m.menu
	lines := []string{m.st.PaneTitle.Render("copy from "+mn.name) + m.st.Muted.Render(" · a fresh token")}
	for i, w := range mn.items {
		pointer := "  "
		if i == mn.cursor {
			pointer = "› "
		}
		text := pointer + m.st.Key.Render(w.key()) + "  " + w.label()
		if i == mn.cursor {
			text = pointer + m.st.Key.Render(w.key()) + "  " + m.st.Accent.Render(w.label())
		}
		lines = append(lines, text)
	}
	lines = append(lines, m.st.Muted.Render("number or enter copies · esc closes"))
	return lines
}

// menuWidth is the copy menu's width, border included.
const menuWidth = 46

// overlayMenu draws the open copy menu over the bottom of the table and
// pane, just above the status line, leaving the rest of each line as it
// was.
func (m *Model) overlayMenu(screen string) string {
	if m.mode != modeMenu {
		return screen
	}
	lines := m.menuLines()
	w := min(menuWidth, m.width)
	if w < 8 {
		return screen
	}
	for i, l := range lines {
		lines[i] = clip(l, w-4)
	}
	box := strings.Split(m.st.Pane.Width(w).Render(strings.Join(lines, "\n")), "\n")
	out := strings.Split(screen, "\n")
	helpH := strings.Count(m.helpView(), "\n") + 1
	bottom := len(out) - helpH - 1 // the status line
	top := max(bottom-len(box), 1) // below the top bar
	for i := top; i < bottom && i-top < len(box); i++ {
		out[i] = box[i-top] + m.besideMenu(out[i], ansi.StringWidth(box[i-top]))
	}
	return strings.Join(out, "\n")
}

// besideMenu is what stays of a line right of the menu, from cell from:
// a border as it is, the pane's right edge alone with blanks before it,
// and nothing of text cut in the middle.
func (m *Model) besideMenu(line string, from int) string {
	rest := ansi.Cut(line, from, m.width)
	plain := ansi.Strip(rest)
	if strings.Trim(plain, "─╭╮╰╯│ ") == "" && strings.ContainsAny(plain, "─╭╮╰╯") {
		return rest
	}
	w := ansi.StringWidth(line)
	if w > from && ansi.Strip(ansi.Cut(line, w-1, w)) == "│" {
		return strings.Repeat(" ", w-1-from) + ansi.Cut(line, w-1, w)
	}
	return ""
}

// syncMenuKeys enables the copy menu's keys while it is open: its numbers,
// enter and esc.
func (m *Model) syncMenuKeys() {
	k := &m.keys
	open := m.screen == screenTable && m.mode == modeMenu
	k.Pick.SetEnabled(open)
	if !open {
		return
	}
	k.Pick.SetHelp("1-"+m.menu.items[len(m.menu.items)-1].key(), "choose")
	k.Submit.SetEnabled(true)
	k.Submit.SetHelp("enter", "copy")
	k.Back.SetEnabled(true)
	k.Back.SetHelp("esc", "close")
}
