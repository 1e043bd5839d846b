// Package theme provides tokentop's styles, built from a few semantic colours
// for light and dark terminal backgrounds.
package theme

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// Palette is the handful of semantic colours every style is built from.
type Palette struct {
	OK     color.Color // healthy: a fresh token, a 2xx check
	Warn   color.Color // needs attention soon: expiring, expired but renewable
	Danger color.Color // needs a person: sign-in required, failures
	Muted  color.Color // secondary text: labels, times, signed-out rows
	Accent color.Color // titles, keys, the selection
	// Selection is the background of the selected row.
	Selection color.Color
}

// NewPalette returns the palette for a dark or a light background.
func NewPalette(isDark bool) Palette {
	ld := lipgloss.LightDark(isDark)
	return Palette{
		OK:        ld(lipgloss.Color("#007A3D"), lipgloss.Color("#5FD787")),
		Warn:      ld(lipgloss.Color("#A05A00"), lipgloss.Color("#FFC857")),
		Danger:    ld(lipgloss.Color("#C4001A"), lipgloss.Color("#FF6B6B")),
		Muted:     ld(lipgloss.Color("#6C6C6C"), lipgloss.Color("#8A8A8A")),
		Accent:    ld(lipgloss.Color("#1F5FBF"), lipgloss.Color("#87AFFF")),
		Selection: ld(lipgloss.Color("#DCE6F5"), lipgloss.Color("#2A3350")),
	}
}

// Styles is every style the dashboard draws with. Nothing outside this
// package names a colour.
type Styles struct {
	Palette Palette

	// Title is the top bar's program name; Subtitle the rest of that bar.
	Title    lipgloss.Style
	Subtitle lipgloss.Style
	// Header is the table's column header line.
	Header lipgloss.Style
	// Selected is the whole selected row; it is bold as well as coloured so
	// the selection shows without colour (NO_COLOR).
	Selected lipgloss.Style

	// Semantic text styles.
	OK     lipgloss.Style
	Warn   lipgloss.Style
	Danger lipgloss.Style
	Muted  lipgloss.Style
	Accent lipgloss.Style
	Bold   lipgloss.Style

	// Pane is the box around the detail and sign-in panes; PaneTitle its
	// heading; Label the names of the values in it.
	Pane      lipgloss.Style
	PaneTitle lipgloss.Style
	Label     lipgloss.Style
	// Key is an inline key hint ("press l to sign in").
	Key lipgloss.Style
	// Code is a value the person must read or type: a device code.
	Code lipgloss.Style

	// Help styles the help bar; Input the text fields.
	Help  help.Styles
	Input textinput.Styles
}

// New returns the styles for a dark or a light background.
func New(isDark bool) Styles {
	p := NewPalette(isDark)
	fg := lipgloss.NewStyle().Foreground
	s := Styles{
		Palette:  p,
		Title:    lipgloss.NewStyle().Bold(true).Foreground(p.Accent),
		Subtitle: fg(p.Muted),
		Header:   lipgloss.NewStyle().Bold(true).Foreground(p.Muted),
		Selected: lipgloss.NewStyle().Bold(true).Background(p.Selection),

		OK:     fg(p.OK),
		Warn:   fg(p.Warn),
		Danger: fg(p.Danger),
		Muted:  fg(p.Muted),
		Accent: fg(p.Accent),
		Bold:   lipgloss.NewStyle().Bold(true),

		Pane: lipgloss.NewStyle().
			Border(lipgloss.RoundedBorder()).
			BorderForeground(p.Muted).
			Padding(0, 1),
		PaneTitle: lipgloss.NewStyle().Bold(true).Foreground(p.Accent),
		Label:     fg(p.Muted),
		Key:       lipgloss.NewStyle().Bold(true).Foreground(p.Accent),
		Code:      lipgloss.NewStyle().Bold(true).Foreground(p.Warn),
	}
	s.Help = help.Styles{
		ShortKey:       fg(p.Accent),
		ShortDesc:      fg(p.Muted),
		ShortSeparator: fg(p.Muted),
		Ellipsis:       fg(p.Muted),
		FullKey:        fg(p.Accent),
		FullDesc:       fg(p.Muted),
		FullSeparator:  fg(p.Muted),
	}
	state := textinput.StyleState{
		Text:        lipgloss.NewStyle(),
		Placeholder: fg(p.Muted),
		Suggestion:  fg(p.Muted),
		Prompt:      fg(p.Accent),
	}
	s.Input = textinput.Styles{
		Focused: state,
		Blurred: state,
		// A blinking cursor would wake the program twice a second for
		// nothing; a steady one costs no CPU.
		Cursor: textinput.CursorStyle{Color: p.Accent, Shape: tea.CursorBlock, Blink: false},
	}
	return s
}
