package ui

import (
	"container/heap"
	"hash/fnv"
	"time"

	"tokentop/flows"
)

// backoff is the wait after n consecutive failures of automatic renewal
// (n ≥ 1): the service's schedule, so the dashboard and status agree on when
// the next try is.
func backoff(n int) time.Duration { return flows.RetryBackoff(n) }

// dueEntry is a planned automatic renewal or health check. An entry whose
// gen no longer matches its row's for that kind is stale and skipped:
// rescheduling pushes a new entry instead of searching the heap for the
// old one.
type dueEntry struct {
	at   time.Time
	r    *row
	gen  uint64
	kind jobKind // jobRenew or jobCheck
}

// live reports whether the entry is still its row's plan.
func (e dueEntry) live() bool {
	if e.kind == jobCheck {
		return e.gen == e.r.checkGen
	}
	return e.gen == e.r.gen
}

// dueHeap orders planned renewals by time, earliest first, so a tick looks
// only at the entries that are due: nothing when nothing is.
type dueHeap []dueEntry

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueEntry)) }
func (h *dueHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = dueEntry{}
	*h = old[:len(old)-1]
	return e
}

// schedule plans the row's next automatic renewal from its state: at
// expiry minus refresh_before, at once when nothing is stored but a token
// can be had without a person, or after the backoff when the last attempts
// failed. Rows that need a person, have a token without expiry or say
// auto = false are not planned at all, so nothing ever loops on them.
func (m *Model) schedule(r *row) {
	m.scheduleCheck(r)
	r.gen++
	r.due = time.Time{}
	t := r.st.Token
	if !m.loaded || r.conn.Manual || !r.renewable || r.needsPerson() {
		return
	}
	switch {
	case r.failures > 0:
		// due was set by the failure handler; keep it.
		r.due = r.retryAt
	case t == nil || t.AccessToken == "":
		// Nothing stored, and no person needed to get it (client
		// credentials, an API key, a configured password): now.
		r.due = m.clock
	case !t.HasExpiry():
		return
	default:
		r.due = t.Expiry.Add(-r.conn.RefreshBefore)
	}
	m.plan(dueEntry{at: r.due, r: r, gen: r.gen, kind: jobRenew})
}

// plan pushes an entry on the heap. Stale entries accumulate as rows are
// rescheduled; the heap is rebuilt from the live ones when they outnumber
// the rows four to one.
func (m *Model) plan(e dueEntry) {
	heap.Push(&m.due, e)
	if len(m.due) > 8*len(m.rows)+64 {
		m.compactDue()
	}
}

// scheduleCheck plans the row's next periodic health check, check_every
// after the last one, on the connection's own phase of that period: a
// thousand connections checked together at open spread over the period
// after it instead of all coming due again at once. A check overdue at
// open (tokentop was not running) waits its phase within the first
// minute after the first load. Rows without a token, that need a person, or that say
// check_every = "0" or auto = false are not checked by themselves.
func (m *Model) scheduleCheck(r *row) {
	r.checkGen++
	r.checkDue = time.Time{}
	every := r.conn.CheckEvery
	t := r.st.Token
	if !m.loaded || r.conn.Manual || every <= 0 || !checkable(r.conn) || t == nil || t.AccessToken == "" || r.needsPerson() {
		return
	}
	last := r.st.LastCheck
	if last == nil {
		// Never checked: the first load and the first automatic token
		// check it at once; otherwise on its phase.
		r.checkDue = phaseAfter(m.clock, every, r.phase)
	} else {
		r.checkDue = phaseAfter(last.At.Add(every/2), every, r.phase)
	}
	if r.checkDue.Before(m.clock) {
		// Overdue: tokentop was not running. The row's phase within the
		// first minute after the first load: the same moment however
		// often the row is planned again, and now once that has passed.
		spread := min(every, time.Minute)
		r.checkDue = phaseAfter(m.loadedAt, spread, r.phase)
		if r.checkDue.Before(m.clock) {
			r.checkDue = m.clock
		}
	}
	m.plan(dueEntry{at: r.checkDue, r: r, gen: r.checkGen, kind: jobCheck})
}

// phaseAfter is the first moment after t at phase p of a period every, as
// counted from the Unix epoch.
func phaseAfter(t time.Time, every time.Duration, p uint64) time.Time {
	off := time.Duration(p % uint64(every))
	base := t.Truncate(every).Add(off)
	if !base.After(t) {
		base = base.Add(every)
	}
	return base
}

// phaseOf is a connection's phase: a hash of its name, the same in every
// tokentop process so that they agree.
func phaseOf(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// compactDue drops stale heap entries.
func (m *Model) compactDue() {
	live := m.due[:0]
	for _, e := range m.due {
		if e.live() {
			live = append(live, e)
		}
	}
	for i := len(live); i < len(m.due); i++ {
		m.due[i] = dueEntry{}
	}
	m.due = live
	heap.Init(&m.due)
}

// takeDue pops every row whose renewal or check is due at now and queues
// it. It touches only due entries.
func (m *Model) takeDue(now time.Time) {
	for len(m.due) > 0 && !m.due[0].at.After(now) {
		e := heap.Pop(&m.due).(dueEntry)
		if !e.live() {
			continue
		}
		// Consumed: a result or a new state plans the next one.
		if e.kind == jobCheck {
			e.r.checkGen++
			e.r.checkDue = time.Time{}
		} else {
			e.r.gen++
			e.r.due = time.Time{}
		}
		m.enqueue(e.r.conn.Name, e.kind, true)
	}
}

// renewFailed records a failed automatic renewal and plans the retry.
func (m *Model) renewFailed(r *row, now time.Time) time.Duration {
	r.failures++
	wait := backoff(r.failures)
	r.retryAt = now.Add(wait)
	m.schedule(r)
	return wait
}
