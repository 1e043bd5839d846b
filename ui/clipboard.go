package ui

import (
	"crypto/sha256"
	"time"

	tea "charm.land/bubbletea/v2"

	"tokentop/flows"
)

// What tokentop puts on the clipboard it takes off again, as pass -c does:
// after clipboard_clear, and only while the clipboard still holds it. The
// model keeps a digest of the value, never the value.

// clipState is the last copy tokentop made.
type clipState struct {
	// id numbers the copies; a clear timer of an older copy is ignored.
	id uint64
	// armed says a clear is due for copy id; sum is the digest of its value.
	armed bool
	sum   [sha256.Size]byte
}

// clipClearMsg says copy id's time on the clipboard is up.
type clipClearMsg struct{ id uint64 }

// clipClearedMsg reports that the system clipboard held copy id and was
// emptied; err says the emptying failed.
type clipClearedMsg struct {
	id  uint64
	err error
}

// clipKeptMsg reports that the system clipboard holds something else now:
// it is left alone.
type clipKeptMsg struct{ id uint64 }

// clipUnreadableMsg reports that the system clipboard could not be read,
// so only the terminal's (OSC 52) can be cleared.
type clipUnreadableMsg struct{ id uint64 }

// copyCmd copies s both ways: OSC 52 through the terminal (works over SSH)
// and the native clipboard. what names the value in the status line, never
// the value itself. A newer copy supersedes the clear timer of an older one.
func (m *Model) copyCmd(s, what, warn string) tea.Cmd {
	m.clip = clipState{id: m.clip.id + 1}
	write := m.clipboard
	return tea.Batch(tea.SetClipboard(s), func() tea.Msg {
		if err := write(s); err != nil {
			return copiedOSC52OnlyMsg{what, warn, err}
		}
		return copiedMsg{what, warn}
	})
}

// copySecretCmd copies a token or something holding one, and arms the
// clear after cfg.ClipboardClear (0: the value stays).
func (m *Model) copySecretCmd(s, what, warn string) tea.Cmd {
	cmd := m.copyCmd(s, what, warn)
	d := m.clipboardClear()
	if d <= 0 {
		return cmd
	}
	m.clip.armed = true
	m.clip.sum = sha256.Sum256([]byte(s))
	id := m.clip.id
	return tea.Batch(cmd, tea.Tick(d, func(time.Time) tea.Msg { return clipClearMsg{id} }))
}

// clipboardClear is how long a copied token stays on the clipboard.
func (m *Model) clipboardClear() time.Duration {
	if m.cfg == nil {
		return 0
	}
	return m.cfg.ClipboardClear
}

// copiedText is the status line of a finished copy: what was copied, the
// ways it went, and when it goes away again.
func (m *Model) copiedText(what, how string) string {
	text := "copied " + what + " (" + how + ")"
	if m.clip.armed {
		text += "; the clipboard clears in " + flows.Countdown(m.clipboardClear())
	}
	return text
}

// onClipClear empties the clipboard if it still holds the copy whose time
// is up. Reading and writing the clipboard is I/O: a command does it.
func (m *Model) onClipClear(msg clipClearMsg) tea.Cmd {
	if msg.id != m.clip.id || !m.clip.armed {
		return nil
	}
	read, write, sum, id := m.readClipboard, m.clipboard, m.clip.sum, msg.id
	return func() tea.Msg {
		got, err := read()
		if err != nil {
			return clipUnreadableMsg{id}
		}
		if sha256.Sum256([]byte(got)) != sum {
			return clipKeptMsg{id}
		}
		return clipClearedMsg{id, write("")}
	}
}

// onClipCleared tells of a cleared clipboard and clears the terminal's
// (OSC 52, an empty value) too.
func (m *Model) onClipCleared(msg clipClearedMsg) tea.Cmd {
	if msg.id != m.clip.id || !m.clip.armed {
		return nil
	}
	m.clip.armed = false
	if msg.err != nil {
		m.setStatus("", levelWarn, "could not clear the system clipboard: "+errText(msg.err))
	} else {
		m.setStatus("", levelInfo, "clipboard cleared")
	}
	return tea.SetClipboard("")
}

// onClipKept disarms a clear: the person copied something else since.
func (m *Model) onClipKept(msg clipKeptMsg) {
	if msg.id == m.clip.id {
		m.clip.armed = false
	}
}

// onClipUnreadable clears the terminal's clipboard, which cannot be read
// back: with no system clipboard to compare, the token goes rather than
// stays.
func (m *Model) onClipUnreadable(msg clipUnreadableMsg) tea.Cmd {
	if msg.id != m.clip.id || !m.clip.armed {
		return nil
	}
	m.clip.armed = false
	m.setStatus("", levelInfo, "clipboard cleared (OSC 52)")
	return tea.SetClipboard("")
}
