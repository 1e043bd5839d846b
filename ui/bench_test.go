package ui

import (
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"tokentop/flows"
)

// benchModel is a dashboard of n connections in every situation, loaded,
// at 120x35.
func benchModel(tb testing.TB, n int) *harness {
	tb.Helper()
	clock := &fakeClock{t: t0}
	provs := []flows.Provider{flows.Aikido, flows.Aha, flows.Aerion, flows.Amino, flows.OAuth2}
	fl := []flows.Flow{flows.ClientCredentials, flows.AuthorizationCode, flows.Password, flows.Password, flows.DeviceCode}
	conns := make([]*flows.Connection, n)
	for i := range conns {
		conns[i] = &flows.Connection{Name: fmt.Sprintf("%s-%04d", provs[i%5], i), Provider: provs[i%5], Flow: fl[i%5],
			CheckURL: "https://example.com/me", RefreshBefore: 2 * time.Minute}
	}
	b := newFakeBackend(clock, conns...)
	for i, c := range conns {
		switch i % 4 {
		case 0:
			b.put(c.Name, flows.State{Token: &flows.Token{AccessToken: jwt(`{"sub":"x"}`), RefreshToken: "r",
				Expiry: t0.Add(time.Duration(10+i) * time.Minute)},
				LastCheck: &flows.Check{At: t0.Add(-time.Minute), Status: 200, Latency: 80 * time.Millisecond}})
		case 1:
			b.put(c.Name, flows.State{Token: &flows.Token{AccessToken: "opaque-token-value-123456", Expiry: t0.Add(3 * time.Minute)}})
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
