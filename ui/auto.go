package ui

import (
	"container/heap"
	"time"

	"tokentop/flows"
)

// backoff is the wait after n consecutive failures of automatic renewal
// (n ≥ 1): the service's schedule, so the dashboard and status agree on when
// the next try is.
func backoff(n int) time.Duration { return flows.RetryBackoff(n) }

// dueEntry is a planned automatic renewal. An entry whose gen no longer
// matches its row's is stale and skipped: rescheduling pushes a new entry
// instead of searching the heap for the old one.
type dueEntry struct {
	at  time.Time
	r   *row
	gen uint64
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
	heap.Push(&m.due, dueEntry{at: r.due, r: r, gen: r.gen})
	// Stale entries accumulate as rows are rescheduled; rebuild the heap
	// from the live ones when they outnumber the rows four to one.
	if len(m.due) > 4*len(m.rows)+64 {
		m.compactDue()
	}
}

// compactDue drops stale heap entries.
func (m *Model) compactDue() {
	live := m.due[:0]
	for _, e := range m.due {
		if e.gen == e.r.gen {
			live = append(live, e)
		}
	}
	for i := len(live); i < len(m.due); i++ {
		m.due[i] = dueEntry{}
	}
	m.due = live
	heap.Init(&m.due)
}

// takeDue pops every row whose renewal is due at now and queues its
// renewal. It touches only due entries.
func (m *Model) takeDue(now time.Time) {
	for len(m.due) > 0 && !m.due[0].at.After(now) {
		e := heap.Pop(&m.due).(dueEntry)
		if e.gen != e.r.gen {
			continue
		}
		e.r.gen++ // consumed: a result or a new state plans the next one
		e.r.due = time.Time{}
		m.enqueue(e.r.name, jobRenew, true)
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
