package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"tokentop/flows"
)

func TestStatusMarksTeamConnections(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	isTeam := func(name string) bool { return name == "aikido" }
	var out bytes.Buffer
	_ = RunStatus(ctx, StatusOptions{Service: svc, Out: &out, IsTeam: isTeam})
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.HasSuffix(strings.TrimSpace(lines[0]), "STORE") ||
		!strings.HasSuffix(lines[1], "team") || !strings.HasSuffix(lines[2], "local") {
		t.Errorf("status with a team connection:\n%s", out.String())
	}
	out.Reset()
	_ = RunStatus(ctx, StatusOptions{Service: svc, Out: &out})
	if strings.Contains(out.String(), "STORE") {
		t.Errorf("status without a team connection has a STORE column:\n%s", out.String())
	}
	out.Reset()
	_ = RunStatus(ctx, StatusOptions{Service: svc, Out: &out, JSON: true, IsTeam: isTeam})
	var rows []map[string]any
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("status --json: %v\n%s", err, out.String())
	}
	if rows[0]["store"] != "team" || rows[1]["store"] != "local" {
		t.Errorf("store: %v, %v; want team, local", rows[0]["store"], rows[1]["store"])
	}
}

func saveToken(t *testing.T, s flows.Store, name, access string) {
	t.Helper()
	err := s.Update(name, func(st *flows.State) error {
		st.Token = &flows.Token{AccessToken: access, RefreshToken: "r-" + access, Expiry: time.Now().Add(time.Hour)}
		st.LastError = "kept " + access
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRunMove(t *testing.T) {
	ctx := context.Background()
	local, team := mustOpen(t), mustOpen(t)
	var out bytes.Buffer
	push := MoveOptions{Name: "aerion", Local: local, Team: team, ToTeam: true, Out: &out}

	err := RunMove(ctx, push)
	wantKind(t, err, Attention, true)
	if !strings.Contains(err.Error(), "aerion: nothing to push: the local state file holds no token") {
		t.Errorf("push of nothing: %v", err)
	}

	saveToken(t, local, "aerion", "L")
	if err := RunMove(ctx, push); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "aerion: moved its tokens from the local state file to the team store\n" {
		t.Errorf("push said %q", got)
	}
	st, _ := team.Load("aerion")
	if st.Token == nil || st.Token.AccessToken != "L" || st.Token.RefreshToken != "r-L" || st.LastError != "kept L" {
		t.Errorf("team store after push: %+v", st)
	}
	if st, _ := local.Load("aerion"); st.Token != nil {
		t.Error("the local state file still holds the token after push")
	}

	// Pull refuses to overwrite a token, unless forced.
	saveToken(t, local, "aerion", "L2")
	pull := push
	pull.ToTeam = false
	err = RunMove(ctx, pull)
	wantKind(t, err, Attention, true)
	if !strings.Contains(err.Error(), "the local state file already holds a token for it; run tokentop team pull --force aerion") {
		t.Errorf("pull over a token: %v", err)
	}
	if st, _ := team.Load("aerion"); st.Token == nil {
		t.Error("a refused pull forgot the team's token")
	}
	pull.Force = true
	out.Reset()
	if err := RunMove(ctx, pull); err != nil {
		t.Fatal(err)
	}
	if st, _ := local.Load("aerion"); st.Token == nil || st.Token.AccessToken != "L" {
		t.Errorf("local after a forced pull: %+v", st.Token)
	}
	if st, _ := team.Load("aerion"); st.Token != nil {
		t.Error("the team store still holds the token after pull")
	}
	if !strings.Contains(out.String(), "from the team store to the local state file") {
		t.Errorf("pull said %q", out.String())
	}
}

func TestMoveHint(t *testing.T) {
	if got, want := MoveHint("aerion", true), "aerion: its tokens are in the local state file but it is now a team connection: run tokentop team push aerion"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if got := MoveHint("aerion", false); !strings.HasSuffix(got, "run tokentop team pull aerion") {
		t.Errorf("got %q", got)
	}
}

func TestMoveHints(t *testing.T) {
	local, team := mustOpen(t), mustOpen(t)
	saveToken(t, local, "moved-in", "L") // now team, tokens still local
	saveToken(t, team, "moved-out", "T") // now local, tokens still in the team store
	saveToken(t, local, "settled", "L")  // local, tokens local
	saveToken(t, team, "shared", "T")    // team, tokens in the team store
	isTeam := func(name string) bool { return name == "moved-in" || name == "shared" }
	opened := 0
	open := func() (flows.Store, error) { opened++; return team, nil }

	got := MoveHints([]string{"moved-in", "moved-out", "settled", "shared"}, isTeam, local, open)
	want := []string{MoveHint("moved-in", true), MoveHint("moved-out", false)}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("hints:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	opened = 0
	if got := MoveHints([]string{"settled"}, isTeam, local, open); len(got) != 0 || opened != 0 {
		t.Errorf("a local connection holding a token: hints %v, team store opened %d times", got, opened)
	}
	down := func() (flows.Store, error) { opened++; return nil, errors.New("unreachable") }
	opened = 0
	if got := MoveHints([]string{"moved-out", "a", "b"}, isTeam, local, down); len(got) != 0 || opened != 1 {
		t.Errorf("team store down: hints %v, tried %d times, want once", got, opened)
	}
}
