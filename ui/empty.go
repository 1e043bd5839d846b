package ui

import (
	"strings"
)

// exampleConfig is the smallest useful configuration file, shown on the
// first-run screen.
const exampleConfig = `[connections.aikido]
provider      = "aikido"
flow          = "client_credentials"
client_id     = "your-client-id"
client_secret = "env:AIKIDO_CLIENT_SECRET"`

// emptyView is the first-run screen: where the configuration goes, what it
// looks like, and how to look around without one.
func (m *Model) emptyView() string {
	path := m.opts.ConfigPath
	if path == "" && m.b != nil && m.b.Config() != nil {
		path = m.b.Config().Path
	}
	if path == "" {
		path = "(no path given)"
	}
	var lines []string
	lines = append(lines, m.st.Title.Render("tokentop")+m.st.Subtitle.Render(" · no connections yet"), "")
	if m.configErr != nil || m.b == nil {
		lines = append(lines, "tokentop reads its connections from", "  "+m.st.Accent.Render(path), "which does not exist yet. A minimal one:", "")
	} else {
		lines = append(lines, "The configuration", "  "+m.st.Accent.Render(path), "has no connections yet. Add one like this:", "")
	}
	for _, l := range strings.Split(exampleConfig, "\n") {
		lines = append(lines, "  "+m.st.Muted.Render(l))
	}
	lines = append(lines, "",
		"Secrets can be env:NAME, file:PATH or cmd:COMMAND instead of literal values.",
		"")
	if m.configErr != nil || m.b == nil {
		lines = append(lines, "Press "+m.st.Key.Render("e")+" to write a commented starter there and open it in your editor, or:")
	} else {
		lines = append(lines, "Press "+m.st.Key.Render("e")+" to open it in your editor, or:")
	}
	lines = append(lines,
		"  "+m.st.Key.Render("tokentop config init")+"  writes a commented starter file",
		"  "+m.st.Key.Render("tokentop --demo")+"       looks around with fake providers")
	return m.frame(lines)
}

// configErrorView shows why the configuration could not be loaded, with
// its file and line, instead of the table.
func (m *Model) configErrorView() string {
	lines := []string{
		m.st.Title.Render("tokentop") + m.st.Subtitle.Render(" · the configuration could not be loaded"),
		"",
	}
	for _, l := range strings.Split(m.configErr.Error(), "\n") {
		for _, w := range wrap(safeText(l), m.width-4) {
			lines = append(lines, "  "+m.st.Danger.Render(w))
		}
	}
	lines = append(lines, "",
		m.fixHint(),
		"To look around meanwhile, with fake providers: "+m.st.Key.Render("tokentop --demo"))
	return m.frame(lines)
}

// frame pads a screen of lines to the window, with the help bar at the
// bottom.
func (m *Model) frame(lines []string) string {
	helpView := m.helpView()
	helpH := strings.Count(helpView, "\n") + 1
	room := m.height - helpH
	if len(lines) > room {
		lines = lines[:max(room, 0)]
	}
	for i, l := range lines {
		lines[i] = clip(l, m.width)
	}
	for len(lines) < room {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n") + "\n" + helpView
}

// fixHint says what to do about a config file that cannot be read: edit
// it, and either the dashboard picks it up or tokentop must start again.
func (m *Model) fixHint() string {
	if m.opts.LoadConfig != nil && m.b != nil {
		return "Fix the file (e opens it in your editor): the connections open as soon as it reads."
	}
	return "Fix the file (e opens it in your editor) and start tokentop again."
}
