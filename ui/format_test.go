package ui

import (
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

func TestLocalTime(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		at   time.Time
		want string
	}{
		"future":           {now.Add(90 * time.Second), "2026-11-23 12:01:30 UTC (in 1m 30s)"},
		"this very second": {now.Add(300 * time.Millisecond), "2026-11-23 12:00:00 UTC (now)"},
		"just past":        {now.Add(-200 * time.Millisecond), "2026-11-23 11:59:59 UTC (now)"},
		"past":             {now.Add(-2 * time.Minute), "2026-11-23 11:58:00 UTC (2m 00s ago)"},
	}
	for name, tc := range cases {
		if got := localTime(tc.at, now, time.UTC); got != tc.want {
			t.Errorf("%s: localTime = %q, want %q", name, got, tc.want)
		}
	}
}

func TestOneDurationStyle(t *testing.T) {
	cases := map[time.Duration]string{
		0:                                     "0ms",
		2 * time.Millisecond:                  "2ms",
		999 * time.Millisecond:                "999ms",
		time.Second:                           "1s",
		12*time.Second + 400*time.Millisecond: "12s",
		65 * time.Second:                      "1m 05s",
		2*time.Hour + 3*time.Minute:           "2h 03m",
		76 * time.Hour:                        "3d 4h",
	}
	for d, want := range cases {
		if got := since(d); got != want {
			t.Errorf("since(%v) = %q, want %q", d, got, want)
		}
		if got := latency(d); got != want {
			t.Errorf("latency(%v) = %q, want %q", d, got, want)
		}
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	agos := map[time.Duration]string{
		-2 * time.Millisecond: "2ms ago",
		-90 * time.Second:     "1m 30s ago",
		0:                     "just now",
		time.Second:           "just now", // a clock a little ahead
	}
	for d, want := range agos {
		if got := ago(now, now.Add(d)); got != want {
			t.Errorf("ago(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 connections", 1: "1 connection", 2: "2 connections"} {
		if got := plural(n, "connection"); got != want {
			t.Errorf("plural(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestRenewalPlanNeverSaysInZero(t *testing.T) {
	h := newHarness(t, 80, 24)
	r := h.m.byName["aikido"]
	r.failures = 2
	for d, want := range map[time.Duration]string{
		-time.Second:           "automatic; 2 failed, next try now",
		0:                      "automatic; 2 failed, next try now",
		300 * time.Millisecond: "automatic; 2 failed, next try in 300ms",
		90 * time.Second:       "automatic; 2 failed, next try in 1m 30s",
	} {
		r.due = h.m.clock.Add(d)
		if got := ansi.Strip(h.m.renewalPlan(r)); got != want {
			t.Errorf("due in %v: %q, want %q", d, got, want)
		}
	}
}
