package config

import (
	"strconv"
	"strings"
	"testing"
)

// TestInvalidTOMLNeverQuotesASecret: a line holding a secret that is not
// valid TOML (the value left unquoted, a stray character after it) gets an
// error naming the file and line, never the parser's message, which quotes
// the text it found: the encryption key, the [team] key and header values
// (Authorization) included.
func TestInvalidTOMLNeverQuotesASecret(t *testing.T) {
	const sent = "SENTINELvalue0123" // no word that marks a secret line
	conn := "[connections.a]\nprovider = \"oauth2\"\nflow = \"token_exchange\"\ntoken_url = \"https://idp.example/token\"\nclient_id = \"a\"\n"
	for _, tc := range []struct{ table, key string }{
		{"", "encryption"},
		{"[team]\nendpoints = [\"https://etcd.example:2379\"]\n", "key"},
		{"[team]\nendpoints = [\"https://etcd.example:2379\"]\n", "password"},
		{conn, "client_secret"},
		{conn, "password"},
		{conn, "api_key"},
		{conn, "private_key"},
		{conn, "subject_token"},
		{conn, "actor_token"},
		{conn, "headers = { Authorization"},
		{conn + "[connections.a.headers]\n", "Authorization"},
	} {
		for _, form := range []string{"%s = " + sent, "%s = \"" + sent + "\" " + sent, "%s = '" + sent + "' x"} {
			line := strings.Replace(form, "%s", tc.key, 1)
			conf := tc.table + line + "\n"
			want := "config.toml:" + strconv.Itoa(strings.Count(conf, "\n")) + ": invalid TOML"
			_, err := Parse("config.toml", []byte(conf))
			switch {
			case err == nil:
				t.Errorf("%q: no error", line)
			case strings.Contains(err.Error(), "SENTINEL"):
				t.Errorf("%q: the error quotes the secret: %v", line, err)
			case !strings.HasPrefix(err.Error(), want):
				t.Errorf("%q: error %q, want it to start %q", line, err, want)
			}
		}
	}
	// A line with no secret keeps the parser's details.
	_, err := Parse("config.toml", []byte("refresh_before = fivemin\n"))
	if err == nil || !strings.Contains(err.Error(), "expected value but found") {
		t.Errorf("a plain syntax error lost its details: %v", err)
	}
}
