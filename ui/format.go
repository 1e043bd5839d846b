package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"tokentop/flows"
)

// duration formats a duration in the dashboard's one style: "2ms" under a
// second, then flows.Countdown's "12s", "1m 05s", "2h 03m", "3d 4h".
func duration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	if d < time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return flows.Countdown(d)
}

// since formats a past duration: "350ms", "12s", "3m 05s", "5h 02m".
func since(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return duration(d)
}

// ago formats a past moment relative to now: "2m 05s ago", or "just now"
// for a moment not yet past (a clock a little ahead).
func ago(now, t time.Time) string {
	if !now.After(t) {
		return "just now"
	}
	return since(now.Sub(t)) + " ago"
}

// latency formats a check's round trip: "84ms", "1s", in the style of
// every other duration.
func latency(d time.Duration) string {
	if d > 0 && d < time.Millisecond {
		return "<1ms"
	}
	return duration(d)
}

// checkSummary is a check's outcome without its age: "200 · 84ms".
func checkSummary(c *flows.Check) string {
	status := "no answer"
	if c.Status != 0 {
		status = fmt.Sprint(c.Status)
	}
	if c.Latency > 0 {
		return status + " · " + latency(c.Latency)
	}
	return status
}

// flowLabel is a flow's short name for the table.
func flowLabel(f flows.Flow) string {
	switch f {
	case flows.ClientCredentials:
		return "client creds"
	case flows.AuthorizationCode:
		return "auth code"
	case flows.DeviceCode:
		return "device code"
	case flows.APIKey:
		return "api key"
	case flows.TokenExchange:
		return "exchange"
	}
	return string(f)
}

// fit truncates s to w cells with an ellipsis and pads it to exactly w.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	n := ansi.StringWidth(s)
	if n > w {
		s = ansi.Truncate(s, w, "…")
		n = ansi.StringWidth(s)
	}
	if n < w {
		s += strings.Repeat(" ", w-n)
	}
	return s
}

// clip truncates s to w cells with an ellipsis, without padding.
func clip(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	return s
}

// localTime formats t in loc, with how far it is from now.
func localTime(t, now time.Time, loc *time.Location) string {
	s := t.In(loc).Format("2006-01-02 15:04:05 MST")
	switch d := t.Sub(now); {
	case d >= time.Second:
		return s + " (in " + duration(d) + ")"
	case d > -time.Second:
		return s + " (now)"
	}
	return s + " (" + ago(now, t) + ")"
}

// plural is a count and its noun: "1 connection", "2 connections".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
