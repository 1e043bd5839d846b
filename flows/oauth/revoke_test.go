package oauth

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"tokentop/flows"
	"tokentop/flows/secret"
)

func TestRevoke(t *testing.T) {
	tests := map[string]struct {
		handler func(http.ResponseWriter, *http.Request, []byte)
		tok     flows.Token
		hints   []string
		err     string
	}{
		"refresh then access": {answer(200, ``), flows.Token{AccessToken: "access-token-1", RefreshToken: "refresh-token-1"}, []string{"refresh_token", "access_token"}, ""},
		"access only":         {answer(200, ``), flows.Token{AccessToken: "access-token-1"}, []string{"access_token"}, ""},
		"unsupported access token type is fine": {func(w http.ResponseWriter, r *http.Request, b []byte) {
			if strings.Contains(string(b), "hint=access_token") {
				answer(400, `{"error":"unsupported_token_type"}`)(w, r, b)
				return
			}
			w.WriteHeader(200)
		}, flows.Token{AccessToken: "access-token-1", RefreshToken: "refresh-token-1"}, []string{"refresh_token", "access_token"}, ""},
		"failure of both reported": {answer(503, `{"error":"temporarily_unavailable"}`), flows.Token{AccessToken: "access-token-1", RefreshToken: "refresh-token-1"}, []string{"refresh_token", "access_token"}, "revoking the refresh_token: temporarily_unavailable"},
		"echo redacted": {func(w http.ResponseWriter, r *http.Request, b []byte) {
			w.WriteHeader(500)
			r.Header.Write(w)
			w.Write(b)
		}, flows.Token{AccessToken: "access-token-1", RefreshToken: "refresh-token-1"}, []string{"refresh_token", "access_token"}, "HTTP 500"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newRecorder(t, tc.handler)
			te := newTestEndpoint(t, &flows.Connection{Provider: flows.OAuth2, ClientID: "cid", ClientSecret: secret.New("revoke-secret"), ClientAuth: flows.ClientAuthBasic, RevokeURL: srv.URL + "/revoke"})
			err := te.Revoke(context.Background(), &tc.tok)
			reqs := srv.requests()
			if len(reqs) != len(tc.hints) {
				t.Fatalf("%d requests, want %d", len(reqs), len(tc.hints))
			}
			for i, r := range reqs {
				f := form(t, r)
				want := tc.tok.AccessToken
				if tc.hints[i] == "refresh_token" {
					want = tc.tok.RefreshToken
				}
				if r.Method != "POST" || r.Path != "/revoke" || f.Get("token") != want || f.Get("token_type_hint") != tc.hints[i] {
					t.Errorf("request %d: %s %s %v", i, r.Method, r.Path, f)
				}
				if _, sec, ok := basicAuth(t, r); !ok || sec != "revoke-secret" {
					t.Errorf("client auth missing on revocation (RFC 7009 §2.1)")
				}
			}
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
			assertNoSecrets(t, "error", err.Error(), "access-token-1", "refresh-token-1", "revoke-secret")
			checkOneLine(t, err.Error())
		})
	}
}

func TestRevokeWithoutURL(t *testing.T) {
	te := newTestEndpoint(t, &flows.Connection{Provider: flows.Amino})
	if err := te.Revoke(context.Background(), &flows.Token{AccessToken: "a", RefreshToken: "r"}); err != nil {
		t.Fatal(err)
	}
}
