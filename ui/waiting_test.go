package ui

import (
	"strings"
	"testing"
)

// TestWaitingForYou: a sign-in that waits for the person reads "waiting
// for you" without a spinner and is not counted busy; network work is.
func TestWaitingForYou(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.b.logins["aha"] = newPending(kindBrowser)
	h.selectRow("aha")
	h.send(await[loginBegunMsg](t, run(h.press("l"))))
	f := h.frame()
	if row := rowLine(f, "aha"); !strings.Contains(row, "waiting for you") || !strings.Contains(row, "○ aha") {
		t.Errorf("row %q", row)
	}
	if strings.Contains(f, "busy") || h.m.busyCount() != 0 {
		t.Errorf("a sign-in waiting for the person counts as busy:\n%s", f)
	}
	h.selectRow("aikido")
	h.press("r")
	if f := h.frame(); !strings.Contains(f, "· 1 busy") || !strings.Contains(rowLine(f, "aikido"), "renewing…") {
		t.Errorf("a renewal is not counted busy:\n%s", f)
	}
}

// rowLine returns the line of a frame showing connection name's row.
func rowLine(frame, name string) string {
	for _, l := range strings.Split(frame, "\n") {
		if f := strings.Fields(l); len(f) >= 2 && (f[1] == name || (len(f) >= 3 && f[2] == name)) {
			return l
		}
	}
	return ""
}
