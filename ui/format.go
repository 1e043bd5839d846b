package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"tokentop/flows"
)

// since formats a past duration coarsely: "12s", "3m", "5h", "2d".
func since(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", d/time.Second)
	case d < time.Hour:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh", d/time.Hour)
	default:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
}

// ago formats a past moment relative to now: "2m ago".
func ago(now, t time.Time) string { return since(now.Sub(t)) + " ago" }

// latency formats a check's round trip: "84 ms", "1.2 s".
func latency(d time.Duration) string {
	if d >= time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

// checkSummary is a check's outcome without its age: "200 · 84 ms".
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
		return s + " (in " + flows.Countdown(d) + ")"
	case d > -time.Second:
		return s + " (now)"
	}
	return s + " (" + ago(now, t) + ")"
}
