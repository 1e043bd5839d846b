// Package ui provides tokentop's dashboard: a Bubble Tea program that shows
// every connection's token, renews them as they near expiry, and signs in,
// copies, checks and logs out on a key press.
package ui

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"

	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/atotto/clipboard"
	"github.com/cli/browser"

	"tokentop/flows"
	"tokentop/theme"
)

// screen is what the whole window shows.
type screen int

const (
	screenTable       screen = iota // the connections
	screenEmpty                     // no config file yet
	screenConfigError               // the config file could not be loaded
)

// mode is what the keys currently drive on the table screen.
type mode int

const (
	modeNormal   mode = iota // the table
	modeFilter               // typing the filter
	modeConfirm              // answering "log out?"
	modePassword             // typing a sign-in password
	modePaste                // pasting a redirect URL
	modeMenu                 // choosing what to copy (menu.go)
	modeResignIn             // answering "sign in again?"
)

// level is the tone of the status line.
type level int

const (
	levelInfo level = iota
	levelOK
	levelWarn
	levelError
)

// Model is the dashboard's one Bubble Tea model. Create it with New.
type Model struct {
	b         Backend
	opts      Options
	now       func() time.Time
	clipboard func(string) error
	openURL   func(string) error
	loc       *time.Location

	// ctx is the parent of every job's context; stop cancels it on quit.
	ctx  context.Context
	stop context.CancelFunc

	screen    screen
	configErr error
	cfg       *flows.Config

	// clock is the time of the last tick: every countdown in a frame is
	// computed from it, so a frame is a pure function of the model.
	clock  time.Time
	width  int
	height int
	isDark bool
	st     theme.Styles
	inks   inks

	keys    KeyMap
	spinner spinner.Model
	// spinning says a spinner tick is in flight; it stops when nothing is
	// busy, so an idle dashboard wakes once a second and no more.
	spinning bool

	rows    []*row // file order
	byName  map[string]*row
	visible []int // indexes into rows that pass the filter
	cursor  int   // index into visible
	offset  int   // first visible index on screen
	filter  textinput.Model
	sortBy  sortKey // the order of visible; s cycles it
	mode    mode
	detail  bool
	// paneOff is how far the detail pane is scrolled; paneMax how far it
	// can be, as of the last layout.
	paneOff int
	paneMax int
	// revealed names the connection whose token is shown in full, until
	// the selection changes.
	revealed string
	confirm  string // the connection "log out?" asks about

	pwd      textinput.Model
	pwdFor   string
	paste    textinput.Model
	pasteFor string

	// What the title bar counts, kept up to date as rows change:
	// attention by reassess, once the clock or a row moved (stale).
	attention  int
	renewables int
	checkables int
	stale      bool

	loaded    bool      // the first poll has answered
	loadedAt  time.Time // when it did
	mark      uint64    // where the next poll starts
	polling   bool
	pollAgain bool
	pollErr   string

	busy        map[string]*job
	lastID      uint64
	bulkRunning int
	queue       []queued
	checkQueue  []queued // periodic checks, behind queue
	queued      map[string]bool
	due         dueHeap
	batch       batchProgress

	// status is the status line's message, about connection statusConn
	// ("" for none in particular), shown since statusAt by the model's
	// clock, while statusSel was selected.
	status      string
	statusLevel level

	// The config file as last read (reload.go): its stamp, whether one
	// was taken, and whether a stat or load is running.
	stamp    configStamp
	stamped  bool
	statting bool
	// needs records which connections needed a person at the last
	// assessment, so the bell rings on a change only (title.go).
	needs map[string]bool
	// rung counts the bells rung.
	rung int
	// menu is the copy menu while it is open (menu.go).
	menu copyMenu
	// clip is what tokentop last put on the clipboard (clipboard.go).
	clip clipState
	// readClipboard reads the system clipboard back, to clear only what
	// tokentop put there; getenv reads $VISUAL and $EDITOR.
	readClipboard func() (string, error)
	getenv        func(string) string
	statusConn    string
	statusAt      time.Time
	statusSel     string
	// log is every message and warning, oldest first, at most maxLog;
	// logSeq counts the entries ever logged, logDrawn caches the overlay.
	log      []logEntry
	logSeq   uint64
	logDrawn logDrawn

	// overlay is what covers the table (help, the log), and below the one
	// it covers in turn: help opened over the log. Their scroll offsets
	// go with them.
	overlay    overlay
	overlayOff int
	below      overlay
	belowOff   int

	quitting bool
}

// batchProgress counts the work started by R or P, for the status line.
type batchProgress struct {
	kind                jobKind
	total, done, failed int
	active              bool
}

// New returns the dashboard for b. b may be nil when opts.ConfigErr is set
// or there is no configuration: the model then shows what to do about it.
func New(b Backend, opts Options) *Model {
	m := &Model{
		b:         b,
		opts:      opts,
		now:       opts.Now,
		clipboard: opts.Clipboard,
		openURL:   opts.OpenURL,
		loc:       time.Local,
		width:     80,
		height:    24,
		isDark:    true,
		keys:      DefaultKeyMap(),
		byName:    map[string]*row{},
		busy:      map[string]*job{},
		queued:    map[string]bool{},
		configErr: opts.ConfigErr,
	}
	m.ctx, m.stop = context.WithCancel(context.Background())
	if m.now == nil {
		if b != nil {
			m.now = b.Now
		} else {
			m.now = time.Now
		}
	}
	if m.clipboard == nil {
		m.clipboard = clipboard.WriteAll
	}
	if m.openURL == nil {
		m.openURL = openBrowser
	}
	m.readClipboard = opts.ClipboardRead
	if m.readClipboard == nil {
		m.readClipboard = clipboard.ReadAll
	}
	m.getenv = opts.Getenv
	if m.getenv == nil {
		m.getenv = os.Getenv
	}
	m.clock = m.now()

	// The spinner has no style of its own: the table paints its frame, so
	// it can sit on the selection's background.
	m.spinner = spinner.New(spinner.WithSpinner(spinner.Spinner{
		Frames: spinner.MiniDot.Frames,
		FPS:    time.Second / 10,
	}))
	m.filter = textinput.New()
	m.filter.Prompt = "/"
	m.filter.Placeholder = "name, provider, !, flow:…"
	m.pwd = textinput.New()
	m.pwd.Prompt = "password: "
	m.pwd.EchoMode = textinput.EchoPassword
	m.pwd.EchoCharacter = '•'
	m.paste = textinput.New()
	m.paste.Prompt = "redirect URL: "
	m.paste.Placeholder = "paste the address the browser ended on"
	m.setStyles(true)

	switch {
	case opts.ConfigErr != nil && errors.Is(opts.ConfigErr, fs.ErrNotExist):
		m.screen = screenEmpty
	case opts.ConfigErr != nil:
		m.screen = screenConfigError
	case b == nil || b.Config() == nil || len(b.Config().Connections)+len(b.Config().Broken) == 0:
		m.screen = screenEmpty
	default:
		m.setConnections(b.Config())
		m.warn(append(append([]string(nil), opts.Warnings...), m.cfg.Warnings...))
	}
	m.reassess()
	m.syncKeys()
	return m
}

var browserOutput sync.Once

// openBrowser opens url with cli/browser, whose helper programs would
// otherwise print over the dashboard.
func openBrowser(url string) error {
	browserOutput.Do(func() {
		browser.Stdout = io.Discard
		browser.Stderr = io.Discard
	})
	return browser.OpenURL(url)
}

// rendererFPS caps how often Bubble Tea compares and draws frames.
const rendererFPS = 20

// Run runs the dashboard until the person quits or ctx ends, then cancels
// whatever was still running; either way the terminal is restored before
// it returns. Signals are the caller's to turn into a cancelled ctx:
// Bubble Tea's own handler (SIGINT and SIGTERM only, each ending the
// program its own way) is off, so that one place decides what a signal
// means and what status the process exits with.
func Run(ctx context.Context, b Backend, opts Options) error {
	m := New(b, opts)
	defer m.stop()
	// The screen changes once a second unless someone types: 20 frames a
	// second (at most 50 ms from key to screen) is plenty for typing and
	// takes two thirds of the renderer's idle wake-ups away (the default
	// is 60).
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithFPS(rendererFPS), tea.WithoutSignalHandler())
	_, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}

// setStyles builds every style for the background.
func (m *Model) setStyles(isDark bool) {
	m.isDark = isDark
	m.st = theme.New(isDark)
	m.inks = newInks(m.st)
	for _, in := range []*textinput.Model{&m.filter, &m.pwd, &m.paste} {
		in.SetStyles(m.st.Input)
	}
}
