// Package ui provides tokentop's dashboard: a Bubble Tea program that shows
// every connection's token, renews them as they near expiry, and signs in,
// copies, checks and logs out on a key press.
package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/atotto/clipboard"
	"github.com/cli/browser"

	"tokentop/flows"
	"tokentop/flows/redact"
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
	help    help.Model
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

	// What the title bar counts, kept up to date as rows change.
	alerts     int
	renewables int
	checkables int

	loaded    bool   // the first poll has answered
	mark      uint64 // where the next poll starts
	polling   bool
	pollAgain bool
	pollErr   string

	busy        map[string]*job
	lastID      uint64
	bulkRunning int
	queue       []queued
	queued      map[string]bool
	due         dueHeap
	batch       batchProgress

	status      string
	statusLevel level
	quitting    bool
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
		help:      help.New(),
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
	m.clock = m.now()

	// The spinner has no style of its own: the table paints its frame, so
	// it can sit on the selection's background.
	m.spinner = spinner.New(spinner.WithSpinner(spinner.Spinner{
		Frames: spinner.MiniDot.Frames,
		FPS:    time.Second / 10,
	}))
	m.filter = textinput.New()
	m.filter.Prompt = "/"
	m.filter.Placeholder = "name or provider"
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
	case b == nil || b.Config() == nil || len(b.Config().Connections) == 0:
		m.screen = screenEmpty
	default:
		m.cfg = b.Config()
		for _, c := range m.cfg.Connections {
			r := newRow(c, m.cfg.RefreshBefore)
			m.rows = append(m.rows, r)
			m.byName[c.Name] = r
			m.count(r, 1)
		}
		m.refilter()
		if w := append(append([]string(nil), opts.Warnings...), m.cfg.Warnings...); len(w) > 0 {
			text := redact.Sanitize(w[0])
			if len(w) > 1 {
				text += fmt.Sprintf(" (and %d more warnings)", len(w)-1)
			}
			m.setStatus(levelWarn, text)
		}
	}
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
	m.help.Styles = m.st.Help
	for _, in := range []*textinput.Model{&m.filter, &m.pwd, &m.paste} {
		in.SetStyles(m.st.Input)
	}
}

// tickMsg is the once-a-second heartbeat. Only the heartbeat of the
// current chain re-arms itself, so a stray or repeated tick cannot start a
// second chain that would wake the program twice as often.
type tickMsg struct{ chain int }

// heartbeat is the chain of tickMsgs Init starts.
const heartbeat = 1

// everySecond arms the next heartbeat, on the wall clock's second.
func everySecond() tea.Cmd {
	return tea.Every(time.Second, func(time.Time) tea.Msg { return tickMsg{heartbeat} })
}

// Init asks for the background colour and, when there are connections,
// reads their states and starts the heartbeat.
func (m *Model) Init() tea.Cmd {
	if m.screen != screenTable {
		return tea.RequestBackgroundColor
	}
	return tea.Batch(tea.RequestBackgroundColor, m.poll(), everySecond())
}

// poll reads what changed, unless a poll is already running.
func (m *Model) poll() tea.Cmd {
	if m.b == nil {
		return nil
	}
	if m.polling {
		m.pollAgain = true
		return nil
	}
	m.polling = true
	return pollCmd(m.b, m.mark)
}

// spin starts the spinner if it is not turning.
func (m *Model) spin() tea.Cmd {
	if m.spinning {
		return nil
	}
	m.spinning = true
	return m.spinner.Tick
}

// Update handles one message. It does no I/O: the backend is called only
// from the commands it returns.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
	case tea.BackgroundColorMsg:
		m.setStyles(msg.IsDark())
	case tickMsg:
		cmd = m.onTick(msg)
	case spinner.TickMsg:
		if len(m.busy) == 0 {
			m.spinning = false
			break
		}
		m.spinner, cmd = m.spinner.Update(msg)
	case tea.KeyPressMsg:
		cmd = m.onKey(msg)
	case tea.PasteMsg:
		cmd = m.onPaste(msg)

	case changedMsg:
		cmd = m.onChanged(msg)
	case changeFailedMsg:
		m.polling = false
		if e := msg.err.Error(); e != m.pollErr {
			m.pollErr = e
			m.setStatus(levelWarn, "reading saved state: "+e)
		}

	case renewedMsg:
		cmd = m.onRenewed(msg)
	case renewFailedMsg:
		cmd = m.onRenewFailed(msg)
	case checkedMsg:
		cmd = m.onChecked(msg)
	case checkFailedMsg:
		cmd = m.onCheckFailed(msg)
	case tokenMsg:
		cmd = m.onToken(msg)
	case tokenFailedMsg:
		if j, r := m.finish(msg.jobRef); j != nil {
			m.schedule(r)
			m.setStatus(levelError, signInHint(msg.err))
		}
	case copiedMsg:
		m.setStatusWarn("copied "+msg.what+" (OSC 52 and system clipboard)", msg.warn)
	case copiedOSC52OnlyMsg:
		m.setStatusWarn("copied "+msg.what+" (OSC 52 only: no system clipboard)", msg.warn)
	case loggedOutMsg:
		cmd = m.onLoggedOut(msg)
	case logoutFailedMsg:
		if j, r := m.finish(msg.jobRef); j != nil {
			m.schedule(r)
			m.setStatus(levelError, msg.err.Error())
		}

	case loginBegunMsg:
		cmd = m.onLoginBegun(msg)
	case loginDoneMsg:
		m.onLoginDone(msg)
		cmd = m.poll()
	case loginFailedMsg:
		m.onLoginFailed(msg)
	case browserOpenedMsg:
		if j := m.busy[msg.name]; j != nil && j.id == msg.id {
			j.opened = true
		}
	case browserFailedMsg:
		if j := m.busy[msg.name]; j != nil && j.id == msg.id {
			m.setStatus(levelWarn, fmt.Sprintf("%s: could not open a browser (%s); c copies the URL", msg.name, redact.Sanitize(msg.err.Error())))
		}
	case pasteAcceptedMsg:
		if j := m.busy[msg.name]; j != nil && j.id == msg.id {
			j.pasteErr = ""
			m.setStatus(levelInfo, msg.name+": redirect URL accepted, signing in…")
		}
	case pasteRefusedMsg:
		if j := m.busy[msg.name]; j != nil && j.id == msg.id {
			j.pasteErr = redact.Sanitize(msg.err.Error())
			m.setStatus(levelError, msg.name+": "+j.pasteErr+" — the sign-in goes on; i pastes again")
		}
	case passwordRefusedMsg:
		if j := m.busy[msg.name]; j != nil && j.id == msg.id {
			m.setStatus(levelError, msg.err.Error()+" — press l to try again")
		}
	}
	m.fixScroll()
	m.syncKeys()
	if m.quitting {
		return m, cmd
	}
	return m, tea.Batch(cmd, m.drain())
}

// onTick advances the clock, polls for changes and starts due renewals.
func (m *Model) onTick(msg tickMsg) tea.Cmd {
	m.clock = m.now()
	m.takeDue(m.clock)
	if msg.chain != heartbeat {
		return m.poll()
	}
	return tea.Batch(everySecond(), m.poll())
}

// onChanged applies the states other writes produced.
func (m *Model) onChanged(msg changedMsg) tea.Cmd {
	m.polling = false
	m.pollErr = ""
	// A mark that went back says the state file was replaced (deleted, or
	// moved aside as damaged): msg.states is all it holds now, and a row
	// missing from it has nothing saved any more.
	replaced := msg.next < m.mark
	m.mark = msg.next
	first := !m.loaded
	m.loaded = true
	for name, st := range msg.states {
		if r := m.byName[name]; r != nil {
			m.updateRow(r, func(s *flows.State) { *s = st })
			if !first {
				m.schedule(r)
			}
		}
	}
	if replaced {
		for _, r := range m.rows {
			if _, ok := msg.states[r.conn.Name]; !ok {
				m.updateRow(r, func(s *flows.State) { *s = flows.State{} })
				m.schedule(r)
			}
		}
	}
	if first {
		// Every row is now known, saved or not; plan them all once.
		for _, r := range m.rows {
			m.schedule(r)
		}
		m.takeDue(m.clock)
	}
	if m.pollAgain {
		m.pollAgain = false
		return m.poll()
	}
	return nil
}

// updateRow changes a row's state and keeps the title's counts right.
func (m *Model) updateRow(r *row, fn func(*flows.State)) {
	m.count(r, -1)
	st := r.st
	fn(&st)
	r.setState(st)
	m.count(r, 1)
}

// count adds (d=1) or removes (d=-1) a row from the title's counts.
func (m *Model) count(r *row, d int) {
	if r.alert {
		m.alerts += d
	}
	if r.renewable {
		m.renewables += d
	}
	if r.st.Token != nil && r.conn.CheckURL != "" {
		m.checkables += d
	}
}

// onRenewed records a renewed token.
func (m *Model) onRenewed(msg renewedMsg) tea.Cmd {
	j, r := m.finish(msg.jobRef)
	if j == nil {
		return nil
	}
	now := m.now()
	m.updateRow(r, func(st *flows.State) {
		st.Token = msg.tok
		st.LastRenewal = now
		st.LastError = ""
	})
	r.failures = 0
	m.schedule(r)
	switch {
	case j.bulk && !j.auto:
		m.batchDone(false)
	case !j.auto || msg.warn != nil:
		text := msg.name + ": renewed"
		if msg.tok.HasExpiry() {
			text += ", valid for " + countdown(msg.tok.Expiry.Sub(m.clock))
		}
		m.setStatusWarn(text, warnText(msg.warn))
	}
	return m.poll()
}

// onRenewFailed reports a failed renewal and, for an automatic one, plans
// the retry or gives up until a person signs in.
func (m *Model) onRenewFailed(msg renewFailedMsg) tea.Cmd {
	j, r := m.finish(msg.jobRef)
	if j == nil {
		return nil
	}
	text := signInHint(msg.err)
	switch {
	case errors.Is(msg.err, flows.ErrSignInRequired):
		m.count(r, -1)
		r.signInRequired = true
		r.rebuild()
		m.count(r, 1)
		m.schedule(r)
	case j.auto:
		wait := m.renewFailed(r, m.clock)
		text = renewFailingText(msg.err, wait)
	default:
		m.schedule(r)
	}
	if j.bulk && !j.auto {
		m.batchDone(true)
	} else {
		m.setStatus(levelError, text)
	}
	return m.poll()
}

// onChecked records a health check.
func (m *Model) onChecked(msg checkedMsg) tea.Cmd {
	j, r := m.finish(msg.jobRef)
	if j == nil {
		return nil
	}
	m.updateRow(r, func(st *flows.State) { st.LastCheck = msg.check })
	m.schedule(r)
	if j.bulk {
		m.batchDone(!msg.check.OK())
		return m.poll()
	}
	text := msg.name + ": check " + checkSummary(msg.check)
	if msg.check.Err != "" {
		text += ": " + redact.Sanitize(msg.check.Err)
	}
	if msg.check.OK() {
		m.setStatus(levelOK, text)
	} else {
		m.setStatus(levelError, text)
	}
	return m.poll()
}

// onCheckFailed reports a check that could not run.
func (m *Model) onCheckFailed(msg checkFailedMsg) tea.Cmd {
	j, r := m.finish(msg.jobRef)
	if j == nil {
		return nil
	}
	m.schedule(r)
	if j.bulk {
		m.batchDone(true)
	} else {
		m.setStatus(levelError, signInHint(msg.err))
	}
	return m.poll()
}

// onToken copies a fresh token. The token goes into the copy commands and
// nowhere else: not the model, not the status line.
func (m *Model) onToken(msg tokenMsg) tea.Cmd {
	j, r := m.finish(msg.jobRef)
	if j == nil {
		return nil
	}
	m.schedule(r)
	s, what := msg.tok.AccessToken, msg.name+" token"
	if msg.header {
		s, what = "Authorization: Bearer "+msg.tok.AccessToken, msg.name+" Authorization header"
	}
	return tea.Batch(m.copyCmd(s, what, warnText(msg.warn)), m.poll())
}

// onLoggedOut records a logout.
func (m *Model) onLoggedOut(msg loggedOutMsg) tea.Cmd {
	j, r := m.finish(msg.jobRef)
	if j == nil {
		return nil
	}
	m.updateRow(r, func(st *flows.State) {
		st.Token = nil
		st.NeedsSignIn = false
		st.LastError = ""
	})
	m.schedule(r)
	if m.revealed == msg.name {
		m.revealed = ""
	}
	m.setStatus(levelOK, msg.name+": logged out")
	return m.poll()
}

// batchDone counts one finished job of an R or P batch.
func (m *Model) batchDone(failed bool) {
	b := &m.batch
	if !b.active {
		return
	}
	b.done++
	if failed {
		b.failed++
	}
	verb := "renewed"
	if b.kind == jobCheck {
		verb = "checked"
	}
	text := fmt.Sprintf("%s %d of %d", verb, b.done, b.total)
	lvl := levelInfo
	if b.failed > 0 {
		text += fmt.Sprintf(", %d failed (see the rows marked !)", b.failed)
		lvl = levelWarn
	}
	if b.done >= b.total {
		b.active = false
		if b.failed == 0 {
			lvl = levelOK
		}
	}
	m.setStatus(lvl, text)
}

// setStatus replaces the status line.
func (m *Model) setStatus(l level, text string) {
	m.statusLevel, m.status = l, text
}

// setStatusWarn reports a success, or a success with a warning.
func (m *Model) setStatusWarn(text, warn string) {
	if warn != "" {
		m.setStatus(levelWarn, text+"; "+warn)
		return
	}
	m.setStatus(levelOK, text)
}

// warnText is an optional warning as text.
func warnText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// signInHint adds what to do to an error that only a sign-in can fix.
// renewFailingText reports a failed automatic renewal that will be tried
// again: "aerion: renewal failing: token endpoint: not sent: cannot
// connect: connection refused; retrying in 20s".
func renewFailingText(err error, wait time.Duration) string {
	text := err.Error()
	var ce *flows.ConnError
	if errors.As(err, &ce) {
		text = ce.Conn + ": renewal failing: " + ce.Err.Error()
	}
	return text + "; retrying in " + countdown(wait)
}

func signInHint(err error) string {
	text := err.Error()
	if errors.Is(err, flows.ErrSignInRequired) {
		text += " — press l to sign in"
	}
	// A secret command's own words go to the status line only, never to
	// the state file.
	if said := flows.SecretStderr(err); said != "" {
		text += " (the command said: " + said + ")"
	}
	return text
}

// selected returns the selected row, or nil.
func (m *Model) selected() *row {
	if m.cursor < 0 || m.cursor >= len(m.visible) {
		return nil
	}
	return m.rows[m.visible[m.cursor]]
}

// selectedName returns the selected connection's name, or "".
func (m *Model) selectedName() string {
	if r := m.selected(); r != nil {
		return r.conn.Name
	}
	return ""
}

// refilter recomputes the visible rows, keeping the selection when it
// still passes.
func (m *Model) refilter() {
	keep := m.selectedName()
	q := strings.ToLower(strings.TrimSpace(m.filter.Value()))
	m.visible = m.visible[:0]
	m.cursor = 0
	for i, r := range m.rows {
		if q == "" || strings.Contains(r.search, q) {
			if r.conn.Name == keep {
				m.cursor = len(m.visible)
			}
			m.visible = append(m.visible, i)
		}
	}
}

// quit cancels everything running, closes sign-in listeners, and quits.
func (m *Model) quit() tea.Cmd {
	m.quitting = true
	var cancels []tea.Cmd
	for name, j := range m.busy {
		j.cancel()
		cancels = append(cancels, cancelPendingCmd(j.pending))
		delete(m.busy, name)
	}
	m.queue = nil
	m.stop()
	return tea.Sequence(tea.Batch(cancels...), tea.Quit)
}
