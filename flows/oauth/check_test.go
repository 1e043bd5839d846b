package oauth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"tokentop/flows"
	"tokentop/flows/fault"
)

func TestCheck(t *testing.T) {
	elsewhere := newRecorder(t, answer(200, `{}`))
	tests := map[string]struct {
		handler  func(http.ResponseWriter, *http.Request, []byte)
		status   int
		ok       bool
		ckErr    string
		invalid  bool // err matches ErrInvalidToken
		noAnswer bool
	}{
		"ok": {answer(200, `{"email":"me@example.com"}`), 200, true, "", false, false},
		"401 invalid_token": {func(w http.ResponseWriter, _ *http.Request, _ []byte) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="invalid_token", error_description="The access token expired"`)
			w.WriteHeader(401)
		}, 401, false, "invalid_token: The access token expired", true, false},
		"401 bare": {answer(401, ``), 401, false, "invalid_token", true, false},
		"403 insufficient_scope": {func(w http.ResponseWriter, _ *http.Request, _ []byte) {
			w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="admin"`)
			w.WriteHeader(403)
		}, 403, false, "insufficient_scope", false, false},
		"403 plain": {answer(403, ``), 403, false, "HTTP 403", false, false},
		"404":       {answer(404, ``), 404, false, "HTTP 404", false, false},
		"redirect not followed": {func(w http.ResponseWriter, r *http.Request, _ []byte) {
			http.Redirect(w, r, elsewhere.URL+"/collect", http.StatusFound)
		}, 302, false, "check_url redirected to another location (HTTP 302): not followed", false, false},
		"no answer": {hangup, 0, false, "no answer", false, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newRecorder(t, tc.handler)
			te := newTestEndpoint(t, &flows.Connection{Provider: flows.OAuth2, CheckURL: srv.URL + "/me"})
			ck, err := te.Check(context.Background(), &flows.Token{AccessToken: "bearer-value-1"})
			if ck == nil {
				t.Fatalf("no Check, err %v", err)
			}
			r := srv.last(t)
			if r.Method != "GET" || r.Path != "/me" || r.Header.Get("Authorization") != "Bearer bearer-value-1" {
				t.Errorf("request %s %s %q", r.Method, r.Path, r.Header.Get("Authorization"))
			}
			if ck.Status != tc.status || ck.OK() != tc.ok || !strings.Contains(ck.Err, tc.ckErr) {
				t.Errorf("check %+v", *ck)
			}
			checkOneLine(t, ck.Err)
			if errors.Is(err, fault.ErrInvalidToken) != tc.invalid {
				t.Errorf("err %v: invalid token = %v", err, !tc.invalid)
			}
			if (err != nil) != (tc.invalid || tc.noAnswer) {
				t.Errorf("err = %v", err)
			}
			if tc.status == 403 && strings.Contains(tc.ckErr, "scope") && !strings.Contains(ck.Err, "check scopes") {
				t.Errorf("no hint in %q", ck.Err)
			}
		})
	}
	if n := len(elsewhere.requests()); n != 0 {
		t.Fatalf("the bearer followed a redirect: %d requests", n)
	}
}
