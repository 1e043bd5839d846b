package ui

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"tokentop/flows"
)

// benchModel is a dashboard of n connections in every situation, loaded,
// at 120x35; half of them have a full check history to draw.
func benchModel(tb testing.TB, n int) *harness {
	tb.Helper()
	clock := &fakeClock{t: t0}
	provs := []flows.Provider{flows.Aikido, flows.Aha, flows.Aerion, flows.Amino, flows.OAuth2}
	fl := []flows.Flow{flows.ClientCredentials, flows.AuthorizationCode, flows.Password, flows.Password, flows.DeviceCode}
	conns := make([]*flows.Connection, n)
	for i := range conns {
		conns[i] = &flows.Connection{Name: fmt.Sprintf("%s-%04d", provs[i%5], i), Provider: provs[i%5], Flow: fl[i%5],
			CheckURL: "https://example.com/me", RefreshBefore: 2 * time.Minute, CheckEvery: 5 * time.Minute,
			// The rows left without state stay so: an idle dashboard, not
			// one fetching its first tokens.
			Manual: i%4 >= 2}
	}
	b := newFakeBackend(clock, conns...)
	for i, c := range conns {
		switch i % 4 {
		case 0:
			b.put(c.Name, flows.State{Token: &flows.Token{AccessToken: jwt(`{"sub":"x"}`), RefreshToken: "r",
				Expiry: t0.Add(time.Duration(10+i) * time.Minute), ObtainedAt: t0.Add(-time.Hour)},
				LastCheck: &flows.Check{At: t0.Add(-time.Minute), Status: 200, Latency: 80 * time.Millisecond},
				Checks:    checkHistory(t0.Add(-time.Minute), flows.MaxChecks, 80*time.Millisecond, 20)})
		case 1:
			b.put(c.Name, flows.State{Token: &flows.Token{AccessToken: "opaque-token-value-123456", Expiry: t0.Add(3 * time.Minute)},
				LastCheck: &flows.Check{At: t0.Add(-time.Minute), Status: 200, Latency: 80 * time.Millisecond},
				Checks:    checkHistory(t0.Add(-time.Minute), flows.MaxChecks, 80*time.Millisecond, 0)})
		case 2:
			b.put(c.Name, flows.State{NeedsSignIn: true, LastError: c.Name + ": invalid_grant", LastErrorAt: t0.Add(-time.Minute)})
		}
	}
	return newHarnessWith(tb, b, clock, 120, 35)
}

// BenchmarkView1000 renders one frame of 1,000 connections at 120x35
// (budget: 2 ms).
func BenchmarkView1000(b *testing.B) {
	h := benchModel(b, 1000)
	h.selectRow("aerion-0502")
	b.ReportAllocs()
	for b.Loop() {
		_ = h.m.View()
	}
}

// BenchmarkView1000Detail renders the same frame with the detail pane open.
func BenchmarkView1000Detail(b *testing.B) {
	h := benchModel(b, 1000)
	h.selectRow("aikido-0500")
	h.m.detail = true
	b.ReportAllocs()
	for b.Loop() {
		_ = h.m.View()
	}
}

// BenchmarkTick1000 is one heartbeat's Update with 1,000 connections and
// nothing due.
func BenchmarkTick1000(b *testing.B) {
	h := benchModel(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		h.m.polling = false
		h.m.Update(tickMsg{heartbeat})
	}
}

// BenchmarkKey1000 is one key press (move down) with 1,000 connections.
func BenchmarkKey1000(b *testing.B) {
	h := benchModel(b, 1000)
	down, up := keyMsg("j"), keyMsg("k")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			h.m.Update(down)
		} else {
			h.m.Update(up)
		}
	}
}

var _ tea.Model = (*Model)(nil)

// BenchmarkIdle1000 runs the real program (renderer included, output
// discarded) over 1,000 connections with nothing happening, and reports the
// CPU it uses per second of wall time as a percentage of one core (target:
// under 1). Each iteration is three seconds of idling.
func BenchmarkIdle1000(b *testing.B) {
	for b.Loop() {
		h := benchModel(b, 1000)
		ctx, cancel := context.WithCancel(context.Background())
		p := tea.NewProgram(h.m, tea.WithContext(ctx), tea.WithFPS(rendererFPS),
			tea.WithInput(nil), tea.WithOutput(io.Discard), tea.WithWindowSize(120, 35))
		done := make(chan struct{})
		go func() { _, _ = p.Run(); close(done) }()
		// The clock follows real time, so every second draws a changed
		// frame (the countdowns), as in real use.
		stopClock := make(chan struct{})
		go func() {
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stopClock:
					return
				case <-t.C:
					h.clock.Advance(100 * time.Millisecond)
				}
			}
		}()
		// Let it start and draw, then measure a quiet window.
		time.Sleep(500 * time.Millisecond)
		before, start := cpuTime(b), time.Now()
		time.Sleep(3 * time.Second)
		used, wall := cpuTime(b)-before, time.Since(start)
		close(stopClock)
		cancel()
		<-done
		b.ReportMetric(100*used.Seconds()/wall.Seconds(), "%core")
	}
}

// BenchmarkMemory1000 reports the resident memory of a dashboard of 1,000
// connections with full check histories, after one frame (target: under
// 60 MiB for the whole process).
func BenchmarkMemory1000(b *testing.B) {
	for b.Loop() {
		h := benchModel(b, 1000)
		_ = h.m.View()
		runtime.GC()
		b.ReportMetric(float64(residentBytes(b))/(1<<20), "MiB-rss")
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "MiB-heap")
		runtime.KeepAlive(h)
	}
}

// residentBytes is this process's resident set size, from /proc.
func residentBytes(tb testing.TB) int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		tb.Skip("no /proc/self/statm:", err)
	}
	var size, rss int64
	if _, err := fmt.Sscan(string(data), &size, &rss); err != nil {
		tb.Fatal(err)
	}
	return rss * int64(os.Getpagesize())
}

// cpuTime is the CPU time this process has used (user and system).
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTick1000Sorted is one heartbeat with the table sorted by
// condition and filtered: the rows are filtered and sorted again.
func BenchmarkTick1000Sorted(b *testing.B) {
	h := benchModel(b, 1000)
	h.m.sortBy = sortCondition
	h.m.filter.SetValue("a")
	h.m.refilter()
	b.ReportAllocs()
	for b.Loop() {
		h.m.polling = false
		h.m.Update(tickMsg{heartbeat})
	}
}
