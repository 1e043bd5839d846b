package providertest

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTest(t *testing.T, opts Options) (*Server, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	s := New(opts)
	t.Cleanup(s.Close)
	return s, clk
}

// basicHeader encodes id and secret as RFC 6749 §2.3.1 says.
func basicHeader(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// rawBasic encodes without the form-encoding step, as a careless client does.
func rawBasic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

type answer struct {
	Status int
	Header http.Header
	Body   string
	JSON   map[string]any
}

func (a answer) str(key string) string {
	v, _ := a.JSON[key].(string)
	return v
}

func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
	_ = json.Unmarshal(b, &a.JSON)
	return a
}

// post sends form to u with the given headers ("Authorization", …).
func post(t *testing.T, u string, form url.Values, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, req)
}

func get(t *testing.T, u string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, req)
}

func bearerGet(t *testing.T, u, token string) answer {
	t.Helper()
	return get(t, u, "Authorization", "Bearer "+token)
}

// location returns the redirect of an authorize answer, failing unless it
// is a 302.
func location(t *testing.T, a answer) *url.URL {
	t.Helper()
	if a.Status != http.StatusFound {
		t.Fatalf("status %d, want 302; body %s", a.Status, a.Body)
	}
	u, err := url.Parse(a.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func wantOAuthError(t *testing.T, a answer, status int, code string) {
	t.Helper()
	if a.Status != status || a.str("error") != code {
		t.Fatalf("got %d %s, want %d error %q", a.Status, a.Body, status, code)
	}
}

const loopback = "http://127.0.0.1:45678/callback"

func verifier() string { return strings.Repeat("a1-_", 11) }

// callback is a stand-in for tokentop's loopback listener, including the
// implicit-grant relay.
type callback struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []string // "METHOD path?query body content-type"
}

func newCallback(t *testing.T) *callback {
	c := &callback{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.reqs = append(c.reqs, r.Method+" "+r.URL.RequestURI()+" "+string(b)+" "+r.Header.Get("Content-Type"))
		c.mu.Unlock()
		if r.URL.Query().Get("error") != "" {
			http.Error(w, "sign-in refused", http.StatusBadRequest)
			return
		}
		io.WriteString(w, "<script>relay</script>")
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *callback) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.reqs...)
}

// codeCatcher is a loopback redirect target that hands over the query.
func codeCatcher(t *testing.T) (string, <-chan url.Values) {
	ch := make(chan url.Values, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case ch <- r.URL.Query():
		default:
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/callback", ch
}

func ahaAuthorize(t *testing.T, s *Server, sub, responseType, redirect string) *url.URL {
	t.Helper()
	q := url.Values{"client_id": {AhaClientID}, "redirect_uri": {redirect}, "response_type": {responseType}, "state": {"st"}}
	return location(t, get(t, s.ahaURL(sub)+"/oauth/authorize?"+q.Encode()))
}

func ahaExchange(code, redirect string) url.Values {
	return url.Values{"client_id": {AhaClientID}, "client_secret": {AhaClientSecret}, "code": {code}, "grant_type": {"authorization_code"}, "redirect_uri": {redirect}}
}

func aerionPassword() url.Values {
	return url.Values{"grant_type": {"password"}, "username": {AerionUser}, "password": {AerionPassword}, "client_id": {"my-app"}, "client_secret": {"anything"}}
}

func aminoPost(t *testing.T, s *Server, contentType, body string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+aminoTokenPath, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	return do(t, req)
}

func aminoSignIn(user, password string) string {
	b, _ := json.Marshal(map[string]any{"data": map[string]any{"type": "AuthenticationTokens", "attributes": map[string]string{"username": user, "password": password}}})
	return string(b)
}

func aminoRenew(rt string) string {
	b, _ := json.Marshal(map[string]any{"data": map[string]any{"type": "AuthenticationTokens", "attributes": map[string]string{"grant_type": "refresh_token", "refresh_token": rt}}})
	return string(b)
}

type aminoAnswer struct {
	Data []struct {
		Type       string
		ID         string
		Attributes map[string]any
	}
	Errors []map[string]string
}

func decodeAmino(t *testing.T, a answer) aminoAnswer {
	t.Helper()
	var out aminoAnswer
	if err := json.Unmarshal([]byte(a.Body), &out); err != nil {
		t.Fatalf("%v: %s", err, a.Body)
	}
	if ct := a.Header.Get("Content-Type"); ct != AminoContentType {
		t.Errorf("Content-Type %q", ct)
	}
	return out
}

func oauth2Authorize(t *testing.T, s *Server, client string, extra url.Values) answer {
	t.Helper()
	q := url.Values{"client_id": {client}, "redirect_uri": {loopback}, "response_type": {"code"}, "state": {"st"}, "scope": {"openid"}}
	for k, v := range extra {
		q[k] = v
	}
	return get(t, s.URL+oauth2AuthPath+"?"+q.Encode())
}

func deviceStart(t *testing.T, s *Server) answer {
	t.Helper()
	a := post(t, s.URL+oauth2DevicePath, url.Values{"client_id": {OAuth2PublicClientID}, "scope": {"openid"}})
	if a.Status != 200 {
		t.Fatalf("device: %d %s", a.Status, a.Body)
	}
	for _, k := range []string{"device_code", "user_code", "verification_uri", "verification_uri_complete"} {
		if a.str(k) == "" {
			t.Fatalf("%s missing: %s", k, a.Body)
		}
	}
	if a.JSON["expires_in"] != 600.0 || a.JSON["interval"] == nil {
		t.Fatalf("device answer %s", a.Body)
	}
	return a
}

func poll(t *testing.T, s *Server, deviceCode string) answer {
	t.Helper()
	return post(t, s.URL+oauth2TokenPath, url.Values{"grant_type": {DeviceCodeGrant}, "device_code": {deviceCode}, "client_id": {OAuth2PublicClientID}})
}

// forbiddenImport reports whether the package must not import path: it is
// shared with the demo binary, so no testing and no Bubble Tea, and it knows
// nothing of tokentop's own packages (which would make a cycle with the
// tests of flows), as doc.go promises.
func forbiddenImport(path string) bool {
	return path == "testing" || path == "tokentop" || strings.HasPrefix(path, "tokentop/") ||
		strings.Contains(path, "bubbletea") || strings.Contains(path, "charm")
}
