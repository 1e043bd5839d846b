package ui

import (
	"testing"
	"time"
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
