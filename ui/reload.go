package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"

	"tokentop/flows"
)

// The configuration file is watched: each heartbeat stats it (in a
// command), and when its size, time or inode changed it is read again and
// applied without a restart. Connections with problems become error rows
// beside the working ones; a file that cannot be read as a whole keeps the
// last good connections on screen under an error banner.

// configStamp identifies one version of the config file.
type configStamp struct {
	exists bool
	size   int64
	mod    time.Time
	ino    uint64
}

// configStatMsg carries the config file's stamp.
type configStatMsg struct{ stamp configStamp }

// configLoadedMsg carries the configuration read again, or why it could
// not be. The backend already runs cfg when it arrives.
type configLoadedMsg struct {
	stamp configStamp
	cfg   *flows.Config
	err   error
}

// watchConfig stats the config file, unless it is not watched or a stat
// or a load is running.
func (m *Model) watchConfig() tea.Cmd {
	path := m.configPath()
	if m.opts.LoadConfig == nil || path == "" || m.statting {
		return nil
	}
	m.statting = true
	return func() tea.Msg { return configStatMsg{statConfig(path)} }
}

// statConfig reads the stamp of the file at path.
func statConfig(path string) configStamp {
	info, err := os.Stat(path)
	if err != nil {
		return configStamp{}
	}
	s := configStamp{exists: true, size: info.Size(), mod: info.ModTime()}
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		s.ino = uint64(st.Ino)
	}
	return s
}

// onConfigStat loads the file again when it changed since it was last
// read. The first stamp is the file the dashboard opened with.
func (m *Model) onConfigStat(msg configStatMsg) tea.Cmd {
	if !m.stamped {
		m.statting = false
		m.stamped, m.stamp = true, msg.stamp
		return nil
	}
	if msg.stamp == m.stamp {
		m.statting = false
		return nil
	}
	return m.loadConfigCmd(msg.stamp)
}

// reloadCmd reads the config file again now, whether or not it looks
// changed (after e returns from the editor).
func (m *Model) reloadCmd() tea.Cmd {
	if m.opts.LoadConfig == nil || m.configPath() == "" {
		return nil
	}
	m.statting = true
	return m.loadConfigCmd(statConfig(m.configPath()))
}

// loadConfigCmd reads the configuration and hands it to the backend.
func (m *Model) loadConfigCmd(stamp configStamp) tea.Cmd {
	load, b := m.opts.LoadConfig, m.b
	return func() tea.Msg {
		cfg, err := load()
		if err == nil && b != nil {
			b.SetConfig(cfg)
		}
		return configLoadedMsg{stamp, cfg, err}
	}
}

// onConfigLoaded applies a configuration read again.
func (m *Model) onConfigLoaded(msg configLoadedMsg) tea.Cmd {
	m.statting = false
	m.stamped, m.stamp = true, msg.stamp
	if msg.err != nil {
		text := errText(msg.err)
		if errors.Is(msg.err, fs.ErrNotExist) {
			text = "the config file is gone"
		}
		m.configErr = msg.err
		if m.screen == screenTable {
			m.setStatus("", levelError, "config not reloaded: "+firstLine(text)+"; showing the last good connections")
		} else if !errors.Is(msg.err, fs.ErrNotExist) {
			m.screen = screenConfigError
		}
		return nil
	}
	if m.b == nil {
		// Without a backend, nothing can run the new file.
		m.configErr = nil
		m.setStatus("", levelWarn, "the config file changed; restart tokentop to use it")
		return nil
	}
	m.configErr = nil
	added, removed, changed, stopped := m.setConnections(msg.cfg)
	m.setStatus("", levelOK, fmt.Sprintf("config reloaded: %s", reloadSummary(added, removed, changed, len(msg.cfg.Broken))))
	if len(msg.cfg.Warnings) > 0 {
		m.warn(msg.cfg.Warnings)
	}
	if m.screen != screenTable {
		return stopped
	}
	// Read every state again: new rows have none yet.
	m.polling = true
	return tea.Batch(stopped, pollCmd(m.b, 0))
}

// reloadSummary says what a reload changed: "1 added, 2 changed".
func reloadSummary(added, removed, changed, broken int) string {
	var parts []string
	for _, p := range []struct {
		n    int
		word string
	}{{added, "added"}, {removed, "removed"}, {changed, "changed"}, {broken, "with problems"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.word))
		}
	}
	if len(parts) == 0 {
		return "no connection changed"
	}
	s := parts[0]
	for _, p := range parts[1:] {
		s += ", " + p
	}
	return s
}

// firstLine is the first line of a possibly multi-line message, with a
// count of the rest.
func firstLine(s string) string {
	for i := range len(s) {
		if s[i] == '\n' {
			n := 1
			for j := i + 1; j < len(s); j++ {
				if s[j] == '\n' {
					n++
				}
			}
			return s[:i] + fmt.Sprintf(" (and %d more problems)", n)
		}
	}
	return s
}

// setConnections makes the rows those of cfg, in file order, with an error
// row for each broken connection. A row whose connection stays keeps its
// state, and its job when the connection did not change; a removed one's
// job is cancelled. It reports how many connections were added, removed
// and changed, and returns the command that ends the sign-ins it stopped.
func (m *Model) setConnections(cfg *flows.Config) (added, removed, changed int, cmd tea.Cmd) {
	var cmds []tea.Cmd
	m.cfg = cfg
	old := m.byName
	m.byName = make(map[string]*row, len(cfg.Connections)+len(cfg.Broken))
	rows := make([]*row, 0, len(cfg.Connections)+len(cfg.Broken))
	m.renewables, m.checkables = 0, 0
	place := func(r *row) {
		rows = append(rows, r)
		m.byName[r.conn.Name] = r
		m.count(r, 1)
	}
	broken := cfg.Broken
	for _, c := range cfg.Connections {
		for len(broken) > 0 && broken[0].Line < c.Line {
			place(brokenRow(broken[0]))
			broken = broken[1:]
		}
		r := old[c.Name]
		switch {
		case r == nil:
			added++
			r = newRow(c)
		case r.broken != nil || !sameConnection(r.conn, c):
			if r.broken == nil {
				changed++
			} else {
				added++
			}
			cmds = append(cmds, m.dropJob(c.Name))
			st := r.st
			r.invalidate()
			r = newRow(c)
			r.setState(st)
		default:
			r.conn = c
		}
		delete(old, c.Name)
		place(r)
	}
	for _, b := range broken {
		place(brokenRow(b))
	}
	for _, b := range cfg.Broken {
		if r := old[b.Name]; r != nil {
			if r.broken == nil {
				changed++
			}
			cmds = append(cmds, m.dropJob(b.Name))
			r.invalidate()
			delete(old, b.Name)
		}
	}
	for name, r := range old {
		removed++
		cmds = append(cmds, m.dropJob(name))
		r.invalidate()
		if m.revealed == name {
			m.revealed = ""
		}
	}
	m.rows = rows
	for _, r := range m.rows {
		m.schedule(r)
	}
	m.selectionMayChange(m.refilter)
	m.stale = true
	if len(m.rows) > 0 {
		m.screen = screenTable
	} else {
		m.screen = screenEmpty
	}
	return added, removed, changed, tea.Batch(cmds...)
}

// dropJob cancels a connection's job; the command closes its sign-in's
// listener.
func (m *Model) dropJob(name string) tea.Cmd {
	j := m.busy[name]
	if j == nil {
		return nil
	}
	m.end(name, j)
	return cancelPendingCmd(j.pending)
}

// invalidate makes every planned renewal and check of the row stale.
func (r *row) invalidate() {
	r.gen++
	r.checkGen++
}

// sameConnection reports whether a and b are configured alike, wherever
// their tables are in the file, so a job running on a may go on.
func sameConnection(a, b *flows.Connection) bool {
	x, y := *a, *b
	x.Line, y.Line = 0, 0
	return reflect.DeepEqual(x, y)
}

// brokenRow is the error row of a connection whose table has problems.
func brokenRow(b flows.BrokenConnection) *row {
	r := newRow(&flows.Connection{Name: b.Name, Line: b.Line, Manual: true})
	r.broken = b.Problems
	r.provider = "—"
	r.flow = "—"
	return r
}

// actsOnConnection are the keys that act on the selected connection.
var actsOnConnection = map[string]bool{"l": true, "i": true, "r": true, "c": true, "C": true, "p": true, "x": true, "v": true, "y": true}

// onBrokenRow answers a key that acts on a connection when the selected
// row is an error row: nothing can run for it, and the status line says
// why.
func (m *Model) onBrokenRow(msg tea.KeyPressMsg) bool {
	r := m.selected()
	if r == nil || r.broken == nil || !actsOnConnection[msg.String()] {
		return false
	}
	m.setStatus(r.conn.Name, levelError, r.broken[0]+" — fix the config file (e edits it)")
	return true
}
