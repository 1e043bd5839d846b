package ui

import (
	"errors"
	"os/exec"
	"strings"
	"tokentop/flows/config"

	tea "charm.land/bubbletea/v2"
)

// e opens the configuration file in the person's editor, the dashboard
// suspended meanwhile, and reads the file again when the editor quits. On
// the first-run screen it writes the starter first, so the editor opens on
// something to change.

// editedMsg reports that the editor quit; err says it could not run or
// failed.
type editedMsg struct{ err error }

// starterMsg reports the starter file written (or already there) before
// the editor opens on it.
type starterMsg struct {
	path string
	err  error
}

// editorArgs is the editor's command line for path: $VISUAL, else $EDITOR,
// else vi, split on spaces so that "code -w" works.
func editorArgs(getenv func(string) string, path string) []string {
	ed := strings.TrimSpace(getenv("VISUAL"))
	if ed == "" {
		ed = strings.TrimSpace(getenv("EDITOR"))
	}
	if ed == "" {
		ed = "vi"
	}
	return append(strings.Fields(ed), path)
}

// configPath is the configuration file's path, or "" when none is known:
// the one the dashboard was opened on (and watches), else the config's.
func (m *Model) configPath() string {
	if m.opts.ConfigPath != "" {
		return m.opts.ConfigPath
	}
	if m.cfg != nil && m.cfg.Path != "" {
		return m.cfg.Path
	}
	if m.b != nil && m.b.Config() != nil {
		return m.b.Config().Path
	}
	return ""
}

// edit opens the configuration in the editor, writing the starter first on
// the first-run screen.
func (m *Model) edit() tea.Cmd {
	path := m.configPath()
	if path == "" {
		m.setStatus("", levelWarn, "no configuration path is known: start tokentop with --config PATH")
		return nil
	}
	if m.screen == screenEmpty {
		return writeStarterCmd(path)
	}
	return m.editorCmd(path)
}

// editorCmd runs the editor on path with the dashboard suspended.
func (m *Model) editorCmd(path string) tea.Cmd {
	args := editorArgs(m.getenv, path)
	c := exec.Command(args[0], args[1:]...)
	return tea.ExecProcess(c, func(err error) tea.Msg { return editedMsg{err} })
}

// writeStarterCmd writes the commented starter configuration to path
// (config.WriteStarter: 0600, never over a file or through a link); a file
// already there is simply opened.
func writeStarterCmd(path string) tea.Cmd {
	return func() tea.Msg {
		_, err := config.WriteStarter(path, nil)
		if errors.Is(err, config.ErrExists) {
			err = nil
		}
		return starterMsg{path, err}
	}
}

// onStarter opens the editor on the starter file, once it is there.
func (m *Model) onStarter(msg starterMsg) tea.Cmd {
	if msg.err != nil {
		m.setStatus("", levelError, "could not write "+msg.path+": "+errText(msg.err))
		return nil
	}
	return m.editorCmd(msg.path)
}

// onEdited reads the configuration again after the editor quit.
func (m *Model) onEdited(msg editedMsg) tea.Cmd {
	if msg.err != nil {
		m.setStatus("", levelError, "editor: "+errText(msg.err))
	} else {
		m.setStatus("", levelInfo, "configuration edited; reading it again…")
	}
	return m.reloadCmd()
}
