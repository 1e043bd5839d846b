package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"

	"tokentop/flows"
	"tokentop/store"
)

// maxBulk bounds how many queued renewals and checks (R, P and automatic
// renewals) run at once, so a thousand connections due together do not
// start a thousand requests.
const maxBulk = 4

// jobKind is what a connection is busy with.
type jobKind int

const (
	jobRenew jobKind = iota
	jobCheck
	jobCopy
	jobLogin
	jobLogout
)

// doing describes the work in progress, for the table.
func (k jobKind) doing() string {
	switch k {
	case jobRenew:
		return "renewing…"
	case jobCheck:
		return "checking…"
	case jobCopy:
		return "fetching token…"
	case jobLogin:
		return "signing in…"
	}
	return "logging out…"
}

// noun names the work, for "renewal cancelled".
func (k jobKind) noun() string {
	switch k {
	case jobRenew:
		return "renewal"
	case jobCheck:
		return "check"
	case jobCopy:
		return "copy"
	case jobLogin:
		return "sign-in"
	}
	return "logout"
}

// waiting reports whether the job is a sign-in waiting for the person (a
// browser, a password, a device code) rather than work on the wire.
func (j *job) waiting() bool {
	return j.kind == jobLogin && needsPerson(j.pending) && !j.sent
}

// doing describes the job for the table: "waiting for you" while a
// sign-in waits for the person.
func (j *job) doing() string {
	if j.waiting() {
		return "waiting for you"
	}
	return j.kind.doing()
}

// working counts the jobs on the wire, for the top bar's "N busy" and the
// spinner: sign-ins that wait for the person are not counted.
func (m *Model) working() int {
	n := 0
	for _, j := range m.busy {
		if !j.waiting() {
			n++
		}
	}
	return n
}

// job is the one piece of work running for a connection. Its results carry
// its id: a result whose job is no longer the connection's current one was
// cancelled, and is dropped.
type job struct {
	id     uint64
	kind   jobKind
	ctx    context.Context
	cancel context.CancelFunc
	auto   bool     // started by the scheduler
	bulk   bool     // counted against maxBulk
	what   copyWhat // jobCopy: what to make of the token

	// sent says a sign-in's answer (a password, a redirect URL) went out:
	// the sign-in is on the wire again, no longer waiting for the person.
	sent bool
	// pwdErr is why the provider refused the last password; the form
	// shows it.
	pwdErr string

	// pending is the sign-in in progress (jobLogin), once BeginLogin returned.
	pending flows.Pending
	// pasteErr is why the last pasted redirect URL was refused.
	pasteErr string
	// opened says the browser was opened on the sign-in URL.
	opened bool
}

// jobRef names a job in the messages its commands return.
type jobRef struct {
	name string
	id   uint64
}

// queued is a renewal or check waiting for a free bulk slot.
type queued struct {
	name string
	kind jobKind
	auto bool
}

// start begins a job on a connection that is not busy, and returns its
// command. header applies to jobCopy.
func (m *Model) start(name string, kind jobKind, auto, bulk, header bool) tea.Cmd {
	r := m.byName[name]
	if r == nil || m.busy[name] != nil {
		return nil
	}
	if r.broken != nil {
		m.setStatus(name, levelError, r.broken[0]+" — fix the config file (e edits it)")
		return nil
	}
	ctx, cancel := context.WithCancel(m.ctx)
	m.lastID++
	j := &job{id: m.lastID, kind: kind, ctx: ctx, cancel: cancel, auto: auto, bulk: bulk}
	if header {
		j.what = copyHeader
	}
	m.busy[name] = j
	if bulk {
		m.bulkRunning++
	}
	ref := jobRef{name, j.id}
	var cmd tea.Cmd
	switch kind {
	case jobRenew:
		cmd = renewCmd(m.b, ctx, ref)
	case jobCheck:
		cmd = checkCmd(m.b, ctx, ref)
	case jobCopy:
		cmd = tokenCmd(m.b, ctx, ref, m.byName[name].conn.RefreshBefore)
	case jobLogin:
		cmd = beginLoginCmd(m.b, ctx, ref)
	case jobLogout:
		cmd = logoutCmd(m.b, ctx, ref)
	}
	return tea.Batch(cmd, m.spin())
}

// finish ends the job a result belongs to. It returns nil when the job is
// no longer current (it was cancelled): the caller drops the result.
func (m *Model) finish(ref jobRef) (*job, *row) {
	j := m.busy[ref.name]
	if j == nil || j.id != ref.id {
		return nil, nil
	}
	m.end(ref.name, j)
	return j, m.byName[ref.name]
}

// end forgets a connection's job and releases its context.
func (m *Model) end(name string, j *job) {
	delete(m.busy, name)
	j.cancel()
	if j.bulk {
		m.bulkRunning--
	}
	if m.pwdFor == name {
		m.closeInput()
	}
	if m.pasteFor == name {
		m.closeInput()
	}
}

// cancel stops the selected connection's job, if any. Its result, when it
// comes, is dropped.
func (m *Model) cancel(name string) tea.Cmd {
	j := m.busy[name]
	if j == nil {
		return nil
	}
	m.end(name, j)
	m.setStatus(name, levelInfo, fmt.Sprintf("%s: %s cancelled", name, j.kind.noun()))
	if r := m.byName[name]; r != nil {
		if j.kind == jobRenew && j.auto {
			// A cancelled automatic renewal counts as a failure, or it
			// would start again at the next tick.
			m.renewFailed(r, m.clock)
		} else {
			m.schedule(r)
		}
	}
	return cancelPendingCmd(j.pending)
}

// enqueue queues a renewal or a check behind maxBulk. Periodic checks wait
// in a queue of their own, behind every renewal and every person's
// request: a renewal due while a thousand checks wait goes first, and
// takes the place of its own connection's check.
func (m *Model) enqueue(name string, kind jobKind, auto bool) {
	q := queued{name, kind, auto}
	if m.queued[name] {
		if kind != jobRenew {
			return
		}
		i := slices.IndexFunc(m.checkQueue, func(c queued) bool { return c.name == name })
		if i < 0 {
			return
		}
		m.checkQueue = slices.Delete(m.checkQueue, i, i+1)
	}
	m.queued[name] = true
	if kind == jobCheck && auto {
		m.checkQueue = append(m.checkQueue, q)
		return
	}
	m.queue = append(m.queue, q)
}

// drain starts queued work while bulk slots are free: renewals and what a
// person asked for first, then periodic checks.
func (m *Model) drain() tea.Cmd {
	var cmds []tea.Cmd
	for m.bulkRunning < maxBulk && len(m.queue)+len(m.checkQueue) > 0 {
		var q queued
		if len(m.queue) > 0 {
			q, m.queue = m.queue[0], m.queue[1:]
		} else {
			q, m.checkQueue = m.checkQueue[0], m.checkQueue[1:]
		}
		delete(m.queued, q.name)
		if m.busy[q.name] != nil {
			continue // its job's end reschedules it
		}
		cmds = append(cmds, m.start(q.name, q.kind, q.auto, true, false))
	}
	if len(m.queue) == 0 {
		m.queue = nil
	}
	if len(m.checkQueue) == 0 {
		m.checkQueue = nil
	}
	return tea.Batch(cmds...)
}

// withToken separates a usable token (one that could not be saved, or the
// current one kept because renewing was not safe: a warning) from a failure
// of the named connection.
func withToken(name string, tok *flows.Token, err error) (*flows.Token, error, error) {
	if err != nil && tok != nil && flows.Usable(err) {
		return tok, err, nil
	}
	if err == nil && tok == nil {
		return nil, nil, errors.New(name + ": no token returned")
	}
	return tok, nil, err
}

// changedMsg carries the states written since the last poll.
type changedMsg struct {
	states map[string]flows.State
	next   uint64
	warn   error // a *store.TeamError: states are the local ones alone
}

// changeFailedMsg reports a failed poll.
type changeFailedMsg struct{ err error }

// pollCmd asks the backend what changed since mark.
func pollCmd(b Backend, mark uint64) tea.Cmd {
	return func() tea.Msg {
		states, next, err := b.Changed(mark)
		var te *store.TeamError
		if err != nil && !errors.As(err, &te) {
			return changeFailedMsg{err}
		}
		return changedMsg{states, next, err}
	}
}

// renewedMsg carries a renewed token; warn is set when it was not saved.
type renewedMsg struct {
	jobRef
	tok  *flows.Token
	warn error
}

// renewFailedMsg reports a failed renewal.
type renewFailedMsg struct {
	jobRef
	err error
}

// renewCmd renews one connection now.
func renewCmd(b Backend, ctx context.Context, ref jobRef) tea.Cmd {
	return func() tea.Msg {
		tok, err := b.Renew(ctx, ref.name)
		tok, warn, err := withToken(ref.name, tok, err)
		if err != nil {
			return renewFailedMsg{ref, err}
		}
		return renewedMsg{ref, tok, warn}
	}
}

// checkedMsg carries a health check's outcome. A check that reached the
// server but failed (a 401, a timeout) is a checkedMsg with Err set.
type checkedMsg struct {
	jobRef
	check *flows.Check
}

// checkFailedMsg reports a check that could not be run.
type checkFailedMsg struct {
	jobRef
	err error
}

// checkCmd runs one connection's health check.
func checkCmd(b Backend, ctx context.Context, ref jobRef) tea.Cmd {
	return func() tea.Msg {
		c, err := b.Check(ctx, ref.name)
		if err != nil {
			return checkFailedMsg{ref, err}
		}
		if c == nil {
			return checkFailedMsg{ref, errors.New(ref.name + ": no check result")}
		}
		return checkedMsg{ref, c}
	}
}

// tokenMsg carries a fresh token to copy.
type tokenMsg struct {
	jobRef
	tok  *flows.Token
	warn error
}

// tokenFailedMsg reports that no token could be had.
type tokenFailedMsg struct {
	jobRef
	err error
}

// tokenCmd asks for a token valid for at least minValid, renewing first
// when less is left.
func tokenCmd(b Backend, ctx context.Context, ref jobRef, minValid time.Duration) tea.Cmd {
	return func() tea.Msg {
		tok, err := b.Token(ctx, ref.name, minValid)
		tok, warn, err := withToken(ref.name, tok, err)
		if err != nil {
			return tokenFailedMsg{ref, err}
		}
		return tokenMsg{ref, tok, warn}
	}
}

// copiedMsg reports a copy that reached the system clipboard as well as
// OSC 52.
type copiedMsg struct{ what, warn string }

// copiedOSC52OnlyMsg reports a copy that only went out as OSC 52: the
// system clipboard could not be written.
type copiedOSC52OnlyMsg struct {
	what, warn string
	err        error
}

// loggedOutMsg reports a finished logout.
type loggedOutMsg struct{ jobRef }

// logoutFailedMsg reports a failed logout.
type logoutFailedMsg struct {
	jobRef
	err error
}

// logoutCmd signs one connection out.
func logoutCmd(b Backend, ctx context.Context, ref jobRef) tea.Cmd {
	return func() tea.Msg {
		if err := b.Logout(ctx, ref.name); err != nil {
			return logoutFailedMsg{ref, err}
		}
		return loggedOutMsg{ref}
	}
}
