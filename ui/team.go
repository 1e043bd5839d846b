package ui

// What marks a team connection (state in the team's etcd store, shared
// with other machines) on the dashboard: a tag after its name in the table,
// and " · team" in the detail pane's title.

// teamTag is the table's mark after a team connection's name.
const teamTag = " (team)"

// isTeam reports whether connection name keeps its state in the team store.
func (m *Model) isTeam(name string) bool {
	return m.opts.IsTeam != nil && m.opts.IsTeam(name)
}

// nameCell is a row's NAME cell: the name, and the team tag.
func (m *Model) nameCell(r *row) string {
	if m.isTeam(r.conn.Name) {
		return r.name + teamTag
	}
	return r.name
}

// nameWidth is the width nameCell needs.
func (m *Model) nameWidth(r *row) int {
	if m.isTeam(r.conn.Name) {
		return r.nameW + len(teamTag)
	}
	return r.nameW
}

// teamTitle is what the detail pane's title adds for a team connection.
func (m *Model) teamTitle(r *row) string {
	if m.isTeam(r.conn.Name) {
		return " · team"
	}
	return ""
}
