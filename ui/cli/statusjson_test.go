package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/flows/oauth"
	"tokentop/flows/providertest"
)

// TestStatusJSONAudience: the audience a token came back with (RFC 8707,
// the token answer's aud) is status --json's "audience", a list of strings
// in the server's order, and the key is left out for a token without one.
func TestStatusJSONAudience(t *testing.T) {
	fake := providertest.New(providertest.Options{OAuth2Clients: map[string]string{"svc": "svc-secret-0123"}})
	t.Cleanup(fake.Close)
	conn := `
[connections.%s]
provider = "oauth2"
flow = "client_credentials"
token_url = "%s/oauth2/token"
client_id = "svc"
client_secret = "svc-secret-0123"
%s
`
	conf := fmt.Sprintf(conn, "api", fake.URL, `resource = ["https://api.example.com", "https://ledger.example.com/v1"]`) +
		fmt.Sprintf(conn, "plain", fake.URL, "")
	cfg, err := config.Parse("config.toml", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	svc := flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: mustOpen(t)})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, name := range []string{"api", "plain"} {
		if _, err := svc.Token(ctx, name, time.Minute); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	var out bytes.Buffer
	if err := RunStatus(ctx, StatusOptions{Service: svc, Out: &out, JSON: true}); err != nil {
		t.Fatalf("status --json: %v", err)
	}
	var rows []map[string]json.RawMessage
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("status --json: %v:\n%s", err, out.String())
	}
	var aud []string
	if err := json.Unmarshal(rows[0]["audience"], &aud); err != nil || !reflect.DeepEqual(aud, []string{"https://api.example.com", "https://ledger.example.com/v1"}) {
		t.Errorf("api's audience %s (%v), want both resources in order", rows[0]["audience"], err)
	}
	if raw, ok := rows[1]["audience"]; ok {
		t.Errorf("plain has audience %s, want the key left out", raw)
	}
	if strings.Count(out.String(), `"audience"`) != 1 {
		t.Errorf("status --json:\n%s", out.String())
	}
}
