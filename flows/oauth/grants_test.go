package oauth

import (
	"context"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
	"tokentop/flows"
	"tokentop/flows/fault"
	"tokentop/flows/redact"
	"tokentop/flows/secret"
)

// form parses a recorded form body, failing on anything else.
func form(t *testing.T, r seenRequest) url.Values {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Fatalf("content type %q", ct)
	}
	v, err := url.ParseQuery(string(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// basicAuth decodes a Basic header the way RFC 6749 §2.3.1 servers do.
func basicAuth(t *testing.T, r seenRequest) (id, secret string, ok bool) {
	t.Helper()
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", "", false
	}
	enc, found := strings.CutPrefix(h, "Basic ")
	if !found {
		t.Fatalf("authorization %q", h)
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		t.Fatal(err)
	}
	i, s, _ := strings.Cut(string(raw), ":")
	id, err1 := url.QueryUnescape(i)
	secret, err2 := url.QueryUnescape(s)
	if err1 != nil || err2 != nil {
		t.Fatalf("basic credentials not form-encoded: %q", raw)
	}
	return id, secret, true
}

func wantForm(t *testing.T, got url.Values, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("form %v, want exactly %v", got, want)
	}
	for k, v := range want {
		if got.Get(k) != v || len(got[k]) != 1 {
			t.Errorf("form %s = %q, want %q", k, got[k], v)
		}
	}
}

// TestGrantWireFormats checks each provider's requests field by field.
func TestGrantWireFormats(t *testing.T) {
	type check func(t *testing.T, r seenRequest)
	tests := map[string]struct {
		conn    flows.Connection
		call    func(e *endpoint, tokenURL string) (*flows.Token, error)
		answer  string
		path    string
		check   check
		refresh string // expected RefreshToken of the result
		life    time.Duration
	}{
		"aikido client_credentials basic": {
			conn:   flows.Connection{Provider: flows.Aikido, ClientID: "AIK_CLIENT_1", ClientSecret: secret.New("aik-secret-1"), ClientAuth: flows.ClientAuthBasic},
			call:   func(e *endpoint, _ string) (*flows.Token, error) { return e.ClientCredentials(context.Background()) },
			answer: `{"access_token":"aik-at","token_type":"Bearer","expires_in":3600}`,
			path:   "/api/oauth/token",
			check: func(t *testing.T, r seenRequest) {
				id, sec, ok := basicAuth(t, r)
				if !ok || id != "AIK_CLIENT_1" || sec != "aik-secret-1" {
					t.Errorf("basic %q %q %v", id, sec, ok)
				}
				wantForm(t, form(t, r), map[string]string{"grant_type": "client_credentials"})
			},
			life: time.Hour,
		},
		"aikido default auth is basic": {
			conn:   flows.Connection{Provider: flows.Aikido, ClientID: "AIK", ClientSecret: secret.New("aik-secret-2")},
			call:   func(e *endpoint, _ string) (*flows.Token, error) { return e.ClientCredentials(context.Background()) },
			answer: `{"access_token":"aik-at","token_type":"Bearer","expires_in":3600}`,
			path:   "/api/oauth/token",
			check: func(t *testing.T, r seenRequest) {
				if _, _, ok := basicAuth(t, r); !ok {
					t.Error("no basic auth")
				}
				if f := form(t, r); f.Has("client_secret") || f.Has("client_id") {
					t.Errorf("credentials in body too: %v", f)
				}
			},
			life: time.Hour,
		},
		"aikido code exchange basic": {
			conn: flows.Connection{Provider: flows.Aikido, ClientID: "AIK", ClientSecret: secret.New("aik-secret-3"), ClientAuth: flows.ClientAuthBasic},
			call: func(e *endpoint, u string) (*flows.Token, error) {
				return e.ExchangeCode(context.Background(), u, "the-code-1", "http://127.0.0.1:5555/callback", "verifier-0123456789-0123456789-0123456789-xyz", "")
			},
			answer: `{"access_token":"aik-at","token_type":"Bearer","expires_in":3600,"refresh_token":"aik-rt"}`,
			path:   "/api/oauth/token",
			check: func(t *testing.T, r seenRequest) {
				if _, sec, ok := basicAuth(t, r); !ok || sec != "aik-secret-3" {
					t.Error("no basic auth")
				}
				wantForm(t, form(t, r), map[string]string{"grant_type": "authorization_code", "code": "the-code-1", "redirect_uri": "http://127.0.0.1:5555/callback", "code_verifier": "verifier-0123456789-0123456789-0123456789-xyz"})
			},
			refresh: "aik-rt",
			life:    time.Hour,
		},
		"aikido refresh basic keeps old refresh token": {
			conn: flows.Connection{Provider: flows.Aikido, ClientID: "AIK", ClientSecret: secret.New("aik-secret-4"), ClientAuth: flows.ClientAuthBasic},
			call: func(e *endpoint, _ string) (*flows.Token, error) {
				return e.Refresh(context.Background(), "old-refresh-token")
			},
			answer: `{"access_token":"aik-at2","token_type":"Bearer","expires_in":3600}`,
			path:   "/api/oauth/token",
			check: func(t *testing.T, r seenRequest) {
				if _, _, ok := basicAuth(t, r); !ok {
					t.Error("no basic auth")
				}
				wantForm(t, form(t, r), map[string]string{"grant_type": "refresh_token", "refresh_token": "old-refresh-token"})
			},
			refresh: "old-refresh-token",
			life:    time.Hour,
		},
		"aha code exchange body, no expiry": {
			conn: flows.Connection{Provider: flows.Aha, ClientID: "a73bbb26", ClientSecret: secret.New("467b9a301fedac"), ClientAuth: flows.ClientAuthBody},
			call: func(e *endpoint, u string) (*flows.Token, error) {
				return e.ExchangeCode(context.Background(), u, "10dbffca01", "http://lvh.me/app_callback.html", "", "")
			},
			answer: `{"access_token":"1d08ddc8c781ca1a","token_type":"bearer"}`,
			path:   "/oauth/token",
			check: func(t *testing.T, r seenRequest) {
				if r.Header.Get("Authorization") != "" {
					t.Error("authorization header with body auth")
				}
				wantForm(t, form(t, r), map[string]string{"client_id": "a73bbb26", "client_secret": "467b9a301fedac", "code": "10dbffca01", "grant_type": "authorization_code", "redirect_uri": "http://lvh.me/app_callback.html"})
			},
		},
		"aerion password with tenant header": {
			conn: flows.Connection{Provider: flows.Aerion, ClientID: "tokentop", ClientSecret: secret.New("tokentop"), ClientAuth: flows.ClientAuthBody, CompanyURL: "acme.aerion.app"},
			call: func(e *endpoint, _ string) (*flows.Token, error) {
				return e.Password(context.Background(), "me@example.com", "pa ss:w%rd&=")
			},
			answer: `{"access_token":"aer-at","token_type":"bearer","expires_in":3600,"refresh_token":"aer-rt"}`,
			path:   "/oauth2/token",
			check: func(t *testing.T, r seenRequest) {
				if got := r.Header.Get("companyurl"); got != "acme.aerion.app" {
					t.Errorf("companyurl %q", got)
				}
				wantForm(t, form(t, r), map[string]string{"grant_type": "password", "username": "me@example.com", "password": "pa ss:w%rd&=", "client_id": "tokentop", "client_secret": "tokentop"})
			},
			refresh: "aer-rt",
			life:    time.Hour,
		},
		"aerion refresh carries tenant header": {
			conn: flows.Connection{Provider: flows.Aerion, ClientID: "tokentop", ClientSecret: secret.New("tokentop"), CompanyURL: "acme.aerion.app", Headers: map[string]string{"X-Extra": "1"}},
			call: func(e *endpoint, _ string) (*flows.Token, error) {
				return e.Refresh(context.Background(), "aer-old-rt")
			},
			answer: `{"access_token":"aer-at2","token_type":"bearer","expires_in":3600,"refresh_token":"aer-rt2"}`,
			path:   "/oauth2/token",
			check: func(t *testing.T, r seenRequest) {
				if got := r.Header.Get("companyurl"); got != "acme.aerion.app" {
					t.Errorf("companyurl %q on refresh", got)
				}
				if r.Header.Get("X-Extra") != "1" {
					t.Error("configured header missing")
				}
				wantForm(t, form(t, r), map[string]string{"grant_type": "refresh_token", "refresh_token": "aer-old-rt", "client_id": "tokentop", "client_secret": "tokentop"})
			},
			refresh: "aer-rt2",
			life:    time.Hour,
		},
		"oauth2 params headers scopes": {
			conn: flows.Connection{Provider: flows.OAuth2, ClientID: "cid", ClientSecret: secret.New("oauth-secret"), ClientAuth: flows.ClientAuthBody,
				Scopes: []string{"read", "write"}, Params: map[string]string{"audience": "api://x", "grant_type": "evil"}, Headers: map[string]string{"X-Tenant": "t1"}},
			call:   func(e *endpoint, _ string) (*flows.Token, error) { return e.ClientCredentials(context.Background()) },
			answer: `{"access_token":"o-at","token_type":"bearer","expires_in":"600","scope":"read"}`,
			path:   "/token",
			check: func(t *testing.T, r seenRequest) {
				if r.Header.Get("X-Tenant") != "t1" {
					t.Error("configured header missing")
				}
				if r.Header.Get("Accept") != "application/json" {
					t.Error("accept")
				}
				wantForm(t, form(t, r), map[string]string{"grant_type": "client_credentials", "scope": "read write", "audience": "api://x", "client_id": "cid", "client_secret": "oauth-secret"})
			},
			life: 10 * time.Minute,
		},
		"public client sends client_id only": {
			conn: flows.Connection{Provider: flows.OAuth2, ClientID: "public-app", ClientAuth: flows.ClientAuthBasic},
			call: func(e *endpoint, u string) (*flows.Token, error) {
				return e.ExchangeCode(context.Background(), u, "code-9", "", "verifier-9", "")
			},
			answer: okToken,
			path:   "/token",
			check: func(t *testing.T, r seenRequest) {
				if r.Header.Get("Authorization") != "" {
					t.Error("basic header without a secret")
				}
				wantForm(t, form(t, r), map[string]string{"grant_type": "authorization_code", "code": "code-9", "code_verifier": "verifier-9", "client_id": "public-app"})
			},
			refresh: "new-refresh-token",
			life:    time.Hour,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newRecorder(t, answer(200, tc.answer))
			c := tc.conn
			c.TokenURL = srv.URL + tc.path
			te := newTestEndpoint(t, &c)
			tok, err := tc.call(te.endpoint, c.TokenURL)
			if err != nil {
				t.Fatal(err)
			}
			reqs := srv.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			if r.Method != "POST" || r.Path != tc.path {
				t.Errorf("%s %s", r.Method, r.Path)
			}
			tc.check(t, r)
			if tok.RefreshToken != tc.refresh {
				t.Errorf("refresh token %q, want %q", tok.RefreshToken, tc.refresh)
			}
			if tc.life == 0 && tok.HasExpiry() {
				t.Errorf("expiry %v, want none", tok.Expiry)
			}
			if tc.life != 0 && !tok.Expiry.Equal(testNow.Add(tc.life)) {
				t.Errorf("expiry %v, want %v", tok.Expiry, testNow.Add(tc.life))
			}
			// Every secret the endpoint touched is now hidden in logs.
			for _, s := range []string{tok.AccessToken, tok.RefreshToken} {
				if len(s) >= redact.MinLen && strings.Contains(te.red.Redact(s), s) {
					t.Errorf("%q not added to the redactor", s)
				}
			}
		})
	}
}

// TestBasicAuthEncoding: RFC 6749 §2.3.1 form-encodes id and secret before
// base64, so reserved characters round-trip.
func TestBasicAuthEncoding(t *testing.T) {
	for _, pair := range [][2]string{
		{"id:with:colons", "se:cret"},
		{"100%", "50% off+tax"},
		{"spa ce", "s p a c e"},
		{"ünï", "🔑key/?#&="},
	} {
		srv := newRecorder(t, answer(200, okToken))
		te := newTestEndpoint(t, &flows.Connection{Provider: flows.Aikido, ClientID: pair[0], ClientSecret: secret.New(pair[1]), ClientAuth: flows.ClientAuthBasic, TokenURL: srv.URL})
		if _, err := te.ClientCredentials(context.Background()); err != nil {
			t.Fatal(err)
		}
		id, sec, ok := basicAuth(t, srv.last(t))
		if !ok || id != pair[0] || sec != pair[1] {
			t.Errorf("round trip %q %q -> %q %q", pair[0], pair[1], id, sec)
		}
		if f := form(t, srv.last(t)); f.Has("client_id") || f.Has("client_secret") {
			t.Errorf("credentials in body too: %s", srv.last(t).Body)
		}
	}
}

func TestAuthorizeURL(t *testing.T) {
	tests := map[string]struct {
		conn                  flows.Connection
		authURL, rt, verifier string
		want                  map[string]string
		absent                []string
	}{
		"aha code": {flows.Connection{ClientID: "a73b"}, "https://acme.aha.io/oauth/authorize", "code", "",
			map[string]string{"client_id": "a73b", "redirect_uri": "http://127.0.0.1:4000/cb", "response_type": "code", "state": "state-123"}, []string{"code_challenge", "scope"}},
		"aha implicit": {flows.Connection{ClientID: "a73b"}, "https://secure.aha.io/oauth/authorize", "token", "ignored-verifier",
			map[string]string{"response_type": "token", "state": "state-123"}, []string{"code_challenge", "code_challenge_method"}},
		"pkce and scopes": {flows.Connection{ClientID: "cid", Scopes: []string{"openid", "email"}}, "https://id.example/authorize?prompt=login", "code", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
			map[string]string{"code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256", "scope": "openid email", "prompt": "login"}, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			te := newTestEndpoint(t, &tc.conn)
			raw := te.AuthorizeURL(tc.authURL, tc.rt, "http://127.0.0.1:4000/cb", "state-123", tc.verifier, "")
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			for k, v := range tc.want {
				if q.Get(k) != v {
					t.Errorf("%s = %q, want %q (%s)", k, q.Get(k), v, raw)
				}
			}
			for _, k := range tc.absent {
				if q.Has(k) {
					t.Errorf("%s present: %s", k, raw)
				}
			}
		})
	}
}

func TestTokenFromFragment(t *testing.T) {
	v, _ := url.ParseQuery("access_token=frag-token&token_type=bearer&expires_in=7200&scope=a+b&account_subdomain=acme&state=s")
	tok, err := tokenFromFragment(v, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "frag-token" || !tok.Expiry.Equal(testNow.Add(2*time.Hour)) || tok.Extra["account_subdomain"] != "acme" || strings.Join(tok.Scopes, ",") != "a,b" {
		t.Errorf("token %+v", *tok)
	}
	v, _ = url.ParseQuery("access_token=aha-token&token_type=bearer")
	if tok, err = tokenFromFragment(v, testNow); err != nil || tok.HasExpiry() {
		t.Errorf("aha fragment: %v %v", tok, err)
	}
	v, _ = url.ParseQuery("error=access_denied&error_description=The+user+said+no%1B%5B2J")
	_, err = tokenFromFragment(v, testNow)
	var pe *fault.ProviderError
	if !errors.As(err, &pe) || pe.Code != "access_denied" || strings.ContainsRune(err.Error(), 0x1b) {
		t.Errorf("error fragment: %v", err)
	}
	for _, bad := range []string{"token_type=bearer", "access_token=x&token_type=mac", "access_token=x&expires_in=-3"} {
		v, _ = url.ParseQuery(bad)
		if _, err := tokenFromFragment(v, testNow); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestProviderErrorFormat(t *testing.T) {
	tests := map[string]struct {
		e    fault.ProviderError
		want string
	}{
		"code and description": {fault.ProviderError{Status: 400, Code: "invalid_grant", Description: "refresh token expired"}, "invalid_grant: refresh token expired"},
		"code only":            {fault.ProviderError{Status: 400, Code: "invalid_grant"}, "invalid_grant"},
		"no code":              {fault.ProviderError{Status: 503, Description: "maintenance"}, "maintenance (HTTP 503)"},
		"nothing":              {fault.ProviderError{Status: 500}, "(HTTP 500)"},
	}
	for name, tc := range tests {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("%s: %q, want %q", name, got, tc.want)
		}
	}
	wrapped := errors.Join(errors.New("renewing"), &fault.ProviderError{Code: "invalid_grant"})
	if !fault.IsInvalidGrant(wrapped) || fault.IsInvalidGrant(&fault.ProviderError{Code: "invalid_client"}) || fault.IsInvalidGrant(nil) {
		t.Error("IsInvalidGrant")
	}
	if !errors.Is(&fault.ProviderError{Code: "invalid_token"}, fault.ErrInvalidToken) || errors.Is(&fault.ProviderError{Code: "invalid_grant"}, fault.ErrInvalidToken) {
		t.Error("Is ErrInvalidToken")
	}
}
