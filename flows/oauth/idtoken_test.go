package oauth

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"tokentop/flows"
)

// rawIDToken is an id_token that no key verifies; it must never be quoted.
const rawIDToken = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1LTEifQ.c2lnbmF0dXJlLXRoYXQtaXMtc2VjcmV0"

func idTokenAnswer() string {
	return strings.TrimSuffix(okToken, "}") + `,"id_token":"` + rawIDToken + `"}`
}

// TestIDTokenWithoutIssuer: a connection without issuer has nothing to
// check an id_token against: it is dropped with a remark, its claims never
// kept, and no other request is made.
func TestIDTokenWithoutIssuer(t *testing.T) {
	srv := newRecorder(t, answer(200, idTokenAnswer()))
	c := flows.Connection{Provider: flows.OAuth2, Flow: flows.AuthorizationCode, ClientID: "cid", TokenURL: srv.URL + "/token"}
	te := newTestEndpoint(t, &c)
	tok, err := te.ExchangeCode(context.Background(), c.TokenURL, "code-1", "http://127.0.0.1:5555/cb", "", "nonce-1")
	if err != nil {
		t.Fatal(err)
	}
	want := "id_token not verified, not kept: the connection names no issuer"
	if len(tok.Notes) != 1 || tok.Notes[0] != want {
		t.Fatalf("notes %q, want %q", tok.Notes, want)
	}
	for k := range tok.Extra {
		if strings.HasPrefix(k, flows.IDClaimPrefix) {
			t.Fatalf("claims kept: %v", tok.Extra)
		}
	}
	if n := len(srv.requests()); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

// TestIDTokenKeys: the JWKS comes from discovery's jwks_uri, which must be
// https like every other URL of the metadata; a failure to get keys refuses
// the sign-in without quoting the id_token, and revokes the answer's tokens.
func TestIDTokenKeys(t *testing.T) {
	var issuer string
	tests := map[string]struct {
		jwks     string // the jwks_uri member, {ISSUER} replaced
		jwksCode int
		err      string
		wire     []string
	}{
		"jwks_uri over plain http": {jwks: `,"jwks_uri":"http://evil.example/jwks"`,
			err: "sign-in refused: id_token cannot be verified: discovery: jwks_uri uses plain http to evil.example: refusing to send credentials unencrypted, use https",
			// The revocation tries discovery again for its URL, and
			// fails the same way: nothing is revoked.
			wire: []string{"POST /token", "GET /.well-known/openid-configuration", "GET /.well-known/openid-configuration"}},
		"no jwks_uri": {
			err:  "sign-in refused: id_token cannot be verified: the issuer's metadata has no jwks_uri",
			wire: []string{"POST /token", "GET /.well-known/openid-configuration", "POST /revoke", "POST /revoke"}},
		"JWKS not found": {jwks: `,"jwks_uri":"{ISSUER}/jwks"`, jwksCode: 404,
			err:  "sign-in refused: id_token cannot be verified: jwks_uri: HTTP 404",
			wire: []string{"POST /token", "GET /.well-known/openid-configuration", "GET /jwks", "POST /revoke", "POST /revoke"}},
		"JWKS without keys": {jwks: `,"jwks_uri":"{ISSUER}/jwks"`, jwksCode: 200,
			err:  "sign-in refused: id_token cannot be verified: jwks_uri: the JWKS has no usable signing key",
			wire: []string{"POST /token", "GET /.well-known/openid-configuration", "GET /jwks", "POST /revoke", "POST /revoke"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
				switch r.URL.Path {
				case "/.well-known/openid-configuration":
					answer(200, `{"issuer":"`+issuer+`","token_endpoint":"`+issuer+`/token","revocation_endpoint":"`+issuer+`/revoke"`+strings.ReplaceAll(tc.jwks, "{ISSUER}", issuer)+`}`)(w, r, nil)
				case "/token":
					answer(200, idTokenAnswer())(w, r, nil)
				case "/jwks":
					answer(tc.jwksCode, `{"keys":[]}`)(w, r, nil)
				default:
					w.WriteHeader(200)
				}
			})
			issuer = srv.URL
			c := flows.Connection{Provider: flows.OAuth2, Flow: flows.AuthorizationCode, ClientID: "cid", Issuer: issuer, TokenURL: issuer + "/token"}
			te := newTestEndpoint(t, &c)
			tok, err := te.ExchangeCode(context.Background(), c.TokenURL, "code-1", "http://127.0.0.1:5555/cb", "", "nonce-1")
			if err == nil || err.Error() != tc.err || tok != nil {
				t.Fatalf("err = %v\nwant %s", err, tc.err)
			}
			var got []string
			for _, r := range srv.requests() {
				got = append(got, r.Method+" "+r.Path)
			}
			if strings.Join(got, ", ") != strings.Join(tc.wire, ", ") {
				t.Fatalf("requests %q, want %q", got, tc.wire)
			}
			if strings.Contains(te.logBuf.String(), rawIDToken[40:]) || strings.Contains(err.Error(), rawIDToken[40:]) {
				t.Fatal("the id_token leaked into the log or the error")
			}
		})
	}
}
