package providertest

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
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
