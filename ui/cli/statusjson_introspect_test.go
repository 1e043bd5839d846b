package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"tokentop/flows"
)

// TestStatusJSONIntrospection: the fields of an introspection check are
// under last_check.introspection, and absent for a check_url check.
func TestStatusJSONIntrospection(t *testing.T) {
	svc, _ := newService(t)
	now := svc.Now()
	c := svc.Config().Connection("aikido")
	exp := time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC)
	row := statusRow{Name: "aikido", Provider: "aikido", Flow: "client_credentials", Attention: true, conn: c, condition: flows.Failing,
		st: flows.State{
			Token: &flows.Token{AccessToken: "x", Expiry: now.Add(time.Hour)},
			LastCheck: &flows.Check{At: now, Status: 200, Err: "token inactive at the provider (introspection: active false)",
				Introspection: &flows.Introspection{Active: false, Expiry: exp, Scope: "read", ClientID: "cid", Subject: "alice"}},
		}}
	b, err := json.Marshal(statusJSON(svc, []statusRow{row})[0].LastCheck)
	if err != nil {
		t.Fatal(err)
	}
	const want = `"ok":false,"introspection":{"active":false,"exp":"2026-12-01T13:00:00Z","scope":"read","client_id":"cid","sub":"alice"}}`
	if !strings.HasSuffix(string(b), want) {
		t.Errorf("last_check %s\nwant it to end %s", b, want)
	}
	row.st.LastCheck.Introspection = nil
	if b, _ := json.Marshal(statusJSON(svc, []statusRow{row})[0].LastCheck); strings.Contains(string(b), "introspection") {
		t.Errorf("a check_url check has introspection: %s", b)
	}
}
