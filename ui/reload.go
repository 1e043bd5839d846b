package ui

import tea "charm.land/bubbletea/v2"

// reloadCmd reads the configuration file again. A placeholder, replaced by
// the lead.
func (m *Model) reloadCmd() tea.Cmd { return nil }
