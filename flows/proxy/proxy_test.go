package proxy

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/redact"
)

// fakeTokens hands out tok-1, tok-2, … and counts the calls; gate, when
// set, holds every call until it is closed.
type fakeTokens struct {
	mu            sync.Mutex
	now           time.Time
	life          time.Duration
	n             int
	tokens, renew atomic.Int32
	gate          chan struct{}
}

func (f *fakeTokens) issue() *flows.Token {
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	return &flows.Token{AccessToken: "tok-" + string(rune('0'+f.n)), ObtainedAt: f.now, Expiry: f.now.Add(f.life)}
}

func (f *fakeTokens) Token(ctx context.Context, name string, minValid time.Duration) (*flows.Token, error) {
	f.tokens.Add(1)
	return f.issue(), nil
}

func (f *fakeTokens) Renew(ctx context.Context, name string) (*flows.Token, error) {
	f.renew.Add(1)
	return f.issue(), nil
}

func (f *fakeTokens) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTokens) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func TestCacheOneCallForConcurrentRequests(t *testing.T) {
	f := &fakeTokens{now: time.Unix(1_700_000_000, 0), life: time.Hour, gate: make(chan struct{})}
	c := &cache{tokens: f, name: "api", minValid: 5 * time.Minute, now: f.clock, red: nil, warn: func(string) {}}
	c.red = redact.New()
	var wg sync.WaitGroup
	got := make([]string, 50)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := c.get(context.Background(), "")
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = tok.AccessToken
		}()
	}
	// Every goroutine is waiting on the one call once it is under way.
	deadline := time.Now().Add(10 * time.Second)
	for f.tokens.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(f.gate)
	wg.Wait()
	for _, g := range got {
		if g != "tok-1" {
			t.Fatalf("a request got %q, want tok-1", g)
		}
	}
	if n := f.tokens.Load(); n != 1 {
		t.Fatalf("%d Token calls for 50 concurrent requests, want 1", n)
	}
	// Valid for the margin: served from memory.
	f.advance(54 * time.Minute)
	if tok, _ := c.get(context.Background(), ""); tok.AccessToken != "tok-1" || f.tokens.Load() != 1 {
		t.Fatalf("got %s after %d calls, want tok-1 from the cache", tok.AccessToken, f.tokens.Load())
	}
	// Inside the margin: one call for a fresh one.
	f.advance(2 * time.Minute)
	if tok, _ := c.get(context.Background(), ""); tok.AccessToken != "tok-2" || f.tokens.Load() != 2 {
		t.Fatalf("got %s after %d calls, want tok-2 from a second call", tok.AccessToken, f.tokens.Load())
	}
	// Refused: renewed once; a second request the API refused the same
	// token to shares the renewal.
	a, _ := c.get(context.Background(), "tok-2")
	b, _ := c.get(context.Background(), "tok-2")
	if a.AccessToken != "tok-3" || b.AccessToken != "tok-3" || f.renew.Load() != 1 {
		t.Fatalf("after a refusal got %s and %s with %d renewals, want tok-3 twice and 1", a.AccessToken, b.AccessToken, f.renew.Load())
	}
}

// api answers 401 invalid_token to the first `refuse` requests, then 200
// with the method, the Authorization it saw and the body.
func api(t *testing.T, refuse int) (*httptest.Server, *atomic.Int32) {
	var seen atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := seen.Add(1)
		body, _ := io.ReadAll(r.Body)
		if int(n) <= refuse {
			w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="invalid_token"`)
			http.Error(w, "refused "+r.Header.Get("Authorization"), http.StatusUnauthorized)
			return
		}
		io.WriteString(w, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization")+" "+strings.Join(r.Header.Values("Proxy-Authorization"), ",")+" "+string(body))
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func newHandler(t *testing.T, target string, f *fakeTokens, log func(string)) *Handler {
	u, _ := url.Parse(target)
	h, err := New(Options{Name: "api", Target: u, Tokens: f, MinValid: time.Minute, Now: f.clock, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHandlerRetriesOnceAfterInvalidToken(t *testing.T) {
	cases := map[string]struct {
		body      func() io.Reader
		length    int64
		status    int
		want      string
		renewals  int32
		upstreams int32
	}{
		"no body":          {nil, 0, 200, "GET / Bearer tok-2  ", 1, 2},
		"small body":       {func() io.Reader { return strings.NewReader("hello") }, 5, 200, "POST / Bearer tok-2  hello", 1, 2},
		"streaming body":   {func() io.Reader { return io.MultiReader(strings.NewReader("hel"), strings.NewReader("lo")) }, -1, 401, "refused Bearer tok-1", 0, 1},
		"body over replay": {func() io.Reader { return strings.NewReader(strings.Repeat("x", DefaultMaxReplayBody+1)) }, DefaultMaxReplayBody + 1, 401, "refused Bearer tok-1", 0, 1},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv, seen := api(t, 1)
			f := &fakeTokens{now: time.Unix(1_700_000_000, 0), life: time.Hour}
			h := newHandler(t, srv.URL, f, nil)
			method := "GET"
			var body io.Reader
			if tc.body != nil {
				method, body = "POST", tc.body()
			}
			r := httptest.NewRequest(method, "/", body)
			r.ContentLength = tc.length
			r.Header.Set("Authorization", "Bearer client-sent")
			r.Header.Set("Proxy-Authorization", "Basic client-sent")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status || !strings.HasPrefix(w.Body.String(), tc.want) {
				t.Fatalf("got %d %q, want %d %q", w.Code, w.Body.String(), tc.status, tc.want)
			}
			if f.renew.Load() != tc.renewals || seen.Load() != tc.upstreams {
				t.Fatalf("%d renewals and %d upstream requests, want %d and %d", f.renew.Load(), seen.Load(), tc.renewals, tc.upstreams)
			}
			if tc.status == 401 {
				// The next request renews rather than send the refused token.
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
				if w.Code != 200 || !strings.Contains(w.Body.String(), "tok-2") || f.renew.Load() != 1 {
					t.Fatalf("next request: %d %q after %d renewals, want 200 with tok-2 after 1", w.Code, w.Body.String(), f.renew.Load())
				}
			}
		})
	}
}

func TestHandlerLogHidesQueryValuesAndTokens(t *testing.T) {
	srv, _ := api(t, 0)
	f := &fakeTokens{now: time.Unix(1_700_000_000, 0), life: time.Hour}
	var lines []string
	h := newHandler(t, srv.URL+"/base", f, func(s string) { lines = append(lines, s) })
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/v1/x?api_key=QUERY-SECRET&page=2", nil))
	if w.Code != 200 || !strings.HasPrefix(w.Body.String(), "GET /base/v1/x Bearer tok-1") {
		t.Fatalf("got %d %q", w.Code, w.Body.String())
	}
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "GET /v1/x?api_key=…&page=… 200 ") {
		t.Fatalf("log %q, want one line GET /v1/x?api_key=…&page=… 200 …", lines)
	}
	if strings.Contains(lines[0], "QUERY-SECRET") || strings.Contains(lines[0], "tok-1") {
		t.Fatalf("log line %q shows a secret", lines[0])
	}
}

func TestLoopbackAddr(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "127.0.0.1:8080", "[::1]:0": "[::1]:0", "localhost:9": "127.0.0.1:9",
		"0.0.0.0:8080": "", ":8080": "", "[::]:80": "", "192.168.1.2:80": "", "example.com:80": "",
		"127.0.0.2:80": "", "127.0.0.1": "", "localhost:http-alt-x": "",
	} {
		got, err := LoopbackAddr(addr)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("LoopbackAddr(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
}

// failingTokens has no token to give: sign-in required.
type failingTokens struct{ calls atomic.Int32 }

func (f *failingTokens) Token(context.Context, string, time.Duration) (*flows.Token, error) {
	f.calls.Add(1)
	return nil, &flows.ConnError{Conn: "api", Err: flows.ErrSignInRequired}
}

func (f *failingTokens) Renew(ctx context.Context, name string) (*flows.Token, error) {
	return f.Token(ctx, name, 0)
}

func TestHandlerWithoutTokenAnswers503(t *testing.T) {
	srv, seen := api(t, 0)
	u, _ := url.Parse(srv.URL)
	f := &failingTokens{}
	h, err := New(Options{Name: "api", Target: u, Tokens: f, MinValid: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/x", nil))
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "sign-in required") {
		t.Fatalf("got %d %q, want 503 naming the cause", w.Code, w.Body.String())
	}
	if seen.Load() != 0 {
		t.Fatal("a request without a token reached the API")
	}
}
