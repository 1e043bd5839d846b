package ui

import "charm.land/bubbles/v2/key"

// KeyMap is the dashboard's key bindings. The model enables only the
// bindings that apply to the current screen, mode and selected connection:
// a disabled binding does not match a key press and stays out of the help
// bar, and its key says why it does not apply (see explain).
type KeyMap struct {
	// Moving around the table.
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Top      key.Binding
	Bottom   key.Binding
	Details  key.Binding
	// Scrolling the detail pane when it does not fit.
	PaneDown key.Binding
	PaneUp   key.Binding

	// Acting on the selected connection, or on all of them.
	SignIn     key.Binding
	Paste      key.Binding
	Renew      key.Binding
	RenewAll   key.Binding
	Copy       key.Binding
	CopyHeader key.Binding
	CopyMenu   key.Binding
	Check      key.Binding
	CheckAll   key.Binding
	Logout     key.Binding
	Reveal     key.Binding
	// Cancel is esc on the table: it closes the detail pane, clears the
	// filter or cancels the selected connection's job, the first of those
	// that applies.
	Cancel key.Binding
	Edit   key.Binding

	// Finding rows: the order, and the rows that need attention.
	Sort          key.Binding
	NextAttention key.Binding
	PrevAttention key.Binding

	// Views.
	Filter key.Binding
	Log    key.Binding

	// Text fields and confirmations.
	Submit key.Binding
	Back   key.Binding
	Yes    key.Binding
	No     key.Binding
	// Pick chooses an entry of the copy menu by its number.
	Pick key.Binding

	Help key.Binding
	Quit key.Binding
}

// DefaultKeyMap returns tokentop's default key bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last")),
		Details:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		PaneDown: key.NewBinding(key.WithKeys("ctrl+d"), key.WithHelp("ctrl+d", "scroll details")),
		PaneUp:   key.NewBinding(key.WithKeys("ctrl+u"), key.WithHelp("ctrl+u", "scroll details back")),

		SignIn:     key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "sign in")),
		Paste:      key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "paste redirect URL")),
		Renew:      key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "renew")),
		RenewAll:   key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "renew all")),
		Copy:       key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy token")),
		CopyHeader: key.NewBinding(key.WithKeys("C"), key.WithHelp("C", "copy header")),
		CopyMenu:   key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy…")),
		Check:      key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "check")),
		CheckAll:   key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "check all")),
		Logout:     key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "log out")),
		Reveal:     key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "reveal token")),
		Cancel:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Edit:       key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit config")),

		Sort:          key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort")),
		NextAttention: key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "next needing attention")),
		PrevAttention: key.NewBinding(key.WithKeys("N"), key.WithHelp("N", "previous needing attention")),

		Filter: key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Log:    key.NewBinding(key.WithKeys("L"), key.WithHelp("L", "log")),

		Submit: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "submit")),
		Back:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Yes:    key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes")),
		No:     key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n/esc", "no")),
		Pick:   key.NewBinding(key.WithKeys("1", "2", "3", "4"), key.WithHelp("1-4", "copy")),

		Help: key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit: key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

// ShortHelp returns the bindings of the one-line help bar, most useful
// first; the help bar drops disabled ones, and from the end what does not
// fit. Help and Quit are not among them: the bar always shows those two.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{
		k.Pick, k.Submit, k.Yes, k.No, k.Back,
		k.SignIn, k.Paste, k.Renew, k.Copy, k.Check, k.Logout, k.Reveal,
		k.Details, k.Cancel, k.Filter, k.Log, k.Edit,
	}
}
