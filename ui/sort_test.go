package ui

import (
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// visibleNames is the table's rows, top to bottom.
func visibleNames(m *Model) []string {
	var names []string
	for _, i := range m.visible {
		names = append(names, m.rows[i].conn.Name)
	}
	return names
}

func TestSortCycles(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.selectRow("amino")
	steps := []struct {
		order  []string
		header string // what the header marks
		status string
	}{
		{[]string{"aerion", "aha", "aikido", "amino", "okta"}, "NAME ↑", "connections sorted by name"},
		// Soonest expiry first; the signed-out row last.
		{[]string{"aerion", "okta", "amino", "aikido", "aha"}, "EXPIRES ↑", "connections sorted by expiry, soonest first"},
		// Needing attention first, then the rest, each by name.
		{[]string{"aerion", "aha", "okta", "aikido", "amino"}, "  ↑ NAME", "connections sorted by condition, needing attention first"},
		{[]string{"aikido", "aha", "aerion", "amino", "okta"}, "    NAME  ", "connections in the configuration's order"},
	}
	for i, st := range steps {
		h.press("s")
		if got := visibleNames(h.m); !slices.Equal(got, st.order) {
			t.Errorf("step %d: order %v, want %v", i, got, st.order)
		}
		if hdr := headerLine(h.frame()); !strings.Contains(hdr, st.header) || strings.Count(hdr, "↑") > 1 {
			t.Errorf("step %d: header %q does not mark %q", i, hdr, st.header)
		}
		if h.m.selectedName() != "amino" {
			t.Errorf("step %d: the selection moved to %q", i, h.m.selectedName())
		}
		if h.m.status != st.status {
			t.Errorf("step %d: status %q, want %q", i, h.m.status, st.status)
		}
	}
}

func TestSortFollowsTheConditions(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.press("s", "s", "s") // by condition
	if got := visibleNames(h.m); !slices.Equal(got, []string{"aerion", "aha", "okta", "aikido", "amino"}) {
		t.Fatalf("order %v", got)
	}
	// amino's token is planted expired: it needs attention from now on.
	st := h.b.state("amino")
	st.NeedsSignIn, st.Token.RefreshToken = true, ""
	h.b.put("amino", st)
	h.poll()
	if got := visibleNames(h.m); !slices.Equal(got, []string{"aerion", "aha", "amino", "okta", "aikido"}) {
		t.Errorf("order after amino needs a person: %v", got)
	}
}

func TestJumpToAttention(t *testing.T) {
	h := newHarness(t, 120, 35)
	for i, want := range []string{"aha", "aerion", "okta", "aha"} {
		h.press("n")
		if got := h.m.selectedName(); got != want {
			t.Errorf("n #%d: at %q, want %q", i+1, got, want)
		}
	}
	for i, want := range []string{"okta", "aerion", "aha", "okta"} {
		h.press("N")
		if got := h.m.selectedName(); got != want {
			t.Errorf("N #%d: at %q, want %q", i+1, got, want)
		}
	}
	if !h.m.keys.NextAttention.Enabled() || !h.m.keys.PrevAttention.Enabled() || !h.m.keys.Sort.Enabled() {
		t.Error("n, N or s disabled on the table")
	}
}

func TestJumpWhenNothingNeedsAttention(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.press("/")
	h.typeText("aikido")
	h.press("enter")
	h.press("n")
	if h.m.status != "nothing needs attention" || h.m.selectedName() != "aikido" {
		t.Errorf("status %q, at %q", h.m.status, h.m.selectedName())
	}
}

func TestFilterTerms(t *testing.T) {
	cases := map[string][]string{
		"!":                   {"aha", "aerion", "okta"},
		"flow:password":       {"aerion", "amino"},
		"flow:device":         {"okta"},
		"provider:aha":        {"aha"},
		"failing":             {"okta"},
		"signed":              {"aha"},
		"sign-in":             {"aerion"},
		"flow:password amino": {"amino"},
		"! flow:password":     {"aerion"},
		"aik":                 {"aikido"},
		"ai":                  {"aikido", "okta"}, // okta is failing
		"oauth2":              {"okta"},
		"nothing-like-it":     nil,
	}
	for q, want := range cases {
		h := newHarness(t, 120, 35)
		h.press("/")
		h.typeText(q)
		if got := visibleNames(h.m); !slices.Equal(got, want) {
			t.Errorf("/%s shows %v, want %v", q, got, want)
		}
	}
}

func TestFilterPlaceholder(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.press("/")
	if !strings.Contains(h.frame(), "name, provider, !, flow:") {
		t.Errorf("the filter does not say what it matches:\n%s", h.frame())
	}
}

func TestMouse(t *testing.T) {
	type step struct {
		msg  func(h *harness) tea.Msg
		want string // the selected connection after
		sort sortKey
	}
	click := func(x, y int) func(*harness) tea.Msg {
		return func(*harness) tea.Msg { return tea.MouseClickMsg{X: x, Y: y, Button: tea.MouseLeft} }
	}
	wheel := func(b tea.MouseButton) func(*harness) tea.Msg {
		return func(*harness) tea.Msg { return tea.MouseWheelMsg{X: 10, Y: 4, Button: b} }
	}
	// header finds a column's title on the header line (line 1).
	header := func(title string) func(*harness) tea.Msg {
		return func(h *harness) tea.Msg {
			return tea.MouseClickMsg{X: strings.Index(headerLine(h.frame()), title) + 1, Y: 1, Button: tea.MouseLeft}
		}
	}
	cases := map[string][]step{
		"a click selects the row under it": {
			{click(20, 4), "aerion", sortConfig},
			{click(3, 6), "okta", sortConfig},
			{click(20, 2), "aikido", sortConfig},
		},
		"a click below the rows or on the top bar does nothing": {
			{click(20, 10), "aikido", sortConfig},
			{click(20, 0), "aikido", sortConfig},
		},
		"a right click does nothing": {
			{func(*harness) tea.Msg { return tea.MouseClickMsg{X: 20, Y: 4, Button: tea.MouseRight} }, "aikido", sortConfig},
		},
		"the wheel moves the selection": {
			{wheel(tea.MouseWheelDown), "aha", sortConfig},
			{wheel(tea.MouseWheelDown), "aerion", sortConfig},
			{wheel(tea.MouseWheelUp), "aha", sortConfig},
		},
		"a click on a header sorts by it, again goes back": {
			{header("EXPIRES"), "aikido", sortExpiry},
			{header("NAME"), "aikido", sortName},
			{header("NAME"), "aikido", sortConfig},
			{click(1, 1), "aikido", sortCondition},
			{header("PROVIDER"), "aikido", sortCondition},
		},
	}
	for name, steps := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, 120, 35)
			for i, st := range steps {
				h.send(st.msg(h))
				if got := h.m.selectedName(); got != st.want {
					t.Errorf("step %d: selected %q, want %q", i, got, st.want)
				}
				if h.m.sortBy != st.sort {
					t.Errorf("step %d: sort %v, want %v", i, h.m.sortBy, st.sort)
				}
			}
		})
	}
}

func TestMouseWheelScrollsTheDetailPane(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.press("enter")
	if h.m.paneMax == 0 {
		t.Fatal("the pane fits: nothing to scroll")
	}
	tableH, _, _ := h.m.layout(h.m.paneLines())
	h.send(tea.MouseWheelMsg{X: 10, Y: tableH + 3, Button: tea.MouseWheelDown})
	if h.m.paneOff != wheelStep || h.m.selectedName() != "aikido" {
		t.Errorf("pane scrolled to %d (want %d), selection %q", h.m.paneOff, wheelStep, h.m.selectedName())
	}
	h.send(tea.MouseWheelMsg{X: 10, Y: tableH + 3, Button: tea.MouseWheelUp})
	if h.m.paneOff != 0 {
		t.Errorf("pane scrolled back to %d", h.m.paneOff)
	}
}

func TestMouseIgnoredWhileTyping(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.press("/")
	h.send(tea.MouseClickMsg{X: 20, Y: 4, Button: tea.MouseLeft})
	if h.m.selectedName() != "aikido" {
		t.Errorf("a click while typing the filter selected %q", h.m.selectedName())
	}
}
