package ui

import (
	"strings"
	"testing"
)

// A team connection carries a tag after its name in the table and "team"
// in its detail pane's title; the others do not.
func TestTeamRowsAreMarked(t *testing.T) {
	h := newHarness(t, 140, 40)
	h.m.opts.IsTeam = func(name string) bool { return name == "aikido" }
	frame := h.frame()
	var aikido, aerion string
	for _, l := range strings.Split(frame, "\n") {
		switch {
		case strings.Contains(l, "aikido"+teamTag):
			aikido = l
		case strings.Contains(l, "aerion") && !strings.HasPrefix(l, "│ aerion · "):
			aerion = l
		}
	}
	if aikido == "" {
		t.Errorf("no table row reads %q:\n%s", "aikido"+teamTag, frame)
	}
	if strings.Contains(aerion, teamTag) {
		t.Errorf("a local row carries the team tag: %q", aerion)
	}
	h.selectRow("aikido")
	h.m.detail = true
	if title := paneTitle(h.frame(), "aikido"); !strings.HasPrefix(title, "│ aikido · team · aikido") {
		t.Errorf("aikido's pane title = %q, want it to say team", title)
	}
	h.selectRow("aerion")
	if title := paneTitle(h.frame(), "aerion"); title == "" || strings.Contains(title, "team") {
		t.Errorf("aerion's pane title = %q", title)
	}
}
