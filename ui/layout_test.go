package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"tokentop/flows"
)

// headerLine is the table's header in a frame (its second line).
func headerLine(frame string) string {
	return strings.Split(frame, "\n")[1]
}

// frameLine returns the first line of frame that holds s.
func frameLine(frame, s string) string {
	for _, l := range strings.Split(frame, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// longNameHarness is the test connections plus one with a long name.
func longNameHarness(t *testing.T, w, h int) *harness {
	t.Helper()
	clock := &fakeClock{t: t0}
	conns := append(testConns(), &flows.Connection{Name: "production-billing-eu", Provider: flows.OAuth2,
		Flow: flows.ClientCredentials, TokenURL: "https://billing.example/token"})
	b := newFakeBackend(clock, conns...)
	seed(b)
	return newHarnessWith(t, b, clock, w, h)
}

func TestColumnsUseTheWindow(t *testing.T) {
	cases := map[int]struct{ want, not []string }{
		80:  {want: []string{"NAME", "EXPIRES", "LAST CHECK"}, not: []string{"FLOW", "TREND", "SCOPES"}},
		120: {want: []string{"NAME", "PROVIDER", "EXPIRES", "LAST CHECK", "TREND", "RENEWAL"}, not: []string{"SCOPES"}},
		160: {want: []string{"NAME", "PROVIDER", "FLOW", "EXPIRES", "LAST CHECK", "TREND", "RENEWAL", "SCOPES"}},
		200: {want: []string{"NAME", "PROVIDER", "FLOW", "EXPIRES", "LAST CHECK", "TREND", "RENEWAL", "SCOPES"}},
	}
	for w, tc := range cases {
		h := longNameHarness(t, w, 30)
		f := h.frame()
		hdr := headerLine(f)
		for _, col := range tc.want {
			if !strings.Contains(hdr, col) {
				t.Errorf("%d columns: no %s in %q", w, col, hdr)
			}
		}
		for _, col := range tc.not {
			if strings.Contains(hdr, col) {
				t.Errorf("%d columns: %s does not fit but shows in %q", w, col, hdr)
			}
		}
		if !strings.Contains(f, "production-billing-eu ") {
			t.Errorf("%d columns: the long name is cut:\n%s", w, f)
		}
		// Every row is as wide as the window: the table uses it all.
		if l := frameLine(f, "aikido"); ansi.StringWidth(l) != w {
			t.Errorf("%d columns: a row is %d wide: %q", w, ansi.StringWidth(l), l)
		}
		// The columns beyond the name take no more than their content
		// needs: the name column holds the spare width.
		if w == 200 {
			if i, j := strings.Index(hdr, "NAME"), strings.Index(hdr, "PROVIDER"); j-i < 40 {
				t.Errorf("the name does not take the spare width: %q", hdr)
			}
		}
	}
}

func TestExpiresIsSizedToItsText(t *testing.T) {
	h := longNameHarness(t, 80, 24)
	hdr := headerLine(h.frame())
	i, j := strings.Index(hdr, "EXPIRES"), strings.Index(hdr, "LAST CHECK")
	if j-i != expiresW+colGap {
		t.Errorf("EXPIRES is %d cells with its gap, want %d: %q", j-i, expiresW+colGap, hdr)
	}
	// Its widest text fits: no ellipsis in the column.
	h.clock.Advance(23*time.Hour + 50*time.Minute)
	h.send(tickMsg{})
	if l := frameLine(h.frame(), "aerion"); !strings.Contains(l, "expired 23h 53m ago") {
		t.Errorf("the longest expired text is cut: %q", l)
	}
}

func TestLifeBar(t *testing.T) {
	conn := &flows.Connection{Name: "x", RefreshBefore: 5 * time.Minute}
	obtained := t0.Add(-10 * time.Minute)
	cases := map[string]struct {
		tok  *flows.Token
		cond flows.Condition
		bar  string
		tone tone
	}{
		"full":               {&flows.Token{AccessToken: "a", ObtainedAt: t0, Expiry: t0.Add(time.Hour)}, flows.Valid, "▰▰▰▰▰", toneOK},
		"half":               {&flows.Token{AccessToken: "a", ObtainedAt: obtained, Expiry: t0.Add(10 * time.Minute)}, flows.Valid, "▰▰▰▱▱", toneOK},
		"last second":        {&flows.Token{AccessToken: "a", ObtainedAt: obtained, Expiry: t0.Add(time.Second)}, flows.Renewing, "▰▱▱▱▱", toneWarn},
		"inside twice":       {&flows.Token{AccessToken: "a", ObtainedAt: obtained, Expiry: t0.Add(9 * time.Minute)}, flows.Valid, "▰▰▱▱▱", toneWarn},
		"failing to renew":   {&flows.Token{AccessToken: "a", ObtainedAt: obtained, Expiry: t0.Add(30 * time.Minute)}, flows.Failing, "▰▰▰▰▱", toneDanger},
		"sign-in required":   {&flows.Token{AccessToken: "a", ObtainedAt: obtained, Expiry: t0.Add(30 * time.Minute)}, flows.SignInRequired, "▰▰▰▰▱", toneDanger},
		"expired":            {&flows.Token{AccessToken: "a", ObtainedAt: obtained, Expiry: t0.Add(-time.Second)}, flows.Renewing, "", toneDanger},
		"no obtained time":   {&flows.Token{AccessToken: "a", Expiry: t0.Add(30 * time.Minute)}, flows.Valid, "", toneOK},
		"no expiry":          {&flows.Token{AccessToken: "a", ObtainedAt: obtained}, flows.NoExpiry, "", toneMuted},
		"no token":           {nil, flows.SignedOut, "", toneMuted},
		"obtained at expiry": {&flows.Token{AccessToken: "a", ObtainedAt: t0.Add(time.Hour), Expiry: t0.Add(time.Hour)}, flows.Valid, "", toneOK},
	}
	for name, tc := range cases {
		r := newRow(conn)
		r.st.Token = tc.tok
		r.cond.Condition = tc.cond
		if got := r.lifeBar(t0); got != tc.bar {
			t.Errorf("%s: bar %q, want %q", name, got, tc.bar)
		}
		if got := r.expiryTone(t0); got != tc.tone {
			t.Errorf("%s: tone %d, want %d", name, got, tc.tone)
		}
	}
}

func TestExpiresCellIsColoured(t *testing.T) {
	h := newHarness(t, 120, 35)
	raw := h.m.View().Content
	// aikido and amino are far from expiry, aerion expired.
	for name, k := range map[string]ink{"amino": h.m.inks.ok, "aikido": h.m.inks.ok, "aerion": h.m.inks.danger} {
		l := frameLine(raw, name)
		if k.pre == "" || !strings.Contains(l, k.pre) {
			t.Errorf("%s: the EXPIRES cell is not in its tone: %q", name, l)
		}
	}
}

func TestSelectedRowKeepsItsColours(t *testing.T) {
	h := newHarness(t, 120, 35)
	h.selectRow("aerion")
	l := frameLine(h.m.View().Content, "aerion")
	sel, danger := h.m.inks.selected, h.m.inks.danger
	if sel.pre == "" || danger.pre == "" {
		t.Fatal("no colour in the test's styles")
	}
	if !strings.HasPrefix(l, sel.pre) || !strings.HasSuffix(l, sel.post) {
		t.Errorf("the selected row is not drawn in the selection's style: %q", l)
	}
	// The mark and the name keep the danger colour, and the selection's
	// background is taken up again after them.
	if !strings.Contains(l, danger.pre+"✗"+danger.post+sel.pre) {
		t.Errorf("the selected row's mark lost its colour: %q", l)
	}
	if !strings.Contains(l, danger.pre+"aerion"+danger.post+sel.pre) {
		t.Errorf("the selected row's name lost its colour: %q", l)
	}
}

func TestSignInAddressIsOneLine(t *testing.T) {
	for _, w := range []int{80, 120} {
		hs := newHarness(t, w, 30)
		p := newPending(kindBrowser)
		p.url = goldenAuthURL
		hs.b.logins["aha"] = p
		hs.selectRow("aha")
		hs.send(await[loginBegunMsg](t, run(hs.press("l"))))
		v := hs.m.View()
		lines := strings.Split(ansi.Strip(v.Content), "\n")
		found := false
		for _, l := range lines {
			if l == goldenAuthURL {
				found = true
			} else if strings.Contains(l, "oauth/authorize") {
				t.Errorf("%d columns: a piece of the address on another line: %q", w, l)
			}
		}
		if !found {
			t.Errorf("%d columns: the address is not whole on one line:\n%s", w, strings.Join(lines, "\n"))
		}
		if !strings.Contains(v.Content, ansi.SetHyperlink(goldenAuthURL)) {
			t.Errorf("%d columns: the address is no OSC 8 hyperlink", w)
		}
		if len(lines) != 30 {
			t.Errorf("%d columns: %d lines, want 30", w, len(lines))
		}
		// The terminal's own selection copies it: no mouse reporting.
		if v.MouseMode != tea.MouseModeNone {
			t.Errorf("%d columns: mouse mode %v while the address shows", w, v.MouseMode)
		}
	}
}

func TestDeviceAddressIsOneLine(t *testing.T) {
	hs := newHarness(t, 80, 24)
	p := newPending(kindDevice)
	p.url = "https://okta.example/activate?user_code=WDJB-MJHT&client=a-rather-long-client-identifier"
	hs.b.logins["okta"] = p
	hs.selectRow("okta")
	// okta holds a valid token: l asks before signing in again.
	hs.press("l")
	hs.send(await[loginBegunMsg](t, run(hs.press("y"))))
	f := hs.frame()
	if !strings.Contains(f, "\n"+p.url+"\n") || !strings.Contains(f, "WDJB-MJHT") {
		t.Errorf("the device address is not whole on one line:\n%s", f)
	}
}

func TestMouseModeOnTheTable(t *testing.T) {
	h := newHarness(t, 80, 24)
	if got := h.m.View().MouseMode; got != tea.MouseModeCellMotion {
		t.Errorf("table: mouse mode %v, want cell motion", got)
	}
	h.press("enter")
	if got := h.m.View().MouseMode; got != tea.MouseModeCellMotion {
		t.Errorf("detail: mouse mode %v, want cell motion", got)
	}
}

func TestDetailWrapsLongValues(t *testing.T) {
	clock := &fakeClock{t: t0}
	long := "https://api.example.com/v1/organisations/acme-corporation/workspaces/production/health?verbose=true"
	conns := []*flows.Connection{{Name: "svc", Provider: flows.OAuth2, Flow: flows.ClientCredentials,
		ClientID: "a-client-id-that-goes-on-and-on-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789",
		TokenURL: "https://api.example.com/token", CheckURL: long}}
	b := newFakeBackend(clock, conns...)
	b.put("svc", flows.State{Token: &flows.Token{AccessToken: "tok-" + sentinel, Expiry: t0.Add(time.Hour),
		Scopes: []string{"read:org", "write:org", "admin:repo_hook", "read:packages", "write:packages", "delete:packages", "workflow"}}})
	h := newHarnessWith(t, b, clock, 80, 40)
	h.press("enter")
	f := h.frame()
	// Each piece of the value is there, in order, on lines indented under
	// the label.
	var body []string
	in := false
	for _, l := range strings.Split(f, "\n") {
		inner := strings.TrimSuffix(strings.TrimPrefix(l, "│ "), " │")
		switch {
		case strings.HasPrefix(inner, "check URL"):
			in = true
			body = append(body, strings.TrimSpace(strings.TrimPrefix(inner, "check URL")))
		case in && strings.HasPrefix(inner, strings.Repeat(" ", labelW+1)) && strings.TrimSpace(inner) != "":
			body = append(body, strings.TrimSpace(inner))
		default:
			in = false
		}
	}
	if got := strings.Join(body, ""); got != long {
		t.Errorf("check URL over %d lines reads %q, want %q\n%s", len(body), got, long, f)
	}
	if len(body) < 2 {
		t.Errorf("the check URL was not wrapped:\n%s", f)
	}
	for _, piece := range []string{"abcdefghijklmnopqrstuvwxyz-0123456789", "delete:packages", "workflow"} {
		if !strings.Contains(f, piece) {
			t.Errorf("%q is cut off:\n%s", piece, f)
		}
	}
	for _, l := range strings.Split(f, "\n") {
		if strings.HasPrefix(l, "│") && strings.Contains(strings.ReplaceAll(l, "checking…", ""), "…") {
			t.Errorf("a value is cut with an ellipsis: %q", l)
		}
	}
}

func TestCountsAgree(t *testing.T) {
	clock := &fakeClock{t: t0}
	b := newFakeBackend(clock, testConns()[0])
	seed(b)
	h := newHarnessWith(t, b, clock, 80, 24)
	if f := h.frame(); !strings.Contains(f, "tokentop · 1 connection ") {
		t.Errorf("top bar:\n%s", f)
	}
	h.press("P")
	if h.m.status != "checking 1 connection…" {
		t.Errorf("status %q", h.m.status)
	}
	h2 := newHarness(t, 80, 24)
	h2.press("P")
	if h2.m.status != "checking 3 connections…" {
		t.Errorf("status %q", h2.m.status)
	}
}

func TestDetailWrapsEvents(t *testing.T) {
	for _, w := range []int{80, 120, 200} {
		clock := &fakeClock{t: t0}
		b := newFakeBackend(clock, testConns()[0])
		long := "renewal failed: token endpoint: not sent: cannot connect to app.aikido.dev:443: dial tcp: lookup app.aikido.dev: no such host (after 3 attempts)"
		b.put("aikido", flows.State{Token: &flows.Token{AccessToken: "t-" + sentinel, Expiry: t0.Add(time.Hour)},
			Events: []flows.Event{{At: t0.Add(-time.Minute), Kind: flows.EventFailure, Detail: long}}})
		h := newHarnessWith(t, b, clock, w, 50)
		h.press("enter")
		f := h.frame()
		for _, piece := range []string{"renewal failed:", "lookup", "attempts)"} {
			if !strings.Contains(f, piece) {
				t.Errorf("%d columns: the event is cut before %q:\n%s", w, piece, f)
			}
		}
	}
}
