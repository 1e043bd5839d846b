package ui

import (
	"strings"
	"testing"
	"time"

	"tokentop/flows"
)

// plainRuns is runs without colour.
func plainRuns(rs []glyphRun, w int) string {
	id := func(s string) string { return s }
	return paintRuns(rs, w, id, id)
}

func TestBuildTrend(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 11, 23, 9, 12+m, 0, 0, time.UTC) }
	up := func(m int, lat time.Duration) flows.Check {
		return flows.Check{At: at(m), Status: 200, Latency: lat * time.Millisecond}
	}
	down := func(m int, lat time.Duration) flows.Check {
		return flows.Check{At: at(m), Status: 503, Latency: lat * time.Millisecond, Err: "503 Service Unavailable"}
	}
	cases := map[string]struct {
		checks             []flows.Check
		spark, strip, cell string
		caption            string
	}{
		"none": {nil, "", "", "", "no health checks yet"},
		"one up": {[]flows.Check{up(0, 84)}, "▄", "▪", "▄",
			"1 check, up · latency 84ms · at 09:12"},
		"one without an answer": {[]flows.Check{{At: at(0), Err: "connection refused"}}, "·", "✕", "✕",
			"1 check, down · at 09:12"},
		"several": {[]flows.Check{up(0, 80), up(5, 140), down(10, 110), up(15, 80)}, "▁█▄▁", "▪▪✕▪", "▁█✕▁",
			"latency 80–140ms · 3 of 4 up · since 09:12"},
		"same latency": {[]flows.Check{up(0, 90), up(5, 90)}, "▄▄", "▪▪", "▄▄",
			"latency 90ms · 2 of 2 up · since 09:12"},
		"slow": {[]flows.Check{up(0, 800), up(5, 2500)}, "▁█", "▪▪", "▁█",
			"latency 800ms–2s · 2 of 2 up · since 09:12"},
		"none measured": {[]flows.Check{{At: at(0), Err: "refused"}, {At: at(5), Err: "refused"}}, "··", "✕✕", "✕✕",
			"no latency measured · 0 of 2 up · since 09:12"},
	}
	for name, tc := range cases {
		tr := buildTrend(tc.checks)
		if got := plainRuns(tr.spark, 99); got != tc.spark {
			t.Errorf("%s: sparkline %q, want %q", name, got, tc.spark)
		}
		if got := plainRuns(tr.strip, 99); got != tc.strip {
			t.Errorf("%s: strip %q, want %q", name, got, tc.strip)
		}
		if got := plainRuns(tr.cell, 99); got != tc.cell {
			t.Errorf("%s: cell %q, want %q", name, got, tc.cell)
		}
		if got := tr.caption(time.UTC); got != tc.caption {
			t.Errorf("%s: caption %q, want %q", name, got, tc.caption)
		}
	}
}

func TestPaintRunsKeepsTheLatest(t *testing.T) {
	tr := buildTrend([]flows.Check{
		{Status: 200, Latency: time.Millisecond}, {Status: 500, Latency: time.Millisecond},
		{Status: 200, Latency: 2 * time.Millisecond}, {Status: 200, Latency: 3 * time.Millisecond},
	})
	if got := plainRuns(tr.strip, 3); got != "✕▪▪" {
		t.Errorf("the last 3 of ▪✕▪▪ read %q", got)
	}
	bad := func(s string) string { return "<" + s + ">" }
	good := func(s string) string { return "[" + s + "]" }
	if got := paintRuns(tr.strip, 4, good, bad); got != "[▪]<✕>[▪▪]" {
		t.Errorf("painted %q", got)
	}
}

func TestTrendIsDrawnWhenTheStateChanges(t *testing.T) {
	h := newHarness(t, 120, 35)
	r := h.m.byName["okta"]
	if r.trend.n != 6 || r.trend.up != 4 {
		t.Fatalf("okta's trend: %d checks, %d up", r.trend.n, r.trend.up)
	}
	st := h.b.state("okta")
	st.Checks = append(st.Checks, flows.Check{At: t0, Status: 200, Latency: 90 * time.Millisecond})
	h.b.put("okta", st)
	h.poll()
	r = h.m.byName["okta"]
	if r.trend.n != 7 || r.trend.up != 5 {
		t.Errorf("after a new check: %d checks, %d up", r.trend.n, r.trend.up)
	}
	cell := plainRuns(r.trend.cell, trendCells)
	if n := len([]rune(cell)); n != 7 || !strings.HasSuffix(cell, "✕▁") {
		t.Errorf("the TREND cell is %q, want 7 glyphs ending in the 401 and the new check", cell)
	}
	if l := frameLine(h.frame(), "okta"); !strings.Contains(l, cell) {
		t.Errorf("the table does not show the trend %q: %q", cell, l)
	}
}

func TestDetailDrawsTheHealth(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.press("enter")
	f := h.frame()
	for _, want := range []string{"health", " latency", " up/down", "latency 84–143ms · 47 of 48 up · since 11:03",
		strings.Repeat("▪", 26) + "✕"} {
		if !strings.Contains(f, want) {
			t.Errorf("the detail pane lacks %q:\n%s", want, f)
		}
	}
	h.selectRow("aerion")
	if f := h.frame(); !strings.Contains(f, "health      no health checks yet") {
		t.Errorf("a connection never checked:\n%s", f)
	}
	h.selectRow("amino")
	if f := h.frame(); !strings.Contains(f, "no health checks: no check_url") {
		t.Errorf("a connection without check_url:\n%s", f)
	}
}
