package flows_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tokentop/flows/providertest"
)

// TestExchangeAnswerQuotingSecretsIsHidden: a token-exchange answer whose
// aud or issued_token_type quotes the subject token, the actor token or
// the client secret does not carry them to the detail pane: what the
// answer adds to the token's Extra goes through the redactor.
func TestExchangeAnswerQuotingSecretsIsHidden(t *testing.T) {
	const (
		subject = "SENTINEL-xq-subject-token-1"
		actor   = "SENTINEL-xq-actor-token-1"
		secret  = "SENTINEL-xq-client-secret-1"
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "xq-issued-access-token-1", "token_type": "Bearer", "expires_in": 3600,
			"issued_token_type": "urn:ietf:params:oauth:token-type:access_token " + actor,
			"aud":               []string{"ledger", subject, actor, secret}})
	}))
	defer srv.Close()
	dir := t.TempDir()
	write := func(name, v string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	e := newEnv(t, providertest.Options{}, strings.NewReplacer("{T}", srv.URL, "{S}", write("subject", subject), "{A}", write("actor", actor)).Replace(`
[connections.xq]
provider = "oauth2"
flow = "token_exchange"
token_url = "{T}/token"
client_id = "xq"
client_secret = "`+secret+`"
subject_token = "file:{S}"
actor_token = "file:{A}"
actor_token_type = "urn:ietf:params:oauth:token-type:jwt"
`))
	tok, err := e.svc.Token(e.ctx, "xq", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	st := e.state("xq")
	if st.Token == nil || !strings.HasPrefix(st.Token.Extra["audience"], "ledger") {
		t.Fatalf("the answer's aud was not kept: %v", st.Token)
	}
	for _, extra := range []map[string]string{tok.Extra, st.Token.Extra} {
		for k, v := range extra {
			for _, s := range []string{subject, actor, secret} {
				if strings.Contains(v, s) {
					t.Errorf("Extra[%s] = %q holds a secret", k, v)
				}
			}
		}
	}
}
