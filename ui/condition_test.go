package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/config"
)

// conditionCase is one situation a connection can be in, with the
// condition tokentop status gives it.
type conditionCase struct {
	name string
	flow flows.Flow
	st   flows.State
	want flows.Condition
}

// conditionCases covers every condition flows.Assess decides, at t0 with
// the configuration's default renewal margin.
func conditionCases() []conditionCase {
	margin := productionMargin()
	tok := func(left time.Duration, refresh string) *flows.Token {
		return &flows.Token{AccessToken: "tok-" + sentinel + "-0123456789", RefreshToken: refresh, Expiry: t0.Add(left)}
	}
	return []conditionCase{
		{"cc-none", flows.ClientCredentials, flows.State{}, flows.NoToken},
		{"code-none", flows.AuthorizationCode, flows.State{}, flows.SignedOut},
		{"valid", flows.AuthorizationCode, flows.State{Token: tok(time.Hour, "r")}, flows.Valid},
		// Outside the production margin, though inside the 5 minutes the
		// dashboard once assumed.
		{"valid-3m", flows.DeviceCode, flows.State{Token: tok(3*time.Minute, "")}, flows.Valid},
		{"no-expiry", flows.AuthorizationCode, flows.State{Token: &flows.Token{AccessToken: "key-" + sentinel}}, flows.NoExpiry},
		{"renewing", flows.AuthorizationCode, flows.State{Token: tok(margin/2, "r")}, flows.Renewing},
		{"renewing-expired", flows.AuthorizationCode, flows.State{Token: tok(-time.Minute, "r")}, flows.Renewing},
		{"expiring", flows.DeviceCode, flows.State{Token: tok(margin/2, "")}, flows.Expiring},
		{"expired", flows.DeviceCode, flows.State{Token: tok(-time.Minute, "")}, flows.SignInRequired},
		{"refused", flows.Password, flows.State{Token: tok(-time.Minute, "r"), NeedsSignIn: true,
			LastError: "invalid_grant: refresh token expired", LastErrorAt: t0.Add(-time.Minute)}, flows.SignInRequired},
		{"renewal-failing", flows.AuthorizationCode, flows.State{Token: tok(time.Hour, "r"),
			LastError: "token endpoint: connection refused", LastErrorAt: t0.Add(-time.Minute),
			Failures: 2, RetryAt: t0.Add(20 * time.Second)}, flows.Failing},
		{"cc-failing", flows.ClientCredentials, flows.State{
			LastError: "invalid_client: nope", LastErrorAt: t0.Add(-time.Minute)}, flows.Failing},
		{"check-failing", flows.AuthorizationCode, flows.State{Token: tok(time.Hour, "r"),
			LastCheck: &flows.Check{At: t0.Add(-time.Minute), Status: 401, Err: "401 Unauthorized"}}, flows.Failing},
	}
}

// TestConditionsAreStatus: every row shows the mark, the word and the
// expiry flows.Assess (and so tokentop status) gives its connection, and
// the title counts exactly the rows Assess says need attention. Before one
// classifier, a client-credentials connection with nothing stored read
// "○ signed out" here and "no token yet" in status, and the title left
// out the signed-out and expiring rows status flags.
func TestConditionsAreStatus(t *testing.T) {
	cases := conditionCases()
	clock := &fakeClock{t: t0}
	var conns []*flows.Connection
	for _, tc := range cases {
		conns = append(conns, &flows.Connection{Name: tc.name, Provider: flows.OAuth2, Flow: tc.flow,
			TokenURL: "https://idp.example/token", CheckURL: "https://idp.example/me"})
	}
	b := newFakeBackend(clock, conns...)
	for _, tc := range cases {
		if tc.st.Token != nil || tc.st.LastError != "" || tc.st.LastCheck != nil {
			b.put(tc.name, tc.st)
		}
	}
	h := newHarnessWith(t, b, clock, 140, 40)
	frame := h.frame()

	attention := 0
	for i, tc := range cases {
		a := flows.Assess(conns[i], b.state(tc.name), clock.Now())
		if a.Condition != tc.want {
			t.Errorf("%s: Assess says %v, the case wants %v", tc.name, a.Condition, tc.want)
		}
		if a.Condition.NeedsAttention() {
			attention++
		}
		r := h.m.byName[tc.name]
		if r.cond.Condition != a.Condition {
			t.Errorf("%s: row is %v, status says %v", tc.name, r.cond.Condition, a.Condition)
		}
		line := e2eRow(frame, tc.name)
		// A running job shows a spinner in place of the mark.
		if h.m.busy[tc.name] == nil && !strings.Contains(line, a.Condition.Mark()+" "+tc.name) {
			t.Errorf("%s: row %q, want the mark %q", tc.name, line, a.Condition.Mark())
		}
		h.selectRow(tc.name)
		h.m.detail = true
		if title := paneTitle(h.frame(), tc.name); !strings.Contains(title, " · "+a.Condition.String()) {
			t.Errorf("%s: detail title %q, want the word %q", tc.name, title, a.Condition.String())
		}
		h.m.detail = false
	}
	if want := " · " + needAttention(attention); !strings.Contains(frame, want) {
		t.Errorf("title %q, want %q", strings.Split(frame, "\n")[0], want)
	}
	if h.m.attention != attention {
		t.Errorf("counted %d rows needing attention, status %d", h.m.attention, attention)
	}
	if line := e2eRow(frame, "cc-none"); !strings.Contains(line, "no token yet") || strings.Contains(line, "signed out") {
		t.Errorf("client credentials with nothing stored: %q", line)
	}
	noSecrets(t, frame)
}

// TestAttentionFollowsTheClock: the title's count moves when time alone
// changes a condition (a token that cannot renew itself enters the margin,
// then expires), as status would count it at that moment.
func TestAttentionFollowsTheClock(t *testing.T) {
	clock := &fakeClock{t: t0}
	c := &flows.Connection{Name: "okta", Provider: flows.OAuth2, Flow: flows.DeviceCode}
	b := newFakeBackend(clock, c)
	b.put("okta", flows.State{Token: &flows.Token{AccessToken: "okta-" + sentinel, Expiry: t0.Add(10 * time.Minute)}})
	h := newHarnessWith(t, b, clock, 120, 35)
	for _, step := range []struct {
		at   time.Duration
		want flows.Condition
	}{
		{0, flows.Valid},
		{10*time.Minute - productionMargin() + time.Second, flows.Expiring},
		{10*time.Minute + time.Second, flows.SignInRequired},
	} {
		clock.t = t0.Add(step.at)
		h.send(tickMsg{})
		a := flows.Assess(c, b.state("okta"), clock.Now())
		if a.Condition != step.want || h.m.byName["okta"].cond.Condition != a.Condition {
			t.Fatalf("at +%v: row %v, status %v, want %v", step.at, h.m.byName["okta"].cond.Condition, a.Condition, step.want)
		}
		shows := strings.Contains(h.frame(), "1 needs attention")
		if shows != a.Condition.NeedsAttention() {
			t.Errorf("at +%v (%v): title %q", step.at, a.Condition, strings.Split(h.frame(), "\n")[0])
		}
	}
}

// TestNoCommandLineAdviceOnScreen: errors and stored failures that carry
// the command line's "run tokentop login NAME" reach the screen with the
// dashboard's own advice instead, once.
func TestNoCommandLineAdviceOnScreen(t *testing.T) {
	h := newHarness(t, 80, 40)
	stored := "sign-in required: invalid_grant: refresh token expired: run tokentop login aerion"
	st := h.b.state("aerion")
	st.LastError = stored
	st.Record(t0.Add(-time.Minute), flows.EventFailure, stored)
	h.b.put("aerion", st)
	h.poll()
	h.selectRow("aerion")
	h.press("enter")
	pane := h.frame()
	if strings.Contains(pane, "tokentop login") {
		t.Errorf("the detail pane shows the command line's advice:\n%s", pane)
	}
	if !strings.Contains(pane, "sign-in required — press l to sign in") || !strings.Contains(pane, "refresh token expired") {
		t.Errorf("the detail pane lost the condition or the cause:\n%s", pane)
	}

	h.selectRow("amino")
	h.b.renewErr["amino"] = &flows.ConnError{Conn: "amino", Err: fmt.Errorf("%w: run tokentop login amino", flows.ErrSignInRequired)}
	h.send(await[renewFailedMsg](t, run(h.press("r"))))
	if want := "amino: sign-in required — press l to sign in"; h.m.status != want {
		t.Errorf("status line %q, want %q", h.m.status, want)
	}
	if f := h.frame(); strings.Contains(f, "tokentop login") {
		t.Errorf("the frame shows the command line's advice:\n%s", f)
	}
}

func TestForPeople(t *testing.T) {
	for in, want := range map[string]string{
		"aerion: sign-in required: run tokentop login aerion":                                              "aerion: sign-in required",
		"sign-in required: invalid_grant: run tokentop login aerion":                                       "sign-in required: invalid_grant",
		"sign-in required: the token expired and cannot be renewed without a person: run tokentop login x": "sign-in required: the token expired and cannot be renewed without a person",
		"signed out; run `tokentop login aha`":                                                             "signed out",
		"sign-in required (run tokentop login aha)":                                                        "sign-in required",
		"run tokentop login aha":                                                                           "",
		"invalid_client: tokentop is not allowed":                                                          "invalid_client: tokentop is not allowed",
		"token endpoint: connection refused":                                                               "token endpoint: connection refused",
	} {
		if got := forPeople(in); got != want {
			t.Errorf("forPeople(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRenewalMarginIsTheConfigs: a connection whose file sets no
// refresh_before renews the configuration's default ahead of expiry, and
// one that sets it, its own; the dashboard keeps no default of its own.
func TestRenewalMarginIsTheConfigs(t *testing.T) {
	cfg, err := config.Parse("margins.toml", []byte(exampleConfig+"\n[connections.own]\nprovider = \"aikido\"\nflow = \"client_credentials\"\nclient_id = \"x\"\nclient_secret = \"y\"\nrefresh_before = \"7m\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	def, own := cfg.Connection("aikido"), cfg.Connection("own")
	if def == nil || own == nil || def.RefreshBefore <= 0 || own.RefreshBefore != 7*time.Minute {
		t.Fatalf("margins: %v", cfg.Connections)
	}
	clock := &fakeClock{t: t0}
	b := newFakeBackend(clock, def, own)
	for _, c := range cfg.Connections {
		b.put(c.Name, flows.State{Token: &flows.Token{AccessToken: "t-" + sentinel, Expiry: t0.Add(time.Hour)}})
	}
	h := newHarnessWith(t, b, clock, 120, 35)
	for _, c := range []*flows.Connection{def, own} {
		if want := t0.Add(time.Hour - c.RefreshBefore); !h.m.byName[c.Name].due.Equal(want) {
			t.Errorf("%s: renewal due %v, want %v", c.Name, h.m.byName[c.Name].due, want)
		}
	}
	h.selectRow("aikido")
	h.press("enter")
	if want := "automatic, " + flows.Countdown(def.RefreshBefore) + " before expiry"; !strings.Contains(h.frame(), want) {
		t.Errorf("detail pane lacks %q:\n%s", want, h.frame())
	}
}
