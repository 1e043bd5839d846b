package ui

import (
	"context"
	"time"

	"tokentop/flows"
)

// Backend is what the dashboard needs from the token service; *flows.Service
// satisfies it. Every method may block on the network or the disk, so the
// dashboard calls them only inside tea.Cmds. Errors are one safe line that
// names the connection, printed as they are.
type Backend interface {
	Config() *flows.Config
	// SetConfig replaces the configuration live, after the file changed.
	SetConfig(cfg *flows.Config)
	Now() time.Time
	// Changed returns connection states written since mark (0: all), and the next mark; cheap when nothing changed. Other tokentop processes' writes show up here.
	Changed(mark uint64) (map[string]flows.State, uint64, error)
	// Token returns a token valid for at least minValid, renewing first without a person if needed (errors.Is(err, flows.ErrSignInRequired) when it cannot; a *flows.NotSavedError comes WITH a usable token).
	Token(ctx context.Context, name string, minValid time.Duration) (*flows.Token, error)
	Renew(ctx context.Context, name string) (*flows.Token, error)
	Check(ctx context.Context, name string) (*flows.Check, error)
	Logout(ctx context.Context, name string) error
	BeginLogin(ctx context.Context, name string) (flows.Pending, error)
}

// Options configures the dashboard.
type Options struct {
	// Now is the clock; nil means the backend's.
	Now func() time.Time
	// ConfigErr is why the configuration could not be loaded. One that wraps
	// fs.ErrNotExist shows the first-run screen; any other is shown as it is
	// (it names file:line) instead of the table.
	ConfigErr error
	// ConfigPath is where the configuration is expected, for the first-run
	// screen.
	ConfigPath string
	// Demo says the connections talk to tokentop's fake providers.
	Demo bool
	// PlainText says the state file keeps tokens unsealed: the top bar
	// says so for as long as the dashboard runs.
	PlainText bool
	// Clipboard writes to the system clipboard; nil means
	// github.com/atotto/clipboard.WriteAll.
	Clipboard func(string) error
	// ClipboardRead reads the system clipboard, to clear it only while it
	// still holds what tokentop put there; nil means
	// github.com/atotto/clipboard.ReadAll.
	ClipboardRead func() (string, error)
	// Getenv reads the environment ($VISUAL, $EDITOR); nil means os.Getenv.
	Getenv func(string) string
	// OpenURL opens a URL in the browser; nil means
	// github.com/cli/browser.OpenURL with its output discarded.
	OpenURL func(string) error
	// LoadConfig reads the config file again, leniently (a broken
	// connection is a Broken entry, not an error); nil means the file is
	// not watched. A file that changed is applied within two heartbeats.
	LoadConfig func() (*flows.Config, error)
	// IsTeam tells the connections whose state is in the team store, to
	// mark them; nil when every connection is local. It is read as the
	// dashboard opens: a connection whose team key changes in the file
	// keeps its store until the dashboard is started again.
	IsTeam func(name string) bool
	// Warnings are problems found before the dashboard opened that the
	// person must hear of, such as a damaged state file moved aside; they
	// are shown with the config's own warnings.
	Warnings []string
}
