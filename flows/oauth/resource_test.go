package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"tokentop/flows"
	"tokentop/flows/secret"
	"unicode"
)

var testResources = []string{"https://api.example.com", "urn:example:ledger", "https://api.example.com/v2?tenant=a"}

// TestResourceOnEveryRequest: with resource configured, every grant, the
// refresh and the device authorization carry one resource parameter per
// value, in order (RFC 8707 §2); without it none carries the parameter.
func TestResourceOnEveryRequest(t *testing.T) {
	const deviceAnswer = `{"device_code":"dc-1","user_code":"ABCD-EFGH","verification_uri":"https://id.example/activate","expires_in":600,"interval":1}`
	calls := map[string]struct {
		flow   flows.Flow
		answer string
		call   func(e *endpoint) error
	}{
		"client_credentials": {flows.ClientCredentials, okToken, func(e *endpoint) error {
			_, err := e.ClientCredentials(context.Background())
			return err
		}},
		"password": {flows.Password, okToken, func(e *endpoint) error {
			_, err := e.Password(context.Background(), "dev", "user-password-1")
			return err
		}},
		"authorization_code": {flows.AuthorizationCode, okToken, func(e *endpoint) error {
			_, err := e.ExchangeCode(context.Background(), e.Connection().TokenURL, "code-1", "http://127.0.0.1:5555/cb", "verifier-0123456789-0123456789-0123456789-x", "")
			return err
		}},
		"refresh_token": {flows.AuthorizationCode, okToken, func(e *endpoint) error {
			_, err := e.Refresh(context.Background(), "old-refresh-token")
			return err
		}},
		"device authorization": {flows.DeviceCode, deviceAnswer, func(e *endpoint) error {
			_, err := e.DeviceAuth(context.Background())
			return err
		}},
		"device poll": {flows.DeviceCode, okToken, func(e *endpoint) error {
			_, err := e.DevicePoll(context.Background(), &flows.DeviceAuth{DeviceCode: "dc-1", Interval: 1})
			return err
		}},
	}
	for name, tc := range calls {
		for _, resource := range [][]string{testResources, nil} {
			t.Run(name+map[bool]string{true: " with resource", false: " without"}[resource != nil], func(t *testing.T) {
				srv := newRecorder(t, answer(200, tc.answer))
				c := flows.Connection{Provider: flows.OAuth2, Flow: tc.flow, ClientID: "cid", ClientSecret: secret.New("oauth-secret-1"),
					TokenURL: srv.URL + "/token", DeviceURL: srv.URL + "/device", Scopes: []string{"openid"}, Resource: resource}
				te := newTestEndpoint(t, &c)
				if err := tc.call(te.endpoint); err != nil {
					t.Fatal(err)
				}
				r := srv.last(t)
				f := form(t, r)
				if got := f["resource"]; !reflect.DeepEqual(got, resource) {
					t.Errorf("resource parameters %q, want %q (body %s)", got, resource, r.Body)
				}
				if n := strings.Count(string(r.Body), "resource="); n != len(resource) {
					t.Errorf("%d resource parameters in %s, want %d", n, r.Body, len(resource))
				}
			})
		}
	}
}

// TestResourceNotOnRevocation: revocation (RFC 7009) is no grant, so it
// carries no resource.
func TestResourceNotOnRevocation(t *testing.T) {
	srv := newRecorder(t, answer(200, `{}`))
	c := flows.Connection{Provider: flows.OAuth2, ClientID: "cid", ClientSecret: secret.New("oauth-secret-1"), RevokeURL: srv.URL + "/revoke", Resource: testResources}
	te := newTestEndpoint(t, &c)
	if err := te.revokeOne(context.Background(), c.RevokeURL, "refresh-token-1", "refresh_token"); err != nil {
		t.Fatal(err)
	}
	if f := form(t, srv.last(t)); f.Has("resource") {
		t.Errorf("revocation carries resource: %v", f)
	}
}

func TestAuthorizeURLResource(t *testing.T) {
	for name, tc := range map[string]struct {
		authURL  string
		resource []string
		want     string // the raw resource parameters, in order
	}{
		"three": {"https://id.example/authorize", testResources,
			"resource=https%3A%2F%2Fapi.example.com&resource=urn%3Aexample%3Aledger&resource=https%3A%2F%2Fapi.example.com%2Fv2%3Ftenant%3Da"},
		"one, auth_url with a query": {"https://id.example/authorize?prompt=login", testResources[:1], "resource=https%3A%2F%2Fapi.example.com"},
		"none":                       {"https://id.example/authorize", nil, ""},
	} {
		t.Run(name, func(t *testing.T) {
			te := newTestEndpoint(t, &flows.Connection{ClientID: "cid", Scopes: []string{"openid"}, Resource: tc.resource})
			raw := te.AuthorizeURL(tc.authURL, "code", "http://127.0.0.1:4000/cb", "state-123", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "")
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range strings.Split(u.RawQuery, "&") {
				if strings.HasPrefix(p, "resource=") {
					got = append(got, p)
				}
			}
			if strings.Join(got, "&") != tc.want {
				t.Errorf("resource parameters %q, want %q (%s)", strings.Join(got, "&"), tc.want, raw)
			}
			q := u.Query()
			if q.Get("client_id") != "cid" || q.Get("code_challenge") == "" || q.Get("state") != "state-123" {
				t.Errorf("the rest of the request is lost: %s", raw)
			}
			if strings.Contains(tc.authURL, "prompt=login") && q.Get("prompt") != "login" {
				t.Errorf("auth_url's own query lost: %s", raw)
			}
		})
	}
}

func jwt(payload string) string {
	return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".c2ln"
}

func TestAudienceOf(t *testing.T) {
	for name, tc := range map[string]struct {
		answer, access, want string
	}{
		"answer string":            {`{"aud":"https://api.example.com"}`, "opaque", "https://api.example.com"},
		"answer array":             {`{"aud":["https://a.example","https://b.example"]}`, "opaque", "https://a.example, https://b.example"},
		"answer wins over JWT":     {`{"aud":"https://a.example"}`, jwt(`{"aud":"https://b.example"}`), "https://a.example"},
		"JWT string":               {`{}`, jwt(`{"sub":"x","aud":"https://api.example.com"}`), "https://api.example.com"},
		"JWT array":                {`{}`, jwt(`{"aud":["a","b"]}`), "a, b"},
		"JWT without aud":          {`{}`, jwt(`{"sub":"x"}`), ""},
		"opaque":                   {`{}`, "oauth2_at_0123", ""},
		"aud a number":             {`{"aud":42}`, "opaque", ""},
		"aud null":                 {`{"aud":null}`, "opaque", ""},
		"JWT payload not base64":   {`{}`, "a.!!!.c", ""},
		"JWT payload not JSON":     {`{}`, "a." + base64.RawURLEncoding.EncodeToString([]byte("[1,2")) + ".c", ""},
		"escape sequences":         {`{"aud":"https://a.example\u001b[2J\u202e"}`, "opaque", "https://a.example [2J"},
		"too many":                 {`{"aud":["1","2","3","4","5","6","7","8","9","10","11","12"]}`, "opaque", "1, 2, 3, 4, 5, 6, 7, 8, 9, 10"},
		"empty values are skipped": {`{"aud":["","x"]}`, "opaque", "x"},
	} {
		t.Run(name, func(t *testing.T) {
			var f map[string]json.RawMessage
			if err := json.Unmarshal([]byte(tc.answer), &f); err != nil {
				t.Fatal(err)
			}
			if got := audienceOf(f, tc.access); got != tc.want {
				t.Errorf("audienceOf = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestTokenResponseAudience: the audience lands in Extra beside the other
// extras, and a token without one has no Extra at all.
func TestTokenResponseAudience(t *testing.T) {
	h := http.Header{"Content-Type": {"application/json"}}
	tok, err := parseTokenResponse(200, h, []byte(`{"access_token":"at-1","token_type":"bearer","expires_in":60,"aud":"https://api.example.com","account_subdomain":"acme"}`), sentAt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"audience": "https://api.example.com", "account_subdomain": "acme"}; !reflect.DeepEqual(tok.Extra, want) {
		t.Errorf("Extra = %v, want %v", tok.Extra, want)
	}
	tok, err = parseTokenResponse(200, h, []byte(`{"access_token":"at-1","token_type":"bearer","expires_in":60}`), sentAt, nil)
	if err != nil || tok.Extra != nil {
		t.Errorf("without aud: Extra = %v, %v", tok.Extra, err)
	}
}

func FuzzAudience(f *testing.F) {
	f.Add([]byte(`{"aud":"https://api.example.com"}`), jwt(`{"aud":["a","b"]}`))
	f.Add([]byte(`{"aud":["x",1]}`), "a.b.c")
	f.Add([]byte(`{}`), jwt(`{"aud":"\u001b]52;c;e30=\u0007"}`))
	f.Add([]byte(`{"aud":null}`), "..")
	f.Fuzz(func(t *testing.T, answer []byte, access string) {
		var fields map[string]json.RawMessage
		if json.Unmarshal(answer, &fields) != nil {
			fields = nil
		}
		got := audienceOf(fields, access)
		if len([]rune(got)) > maxAudienceLen+1 {
			t.Fatalf("audience of %d runes", len([]rune(got)))
		}
		if strings.ContainsFunc(got, func(r rune) bool { return !unicode.IsPrint(r) }) {
			t.Fatalf("unprintable audience %q", got)
		}
	})
}
