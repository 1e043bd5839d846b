package cli

import (
	"bytes"
	"context"
	"encoding/json"
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
	var rows []struct {
		Name      string     `json:"name"`
		State     string     `json:"state"`
		Attention bool       `json:"needs_attention"`
		Left      string     `json:"time_left"`
		ExpiresAt *time.Time `json:"expires_at"`
		LastCheck string     `json:"last_check"`
	}
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("status --json: %v:\n%s", err, out.String())
	}
	if r := rows[0]; r.Name != "aikido" || r.State != "valid" || r.Attention || r.ExpiresAt == nil || !strings.HasPrefix(r.LastCheck, "200 · ") {
		t.Errorf("aikido after a token and --check: %+v", r)
	}
	if r := rows[1]; r.Name != "aerion" || r.State != "signed out" || !r.Attention || r.Left != "signed out" {
		t.Errorf("aerion: %+v", r)
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
