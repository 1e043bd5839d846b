package providertest

import (
	"context"
	"encoding/json"
	"go/parser"
	gotoken "go/token"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

func TestListensOnLoopbackOnly(t *testing.T) {
	s, _ := newTest(t, Options{})
	host, _, err := net.SplitHostPort(s.Listener.Addr().String())
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("listening on %v (%v)", s.Listener.Addr(), err)
	}
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("URL %s", s.URL)
	}
}

// The package is shared with the demo binary: no testing, no Bubble Tea, no
// tokentop/flows (which would make a cycle with flows' tests).
func TestImports(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		pf, err := parser.ParseFile(gotoken.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range pf.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p == "testing" || strings.HasPrefix(p, "tokentop") || strings.Contains(p, "bubbletea") || strings.Contains(p, "charm") {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}

func TestFailNext(t *testing.T) {
	s, _ := newTest(t, Options{})
	cc := url.Values{"grant_type": {"client_credentials"}}
	auth := []string{"Authorization", basicHeader(AikidoClientID, AikidoClientSecret)}

	s.FailNext(Aikido, 1, 502, "<html><body>Bad Gateway</body></html>", nil)
	s.FailNext(Aikido, 1, 429, `{"error":"rate_limited"}`, http.Header{"Retry-After": {"7"}})
	s.FailNext(Aikido, 1, 400, `{"error":"invalid_grant"}`, nil)

	// Failures queue on the token endpoint only: other paths are untouched.
	if a := get(t, s.AikidoCheckURL()); a.Status != 401 {
		t.Fatalf("check URL: %d", a.Status)
	}
	a := post(t, s.AikidoTokenURL(), cc, auth...)
	if a.Status != 502 || !strings.HasPrefix(a.Header.Get("Content-Type"), "text/html") || !strings.Contains(a.Body, "Bad Gateway") {
		t.Fatalf("first: %d %v %s", a.Status, a.Header, a.Body)
	}
	a = post(t, s.AikidoTokenURL(), cc, auth...)
	if a.Status != 429 || a.Header.Get("Retry-After") != "7" || !strings.HasPrefix(a.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("second: %d %v", a.Status, a.Header)
	}
	wantOAuthError(t, post(t, s.AikidoTokenURL(), cc, auth...), 400, "invalid_grant")
	if a := post(t, s.AikidoTokenURL(), cc, auth...); a.Status != 200 {
		t.Fatalf("fourth: %d %s", a.Status, a.Body)
	}
	if n := s.Count(Aikido, "client_credentials"); n != 4 {
		t.Errorf("Count = %d, want 4", n)
	}
	if n := s.Count(Aikido, ""); n != 4 {
		t.Errorf("Count all = %d, want 4", n)
	}
	recs := s.Requests(Aikido)
	if len(recs) != 5 {
		t.Fatalf("%d requests recorded", len(recs))
	}
	if r := recs[1]; !r.Injected || r.Status != 502 || r.Grant != "client_credentials" || r.Form.Get("grant_type") != "client_credentials" ||
		r.BasicUser != AikidoClientID || r.BasicPassword != AikidoClientSecret || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("recorded %+v", r)
	}
	if r := recs[4]; r.Injected || r.Status != 200 || r.Method != http.MethodPost || r.Path != "/aikido/api/oauth/token" {
		t.Errorf("recorded %+v", r)
	}
	if recs[0].Grant != "" || recs[0].Status != 401 {
		t.Errorf("check request recorded %+v", recs[0])
	}
	recs[4].Header.Set("X-Mutated", "1")
	if s.Requests(Aikido)[4].Header.Get("X-Mutated") != "" {
		t.Error("Requests shares its headers")
	}
	s.ResetLog()
	if len(s.Requests(Aikido)) != 0 || s.Count(Aikido, "") != 0 {
		t.Error("ResetLog kept requests")
	}
}

func TestFailNextPath(t *testing.T) {
	s, _ := newTest(t, Options{})
	path := "/aha/" + AhaAccount + "/api/v1/me"
	s.FailNextPath(path, 2, 503, "down for maintenance", http.Header{"Retry-After": {"30"}})
	for range 2 {
		if a := bearerGet(t, s.URL+path, AhaAPIKey); a.Status != 503 || a.Header.Get("Retry-After") != "30" {
			t.Fatalf("got %d", a.Status)
		}
	}
	if a := bearerGet(t, s.URL+path, AhaAPIKey); a.Status != 200 {
		t.Fatalf("got %d", a.Status)
	}
}

func TestRevokeAll(t *testing.T) {
	s, _ := newTest(t, Options{})
	if a := bearerGet(t, s.AhaURL(AhaAccount)+"/api/v1/me", AhaAPIKey); a.Status != 200 {
		t.Fatal(a.Status)
	}
	rt := s.SeedRefreshToken(OAuth2, OAuth2User)
	s.RevokeAll(OAuth2)
	wantOAuthError(t, post(t, s.OAuth2TokenURL(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}},
		"Authorization", basicHeader(OAuth2ClientID, OAuth2ClientSecret)), 400, "invalid_grant")
}

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

func TestBrowse(t *testing.T) {
	s, _ := newTest(t, Options{})
	ctx := context.Background()

	t.Run("authorization code", func(t *testing.T) {
		cb := newCallback(t)
		u := s.AikidoAuthURL() + "?" + url.Values{"client_id": {AikidoClientID}, "state": {"s1"}, "redirect_uri": {cb.URL + "/cb?x=1"}}.Encode()
		if err := Browse(ctx, u); err != nil {
			t.Fatal(err)
		}
		got := cb.got()
		if len(got) != 1 || !strings.HasPrefix(got[0], "GET /cb?") || !strings.Contains(got[0], "code=") || !strings.Contains(got[0], "state=s1") || !strings.Contains(got[0], "x=1") {
			t.Fatalf("callback saw %q", got)
		}
	})
	t.Run("implicit relay", func(t *testing.T) {
		cb := newCallback(t)
		u := s.AhaURL("secure") + "/oauth/authorize?" + url.Values{"client_id": {AhaClientID}, "response_type": {"token"}, "state": {"s+2 x"}, "redirect_uri": {cb.URL + "/cb?q=1"}}.Encode()
		if err := Browse(ctx, u); err != nil {
			t.Fatal(err)
		}
		got := cb.got()
		if len(got) != 2 || got[0] != "GET /cb?q=1  " {
			t.Fatalf("callback saw %q", got)
		}
		method, rest, _ := strings.Cut(got[1], " ")
		path, rest, _ := strings.Cut(rest, " ")
		body, ct, _ := strings.Cut(rest, " ")
		if method != "POST" || path != "/cb" || ct != "application/x-www-form-urlencoded" {
			t.Fatalf("relay %q", got[1])
		}
		f, err := url.ParseQuery(body)
		if err != nil || f.Get("access_token") == "" || f.Get("token_type") != "bearer" || f.Get("state") != "s+2 x" || f.Get("account_subdomain") != AhaAccount {
			t.Fatalf("relayed body %q", body)
		}
	})
	t.Run("errors", func(t *testing.T) {
		cb := newCallback(t)
		s.DenyNext(Aikido, 1, "access_denied")
		u := s.AikidoAuthURL() + "?" + url.Values{"client_id": {AikidoClientID}, "redirect_uri": {cb.URL + "/cb"}}.Encode()
		if err := Browse(ctx, u); err == nil || !strings.Contains(err.Error(), "400") {
			t.Fatalf("listener refusal: %v", err)
		}
		if got := cb.got(); len(got) != 1 || !strings.Contains(got[0], "error=access_denied") {
			t.Fatalf("callback saw %q", got)
		}
		if err := Browse(ctx, s.AikidoAuthURL()+"?client_id=unknown&redirect_uri=x"); err == nil || !strings.Contains(err.Error(), "400") {
			t.Fatalf("authorize refusal: %v", err)
		}
	})
}

func TestDemoConfig(t *testing.T) {
	s := New(NewDemo())
	defer s.Close()
	cfg := DemoConfig(s)
	var doc struct {
		RefreshBefore string `toml:"refresh_before"`
		Connections   map[string]map[string]any
	}
	md, err := toml.Decode(cfg, &doc)
	if err != nil {
		t.Fatalf("%v\n%s", err, cfg)
	}
	if doc.RefreshBefore != "20s" {
		t.Errorf("refresh_before %q", doc.RefreshBefore)
	}
	want := map[string][2]string{
		"aikido": {"aikido", "client_credentials"}, "aikido-app": {"aikido", "authorization_code"},
		"aha": {"aha", "authorization_code"}, "aha-implicit": {"aha", "implicit"}, "aha-key": {"aha", "api_key"},
		"aerion": {"aerion", "password"}, "amino": {"amino", "password"},
		"idp-device": {"oauth2", "device_code"}, "idp-app": {"oauth2", "authorization_code"},
	}
	for name, pf := range want {
		c := doc.Connections[name]
		if c == nil || c["provider"] != pf[0] || c["flow"] != pf[1] {
			t.Errorf("connection %s = %v", name, c)
		}
	}
	if doc.Connections["idp-app"]["pkce"] != true || doc.Connections["aikido"]["client_secret"] != AikidoClientSecret {
		t.Errorf("idp-app %v, aikido %v", doc.Connections["idp-app"], doc.Connections["aikido"])
	}
	if !strings.Contains(doc.Connections["aerion"]["note"].(string), AerionPassword) {
		t.Errorf("aerion note %v", doc.Connections["aerion"]["note"])
	}
	known := map[string]bool{}
	for _, k := range strings.Fields("provider flow client_id client_secret client_auth username password api_key subdomain company_url base_url issuer auth_url token_url revoke_url device_url check_url redirect_uri scopes pkce headers params refresh_before note") {
		known[k] = true
	}
	for _, k := range md.Keys() {
		if len(k) == 3 && k[0] == "connections" && !known[k[2]] {
			t.Errorf("unknown key %v", k)
		}
	}

	for _, name := range []string{"aikido-app", "aha", "aha-implicit"} {
		r, _ := doc.Connections[name]["redirect_uri"].(string)
		if !strings.HasPrefix(r, "http://127.0.0.1:") || !strings.HasSuffix(r, "/callback") {
			t.Errorf("%s redirect_uri %q", name, r)
		}
	}
	if doc.Connections["aha"]["redirect_uri"] != doc.Connections["aha-implicit"]["redirect_uri"] {
		t.Error("the Aha! connections share one registered application")
	}
	// The fake enforces the redirect URIs the demo registered.
	q := url.Values{"client_id": {AhaClientID}, "response_type": {"code"}, "redirect_uri": {"http://127.0.0.1:1/callback"}}
	if a := get(t, s.AhaURL("secure")+"/oauth/authorize?"+q.Encode()); a.Status != 400 {
		t.Errorf("unregistered redirect: %d", a.Status)
	}
	q.Set("redirect_uri", doc.Connections["aha"]["redirect_uri"].(string))
	location(t, get(t, s.AhaURL("secure")+"/oauth/authorize?"+q.Encode()))

	// The demo's credentials work against the demo server.
	a := post(t, s.AerionTokenURL(), url.Values{"grant_type": {"password"}, "username": {AerionUser}, "password": {AerionPassword},
		"client_id": {"tokentop-demo"}, "client_secret": {"any value"}}, "companyurl", AerionTenant)
	if a.Status != 200 || a.JSON["expires_in"] != 120.0 {
		t.Fatalf("aerion: %d %s", a.Status, a.Body)
	}
	if cfg != DemoConfig(s) {
		t.Error("DemoConfig is not deterministic")
	}
	if os.Getenv("PROVIDERTEST_SHOW_DEMO") != "" {
		t.Log("\n" + cfg)
	}
}

func TestSeedAccessToken(t *testing.T) {
	s, clk := newTest(t, Options{})
	checks := map[string]string{
		Aikido: s.AikidoCheckURL(), Aha: s.AhaURL(AhaAccount) + "/api/v1/me", Aerion: s.AerionCheckURL(),
		Amino: s.AminoCheckURL(), OAuth2: s.OAuth2CheckURL(),
	}
	for provider, check := range checks {
		t.Run(provider, func(t *testing.T) {
			tok := s.SeedAccessToken(provider, "someone@example.com")
			if a := bearerGet(t, check, tok); a.Status != 200 {
				t.Fatalf("got %d %s", a.Status, a.Body)
			}
			for other, otherCheck := range checks {
				if other != provider && bearerGet(t, otherCheck, tok).Status != 401 {
					t.Errorf("a %s token works at %s", provider, other)
				}
			}
		})
	}
	if s.SeedAccessToken("nope", "x") != "" || s.SeedRefreshToken(Aha, "x") != "" {
		t.Error("seeded a token for a provider without one")
	}
	tok := s.SeedAccessToken(Aerion, AerionUser)
	clk.Add(AerionLifetime)
	if a := bearerGet(t, s.AerionCheckURL(), tok); a.Status != 401 {
		t.Errorf("after AerionLifetime: %d", a.Status)
	}
}

func TestLogLimit(t *testing.T) {
	s, _ := newTest(t, Options{LogLimit: 3})
	for range 5 {
		get(t, s.AikidoCheckURL())
	}
	post(t, s.AikidoTokenURL(), url.Values{"grant_type": {"client_credentials"}})
	recs := s.Requests(Aikido)
	if len(recs) != 3 || recs[2].Grant != "client_credentials" || s.Count(Aikido, "") != 1 {
		t.Fatalf("%d kept: %+v", len(recs), recs)
	}
}

func TestDateHeaderFollowsTheClock(t *testing.T) {
	s, clk := newTest(t, Options{})
	clk.Add(-48 * time.Hour)
	a := get(t, s.OAuth2Issuer()+"/.well-known/openid-configuration")
	if d, err := http.ParseTime(a.Header.Get("Date")); err != nil || !d.Equal(clk.Now().Truncate(time.Second)) {
		t.Fatalf("Date %q, clock %v", a.Header.Get("Date"), clk.Now())
	}
}

func TestDemoConfigWithoutRegisteredRedirects(t *testing.T) {
	s, _ := newTest(t, Options{})
	if DemoConfig(s) != DemoConfig(s) {
		t.Error("redirect URIs change between calls")
	}
	if !strings.Contains(DemoConfig(s), `redirect_uri = "http://127.0.0.1:`) {
		t.Error("no redirect_uri")
	}
}

// Many clients at once, with knobs turned meanwhile, under the race
// detector.
func TestConcurrentUse(t *testing.T) {
	s, _ := newTest(t, Options{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rt := s.SeedRefreshToken(OAuth2, OAuth2User)
			for range 5 {
				// Not post: t.Fatal must not be called outside the test's goroutine.
				form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {OAuth2ClientID}, "client_secret": {OAuth2ClientSecret}}
				resp, err := http.PostForm(s.OAuth2TokenURL(), form)
				if err != nil {
					t.Errorf("worker %d: %v", i, err)
					return
				}
				var body struct {
					RefreshToken string `json:"refresh_token"`
				}
				err = json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
				if resp.StatusCode != 200 || err != nil {
					t.Errorf("worker %d: %d %v", i, resp.StatusCode, err)
					return
				}
				rt = body.RefreshToken
				_ = s.Requests(OAuth2)
				s.SetLifetime(Aikido, time.Minute)
				s.FailNextPath("/nowhere", 1, 500, "", nil)
			}
		}()
	}
	wg.Wait()
	if n := s.Count(OAuth2, "refresh_token"); n != 40 {
		t.Errorf("Count = %d, want 40", n)
	}
}

func TestTOMLString(t *testing.T) {
	var doc struct{ V string }
	for _, v := range []string{`plain`, `quote " and \ backslash`, "tab\tnewline\n\x01del\x7f", "ünïcode %+:"} {
		if _, err := toml.Decode("v = "+tomlString(v), &doc); err != nil || doc.V != v {
			t.Errorf("%q: %q %v", v, doc.V, err)
		}
	}
}
