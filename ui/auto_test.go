package ui

import (
	"fmt"
	"testing"
	"time"

	"tokentop/flows"
)

// TestAliveFromTheFirstPoll: on open, a connection that can get a token
// without a person (client credentials here) gets one and is then checked,
// with no key pressed; one that needs a person (a device sign-in), or that
// says auto = false, is left alone.
func TestAliveFromTheFirstPoll(t *testing.T) {
	clock := &fakeClock{t: t0}
	b := newFakeBackend(clock,
		&flows.Connection{Name: "svc", Provider: flows.Aikido, Flow: flows.ClientCredentials, CheckURL: "https://example.com/me"},
		&flows.Connection{Name: "quiet", Provider: flows.Aikido, Flow: flows.ClientCredentials, CheckURL: "https://example.com/me", Manual: true},
		&flows.Connection{Name: "person", Provider: flows.OAuth2, Flow: flows.DeviceCode, CheckURL: "https://example.com/me"},
	)
	h := newHarnessWith(t, b, clock, 120, 35)
	j := h.m.busy["svc"]
	if j == nil || j.kind != jobRenew || !j.auto {
		t.Fatalf("svc: job %+v at open, want an automatic renewal", j)
	}
	for _, name := range []string{"quiet", "person"} {
		if h.m.busy[name] != nil || h.m.queued[name] {
			t.Errorf("%s: work started at open", name)
		}
	}
	// The renewal's result plans the first check.
	res := run(renewCmd(h.b, j.ctx, jobRef{"svc", j.id}))
	h.send(await[renewedMsg](t, res))
	if !h.m.queued["svc"] {
		h.send(tickMsg{})
	}
	if j := h.m.busy["svc"]; j == nil || j.kind != jobCheck {
		t.Fatalf("svc: job %+v after its first token, want its check", j)
	}
}

// checkedConn is a connection with a valid token, checked every five
// minutes, last checked at last.
func checkedConn(b *fakeBackend, name string, every time.Duration, last time.Time) *flows.Connection {
	c := &flows.Connection{Name: name, Provider: flows.Aikido, Flow: flows.ClientCredentials, CheckURL: "https://example.com/me", CheckEvery: every}
	b.cfg.Connections = append(b.cfg.Connections, c)
	if c.RefreshBefore == 0 {
		c.RefreshBefore = productionMargin()
	}
	b.put(name, flows.State{
		Token:     &flows.Token{AccessToken: "tok-" + name + "-value", Expiry: t0.Add(24 * time.Hour), ObtainedAt: t0},
		LastCheck: &flows.Check{At: last, Status: 200, Latency: time.Millisecond},
	})
	return c
}

// TestPeriodicChecks: check_every runs the health check by itself, on the
// injected clock, once a period; "0" and auto = false never do; and the
// result plans the next one.
func TestPeriodicChecks(t *testing.T) {
	clock := &fakeClock{t: t0}
	b := newFakeBackend(clock)
	checkedConn(b, "every5m", 5*time.Minute, t0)
	checkedConn(b, "off", 0, t0)
	checkedConn(b, "manual", 5*time.Minute, t0).Manual = true
	h := newHarnessWith(t, b, clock, 120, 35)
	r := h.m.byName["every5m"]
	if r.checkDue.IsZero() {
		t.Fatal("every5m: no check planned")
	}
	if d := r.checkDue.Sub(t0); d < 5*time.Minute/2 || d > 3*5*time.Minute/2 {
		t.Errorf("every5m: next check %s after the last, want within half a period of 5m", d)
	}
	for _, name := range []string{"off", "manual"} {
		if !h.m.byName[name].checkDue.IsZero() {
			t.Errorf("%s: a check is planned", name)
		}
	}
	// Just before it is due nothing runs; at its time the check starts.
	clock.t = r.checkDue.Add(-time.Second)
	h.send(tickMsg{})
	if h.m.busy["every5m"] != nil {
		t.Fatal("every5m: checked before its time")
	}
	clock.t = r.checkDue
	h.send(tickMsg{})
	j := h.m.busy["every5m"]
	if j == nil || j.kind != jobCheck || !j.auto {
		t.Fatalf("every5m: job %+v at its time, want an automatic check", j)
	}
	// Its answer plans the next one a period later.
	h.b.checks["every5m"] = &flows.Check{At: clock.t, Status: 503, Err: "HTTP 503"}
	h.send(await[checkedMsg](t, run(checkCmd(h.b, j.ctx, jobRef{"every5m", j.id}))))
	if d := r.checkDue.Sub(clock.t); d < 5*time.Minute/2 || d > 3*5*time.Minute/2 {
		t.Errorf("every5m: the next check is %s away, want about 5m", d)
	}
	// A failing check needs attention, as status says.
	if !r.cond.Condition.NeedsAttention() {
		t.Errorf("every5m: %v after a failed check, want it to need attention", r.cond.Condition)
	}
	for _, name := range []string{"off", "manual"} {
		if h.m.busy[name] != nil || h.m.queued[name] {
			t.Errorf("%s: checked by itself", name)
		}
	}
}

// TestPeriodicChecksSpread: a thousand connections last checked at the
// same moment are not all due again at once: no minute of the period
// after holds much more than its share.
func TestPeriodicChecksSpread(t *testing.T) {
	clock := &fakeClock{t: t0}
	b := newFakeBackend(clock)
	const n = 1000
	for i := range n {
		checkedConn(b, fmt.Sprintf("conn-%04d", i), 5*time.Minute, t0)
	}
	h := newHarnessWith(t, b, clock, 120, 35)
	perMinute := map[int64]int{}
	for _, r := range h.m.rows {
		if r.checkDue.IsZero() {
			t.Fatalf("%s: no check planned", r.name)
		}
		perMinute[r.checkDue.Unix()/60]++
	}
	// Five minutes: 200 each on average.
	for minute, c := range perMinute {
		if c > 2*n/5 {
			t.Errorf("%d checks due in the minute at %s, want them spread", c, time.Unix(minute*60, 0).UTC())
		}
	}
	if len(perMinute) < 5 {
		t.Errorf("checks fall in %d minutes, want at least 5", len(perMinute))
	}
}

// TestRenewalGoesBeforePeriodicChecks: a renewal due while periodic checks
// wait for a free slot runs first.
func TestRenewalGoesBeforePeriodicChecks(t *testing.T) {
	clock := &fakeClock{t: t0}
	b := newFakeBackend(clock)
	for i := range 3 * maxBulk {
		checkedConn(b, fmt.Sprintf("conn-%02d", i), 5*time.Minute, t0.Add(-time.Hour))
	}
	h := newHarnessWith(t, b, clock, 120, 35)
	clock.Advance(2 * time.Minute) // every overdue check's phase has come
	h.send(tickMsg{})
	if len(h.m.checkQueue) == 0 {
		t.Fatalf("no periodic check waits (%d busy)", len(h.m.busy))
	}
	waiting := h.m.checkQueue[len(h.m.checkQueue)-1].name
	h.m.enqueue(waiting, jobRenew, true)
	for name, j := range h.m.busy {
		h.m.end(name, j)
	}
	h.send(tickMsg{})
	if j := h.m.busy[waiting]; j == nil || j.kind != jobRenew {
		t.Fatalf("%s: job %+v, want its renewal ahead of the checks", waiting, j)
	}
}

// TestOverdueCheckStaysDue: a check overdue at open is planned within the
// first minute, and planning the row again (every poll does) never pushes
// it later: it comes due.
func TestOverdueCheckStaysDue(t *testing.T) {
	clock := &fakeClock{t: t0}
	b := newFakeBackend(clock)
	checkedConn(b, "stale", 5*time.Minute, t0.Add(-time.Hour))
	h := newHarnessWith(t, b, clock, 120, 35)
	r := h.m.byName["stale"]
	due := r.checkDue
	if due.Before(t0) || due.After(t0.Add(time.Minute)) {
		t.Fatalf("overdue check planned at %s, want within the first minute", due.Sub(t0))
	}
	for clock.t.Add(10 * time.Second).Before(due) {
		clock.Advance(10 * time.Second)
		h.m.clock = clock.t
		h.m.schedule(r)
		if r.checkDue.After(due) {
			t.Fatalf("planned again at +%s, the check moved from +%s to +%s", clock.t.Sub(t0), due.Sub(t0), r.checkDue.Sub(t0))
		}
	}
	clock.t = due
	h.send(tickMsg{})
	if j := h.m.busy["stale"]; j == nil || j.kind != jobCheck {
		t.Fatalf("stale: job %+v, want its check", j)
	}
}
