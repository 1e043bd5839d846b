package oauth

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"tokentop/flows"
	"tokentop/flows/callback"
	"tokentop/flows/secret"
)

func TestDiscover(t *testing.T) {
	var issuer string
	var doc func(base string) string
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		switch r.URL.Path {
		case "/realm/.well-known/openid-configuration":
			answer(200, doc(issuer))(w, r, nil)
		case "/realm/token":
			answer(200, okToken)(w, r, nil)
		default:
			w.WriteHeader(404)
		}
	})
	issuer = srv.URL + "/realm"
	good := func(base string) string {
		return `{"issuer":"` + base + `","authorization_endpoint":"` + base + `/auth","token_endpoint":"` + base + `/token","revocation_endpoint":"` + base + `/revoke","device_authorization_endpoint":"` + base + `/device","userinfo_endpoint":"` + base + `/userinfo"}`
	}
	tests := map[string]struct {
		doc  func(string) string
		conn flows.Connection
		err  string
	}{
		"fills empty urls": {good, flows.Connection{}, ""},
		"keeps configured": {good, flows.Connection{CheckURL: "https://api.example.com/me"}, ""},
		"issuer mismatch": {func(string) string {
			return `{"issuer":"https://evil.example","token_endpoint":"https://evil.example/token"}`
		}, flows.Connection{}, "names issuer"},
		"plain http endpoint": {func(base string) string {
			return `{"issuer":"` + base + `","token_endpoint":"http://evil.example/token"}`
		}, flows.Connection{}, "plain http"},
		"no token endpoint": {func(base string) string { return `{"issuer":"` + base + `"}` }, flows.Connection{}, "no token_endpoint"},
		"html":              {func(string) string { return `<html><title>x</title>` }, flows.Connection{}, "returned HTML"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			doc = tc.doc
			c := tc.conn
			c.Provider, c.Issuer, c.ClientID = flows.OAuth2, issuer, "cid"
			origToken, origCheck := c.TokenURL, c.CheckURL
			te := newTestEndpoint(t, &c)
			err := te.discover(context.Background())
			if c.TokenURL != origToken || c.CheckURL != origCheck {
				t.Error("discovery changed the caller's connection")
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				if te.Connection().TokenURL != "" {
					t.Error("failed discovery filled URLs")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := te.Connection()
			if got.TokenURL != issuer+"/token" || got.AuthURL != issuer+"/auth" || got.RevokeURL != issuer+"/revoke" || got.DeviceURL != issuer+"/device" {
				t.Errorf("conn %+v", got)
			}
			if want := tc.conn.CheckURL; want != "" && got.CheckURL != want {
				t.Errorf("configured check_url replaced: %s", got.CheckURL)
			} else if want == "" && got.CheckURL != issuer+"/userinfo" {
				t.Errorf("check_url %s", got.CheckURL)
			}
			n := len(srv.requests())
			if err := te.discover(context.Background()); err != nil {
				t.Fatal(err)
			}
			if len(srv.requests()) != n {
				t.Error("discovery not cached")
			}
		})
	}
}

// TestDiscoverOnDemand: a grant on a connection with only an issuer
// discovers its token endpoint first.
func TestDiscoverOnDemand(t *testing.T) {
	var base string
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if strings.HasSuffix(r.URL.Path, "openid-configuration") {
			answer(200, `{"issuer":"`+base+`","token_endpoint":"`+base+`/token"}`)(w, r, nil)
			return
		}
		answer(200, okToken)(w, r, nil)
	})
	base = srv.URL
	te := newTestEndpoint(t, &flows.Connection{Provider: flows.OAuth2, Issuer: base + "/", ClientID: "c", ClientSecret: secret.New("secret-value")})
	// A trailing slash in the configured issuer must match exactly too.
	if _, err := te.ClientCredentials(context.Background()); err == nil || !strings.Contains(err.Error(), "names issuer") {
		t.Fatalf("err = %v", err)
	}
	te = newTestEndpoint(t, &flows.Connection{Provider: flows.OAuth2, Issuer: base, ClientID: "c", ClientSecret: secret.New("secret-value")})
	tok, err := te.ClientCredentials(context.Background())
	if err != nil || tok.AccessToken != "new-access-token" {
		t.Fatalf("tok %v err %v", tok, err)
	}
	if r := srv.last(t); r.Path != "/token" {
		t.Errorf("last request %s", r.Path)
	}
}

// TestDiscoverIssParameter: the listener of a browser sign-in requires iss
// exactly when the metadata says authorization_response_iss_parameter_supported
// true (RFC 9207 §3), and always compares with the connection's issuer; a
// connection without an issuer checks nothing.
func TestDiscoverIssParameter(t *testing.T) {
	var base, flag string
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		answer(200, `{"issuer":"`+base+`","token_endpoint":"`+base+`/token"`+flag+`}`)(w, r, nil)
	})
	base = srv.URL
	for _, tc := range []struct {
		flag     string
		required bool
	}{
		{`,"authorization_response_iss_parameter_supported":true`, true},
		{`,"authorization_response_iss_parameter_supported":false`, false},
		{`,"authorization_response_iss_parameter_supported":"true"`, false},
		{`,"authorization_response_iss_parameter_supported":null`, false},
		{``, false},
	} {
		flag = tc.flag
		te := newTestEndpoint(t, &flows.Connection{Provider: flows.OAuth2, Issuer: base, ClientID: "c"})
		if err := te.discover(context.Background()); err != nil {
			t.Fatalf("%s: %v", tc.flag, err)
		}
		if got := te.issuer(); got != (callback.Issuer{ID: base, Required: tc.required}) {
			t.Errorf("%s: issuer check %+v, want required=%v", tc.flag, got, tc.required)
		}
	}
	te := newTestEndpoint(t, &flows.Connection{Provider: flows.OAuth2, TokenURL: base + "/token", ClientID: "c"})
	if err := te.discover(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := te.issuer(); got != (callback.Issuer{}) {
		t.Errorf("without an issuer: %+v, want none", got)
	}
}
