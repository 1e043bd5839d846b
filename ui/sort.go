package ui

import (
	"cmp"
	"slices"
	"strings"
)

// sortKey is the order of the table's rows.
type sortKey int

// The orders s cycles through, starting from the configuration's.
const (
	sortConfig    sortKey = iota // as the configuration lists them
	sortName                     // by name
	sortExpiry                   // soonest expiry first; no expiry, then no token, last
	sortCondition                // needing attention first, each part by name
	numSortKeys
)

// column is the table column whose header marks the order: the name, the
// expiry, or for the condition the marks (which have no header: colCheck
// stands for none).
func (k sortKey) column() colKind {
	switch k {
	case sortName:
		return colName
	case sortExpiry:
		return colExpires
	}
	return colCheck
}

// describe is the order in words, for the status line.
func (k sortKey) describe() string {
	switch k {
	case sortName:
		return "sorted by name"
	case sortExpiry:
		return "sorted by expiry, soonest first"
	case sortCondition:
		return "sorted by condition, needing attention first"
	}
	return "in the configuration's order"
}

// setSort orders the rows by k, keeping the selected connection selected.
func (m *Model) setSort(k sortKey) {
	m.sortBy = k
	m.selectionMayChange(m.refilter)
	m.setStatus("", levelInfo, "connections "+k.describe())
}

// cycleSort moves to the next order: configuration, name, expiry,
// condition, and back.
func (m *Model) cycleSort() {
	m.setSort((m.sortBy + 1) % numSortKeys)
}

// compareRows orders rows a and b by the model's sort key (0 keeps the
// configuration's order, as the sort is stable).
func (m *Model) compareRows(a, b *row) int {
	byName := func() int { return cmp.Compare(a.sortName, b.sortName) }
	switch m.sortBy {
	case sortName:
		return byName()
	case sortExpiry:
		ga, gb := expiryGroup(a), expiryGroup(b)
		if ga != gb {
			return ga - gb
		}
		if ga == 0 {
			if c := a.st.Token.Expiry.Compare(b.st.Token.Expiry); c != 0 {
				return c
			}
		}
		return byName()
	case sortCondition:
		na, nb := a.cond.Condition.NeedsAttention(), b.cond.Condition.NeedsAttention()
		if na != nb {
			if na {
				return -1
			}
			return 1
		}
		return byName()
	}
	return 0
}

// expiryGroup sorts tokens with an expiry first, then those without, then
// the rows without a token.
func expiryGroup(r *row) int {
	switch t := r.st.Token; {
	case t == nil || t.AccessToken == "":
		return 2
	case !t.HasExpiry():
		return 1
	}
	return 0
}

// sortVisible orders the visible rows by the sort key.
func (m *Model) sortVisible() {
	if m.sortBy == sortConfig {
		return
	}
	slices.SortStableFunc(m.visible, func(a, b int) int { return m.compareRows(m.rows[a], m.rows[b]) })
}

// reorder filters and sorts again after the conditions moved, when the
// filter or the order depends on them.
func (m *Model) reorder() {
	if m.sortBy == sortConfig && strings.TrimSpace(m.filter.Value()) == "" {
		return
	}
	m.selectionMayChange(m.refilter)
}

// jumpAttention moves the selection to the next (d = 1) or previous
// (d = -1) visible row that needs attention, wrapping around.
func (m *Model) jumpAttention(d int) {
	n := len(m.visible)
	for i := 1; i <= n; i++ {
		at := ((m.cursor+d*i)%n + n) % n
		if m.loaded && m.rows[m.visible[at]].cond.Condition.NeedsAttention() {
			if at != m.cursor {
				m.selectionMayChange(func() { m.cursor = at })
			}
			return
		}
	}
	m.setStatus("", levelInfo, "nothing needs attention")
}

// filterTerm is one word of the filter: a part of a name, provider or
// condition word; "!" for the rows that need attention; "flow:…" or
// "provider:…" for one field.
type filterTerm struct {
	field string // "", "!", "flow" or "provider"
	text  string
}

// parseFilter splits the filter into its terms, lower-cased.
func parseFilter(q string) []filterTerm {
	var terms []filterTerm
	for _, w := range strings.Fields(strings.ToLower(q)) {
		switch {
		case w == "!":
			terms = append(terms, filterTerm{field: "!"})
		case strings.HasPrefix(w, "flow:"):
			terms = append(terms, filterTerm{"flow", strings.TrimPrefix(w, "flow:")})
		case strings.HasPrefix(w, "provider:"):
			terms = append(terms, filterTerm{"provider", strings.TrimPrefix(w, "provider:")})
		default:
			terms = append(terms, filterTerm{text: w})
		}
	}
	return terms
}

// matches reports whether row r passes every term.
func (m *Model) matches(r *row, terms []filterTerm) bool {
	for _, t := range terms {
		var ok bool
		switch t.field {
		case "!":
			ok = m.loaded && r.cond.Condition.NeedsAttention()
		case "flow":
			ok = strings.Contains(string(r.conn.Flow), t.text) || strings.Contains(r.flow, t.text)
		case "provider":
			ok = strings.Contains(strings.ToLower(r.provider), t.text)
		default:
			ok = strings.Contains(r.search, t.text) ||
				(m.loaded && strings.Contains(r.cond.Condition.String(), t.text))
		}
		if !ok {
			return false
		}
	}
	return true
}

// name is the order's short name, for the key's help: "sort: expiry".
func (k sortKey) name() string {
	return [...]string{sortConfig: "config order", sortName: "name", sortExpiry: "expiry", sortCondition: "condition"}[k]
}
