package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"tokentop/flows"
)

func TestRunStatus(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	var out bytes.Buffer
	err := RunStatus(ctx, StatusOptions{Service: svc, Out: &out})
	wantKind(t, err, Attention, false)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") {
		t.Fatalf("status printed:\n%s", out.String())
	}
	if f := strings.Fields(lines[2]); f[0] != "aerion" || !strings.Contains(lines[2], "signed out: run tokentop login aerion") {
		t.Errorf("aerion's row: %q", lines[2])
	}

	if _, err := svc.Token(ctx, "aikido", 0); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = RunStatus(ctx, StatusOptions{Service: svc, Out: &out, JSON: true, Check: true})
	wantKind(t, err, Attention, false)
	var rows []map[string]any
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("status --json: %v:\n%s", err, out.String())
	}
	keys := []string{"name", "provider", "flow", "condition", "needs_attention", "expires_at", "seconds_left", "renewable", "last_error", "last_check", "store", "encryption"}
	for _, r := range rows {
		if len(r) != len(keys) {
			t.Errorf("%v: %d keys, want exactly %v", r["name"], len(r), keys)
		}
		for _, k := range keys {
			if _, ok := r[k]; !ok {
				t.Errorf("%v: no %q (null when unknown, never missing)", r["name"], k)
			}
		}
	}
	ai := rows[0]
	if ai["name"] != "aikido" || ai["provider"] != "aikido" || ai["flow"] != "client_credentials" || ai["condition"] != "valid" ||
		ai["needs_attention"] != false || ai["renewable"] != true || ai["last_error"] != nil {
		t.Errorf("aikido after a token and --check: %v", ai)
	}
	exp, err := time.Parse(time.RFC3339, fmt.Sprint(ai["expires_at"]))
	if err != nil {
		t.Errorf("aikido expires_at: %v", err)
	}
	left, ok := ai["seconds_left"].(float64)
	if want := exp.Sub(svc.Now()).Seconds(); !ok || left != float64(int64(left)) || left < want-2 || left > want+1 {
		t.Errorf("aikido seconds_left %v, want the whole seconds to %v (%.0f)", ai["seconds_left"], ai["expires_at"], want)
	}
	lc, ok := ai["last_check"].(map[string]any)
	if !ok || lc["status"] != float64(200) || lc["ok"] != true {
		t.Fatalf("aikido last_check: %v", ai["last_check"])
	}
	if _, err := time.Parse(time.RFC3339, fmt.Sprint(lc["at"])); err != nil {
		t.Errorf("last_check.at: %v", err)
	}
	if ms, ok := lc["latency_ms"].(float64); !ok || ms < 0 || ms > 10000 {
		t.Errorf("last_check.latency_ms: %v", lc["latency_ms"])
	}
	ae := rows[1]
	if ae["name"] != "aerion" || ae["condition"] != "signed_out" || ae["needs_attention"] != true || ae["renewable"] != false ||
		ae["expires_at"] != nil || ae["seconds_left"] != nil || ae["last_check"] != nil || ae["last_error"] != nil {
		t.Errorf("aerion: %v", ae)
	}
}

// TestConditionWords: every condition has a machine word of its own, one
// token of lower-case letters and underscores.
func TestConditionWords(t *testing.T) {
	seen := map[string]flows.Condition{}
	for c := flows.Condition(0); !strings.HasPrefix(c.String(), "Condition("); c++ {
		w := ConditionWord(c)
		if w == "unknown" || !regexp.MustCompile(`^[a-z_]+$`).MatchString(w) {
			t.Errorf("condition %q: machine word %q", c, w)
		}
		if prev, dup := seen[w]; dup {
			t.Errorf("conditions %q and %q share the word %q", prev, c, w)
		}
		seen[w] = c
	}
	if len(seen) != len(conditionWords) {
		t.Errorf("%d conditions, %d words", len(seen), len(conditionWords))
	}
	if ConditionWord(flows.SignInRequired) != "sign_in_required" || ConditionWord(flows.Condition(-1)) != "unknown" {
		t.Error("the words are the ones the README documents")
	}
}

// TestStatusJSONFailing: a failed renewal's error and an expired token are
// data: last_error its text, seconds_left negative.
func TestStatusJSONFailing(t *testing.T) {
	svc, _ := newService(t)
	now := svc.Now()
	c := svc.Config().Connection("aikido")
	rows := []statusRow{{
		Name: "aikido", Provider: "aikido", Flow: "client_credentials", Attention: true, conn: c, condition: flows.Failing,
		st: flows.State{
			Token:     &flows.Token{AccessToken: "x", Expiry: now.Add(-90 * time.Second)},
			LastError: "invalid_client: bad \x1b[31msecret",
			LastCheck: &flows.Check{At: now.Add(-time.Minute), Status: 0, Err: "cannot connect"},
		},
	}}
	got := statusJSON(svc, rows)[0]
	if got.Condition != "failing" || !got.NeedsAttention || got.LastError == nil || strings.ContainsRune(*got.LastError, 0x1b) {
		t.Errorf("%+v", got)
	}
	if got.SecondsLeft == nil || *got.SecondsLeft >= 0 {
		t.Errorf("seconds_left of an expired token: %v", got.SecondsLeft)
	}
	if got.LastCheck == nil || got.LastCheck.OK || got.LastCheck.Status != 0 {
		t.Errorf("last_check of a check without an answer: %+v", got.LastCheck)
	}
}

// TestStateColumn: the STATE column says the condition, why it needs
// attention, and, when only a person can sign in, what to run, once.
func TestStateColumn(t *testing.T) {
	cases := map[string]struct {
		row  statusRow
		want string
	}{
		"valid": {
			statusRow{Name: "aikido", State: "valid", condition: flows.Valid},
			"valid",
		},
		"renewable, a reason not shown": {
			statusRow{Name: "aikido", State: "renewable", Reason: "expired; renews on next use", condition: flows.Renewing},
			"renewable",
		},
		"failing": {
			statusRow{Name: "aikido", State: "failing", Attention: true, Reason: "invalid_client: nope", condition: flows.Failing},
			"failing: invalid_client: nope",
		},
		"signed out": {
			statusRow{Name: "aerion", State: "signed out", Attention: true, Reason: "no token", condition: flows.SignedOut},
			"signed out: run tokentop login aerion",
		},
		"sign-in required": {
			statusRow{Name: "aerion", State: "sign-in required", Attention: true, Reason: "invalid_grant: refresh token expired", condition: flows.SignInRequired},
			"sign-in required: invalid_grant: refresh token expired: run tokentop login aerion",
		},
		"sign-in required, said by the domain": {
			statusRow{Name: "aerion", State: "sign-in required", Attention: true, Reason: "run tokentop login aerion", condition: flows.SignInRequired},
			"sign-in required: run tokentop login aerion",
		},
	}
	for name, tc := range cases {
		if got := stateColumn(tc.row); got != tc.want {
			t.Errorf("%s: %q, want %q", name, got, tc.want)
		}
	}
}

func TestDescribeCheck(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		chk  flows.Check
		want string
	}{
		"answered":  {flows.Check{At: now.Add(-185 * time.Second), Status: 200, Latency: 41 * time.Millisecond}, "200 · 41 ms · 3m 05s ago"},
		"refused":   {flows.Check{At: now.Add(-5 * time.Second), Status: 401, Latency: 7 * time.Millisecond, Err: "invalid_token"}, "401 · 7 ms · 5s ago"},
		"no answer": {flows.Check{At: now.Add(-time.Minute), Err: "cannot connect"}, "failed · 1m 00s ago"},
	}
	for name, tc := range cases {
		if got := describeCheck(&tc.chk, now); got != tc.want {
			t.Errorf("%s: %q, want %q", name, got, tc.want)
		}
	}
}

// TestREADMEStatusJSON: the README's table of status --json is the JSON
// printed, key for key, and names every condition word.
func TestREADMEStatusJSON(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n### status --json and check --json\n")
	if !ok {
		t.Fatal("no status --json section in the README")
	}
	section, _, _ = strings.Cut(section, "\n#")
	var keys []string
	condition := ""
	for _, l := range strings.Split(section, "\n") {
		if m := regexp.MustCompile("^\\| `([a-z_]+)` \\|").FindStringSubmatch(l); m != nil {
			keys = append(keys, m[1])
			if m[1] == "condition" {
				condition = l
			}
		}
	}
	var want []string
	typ := reflect.TypeOf(connectionJSON{})
	for i := range typ.NumField() {
		want = append(want, strings.Split(typ.Field(i).Tag.Get("json"), ",")[0])
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("README documents %v, status --json prints %v", keys, want)
	}
	for _, w := range conditionWords {
		if !strings.Contains(condition, "`"+w+"`") {
			t.Errorf("the README's condition row does not name %q", w)
		}
	}
}

func TestStatusSaysTheEncryption(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	for name, tc := range map[string]struct {
		opts StatusOptions
		line string
	}{
		"keyring": {StatusOptions{Encryption: "keyring"}, "encryption: keyring (tokens sealed with AES-256-GCM)"},
		"cmd":     {StatusOptions{Encryption: "cmd"}, "encryption: cmd (tokens sealed with AES-256-GCM)"},
		"none":    {StatusOptions{Encryption: "none"}, "encryption: none: tokens are stored in plain text"},
		"fallback": {StatusOptions{Encryption: "none", EncryptionNote: "encryption key (keyring): keyring: no D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set)"},
			"encryption: none: tokens are stored in plain text, because encryption key (keyring): keyring: no D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set)"},
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			tc.opts.Service, tc.opts.Out = svc, &out
			RunStatus(ctx, tc.opts)
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if got := lines[len(lines)-1]; got != tc.line {
				t.Fatalf("last line %q, want %q", got, tc.line)
			}
		})
	}

	var out bytes.Buffer
	RunStatus(ctx, StatusOptions{Service: svc, Out: &out, JSON: true, Encryption: "keyring", TeamEncryption: "team_key",
		IsTeam: func(name string) bool { return name == "aerion" }})
	var rows []struct{ Name, Store, Encryption string }
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
		t.Fatal(err)
	}
	want := []struct{ Name, Store, Encryption string }{{"aikido", "local", "keyring"}, {"aerion", "team", "team_key"}}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("status --json rows %+v, want %+v", rows, want)
	}
}
