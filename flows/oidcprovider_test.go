//go:build unix

package flows_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/callback"
	"tokentop/flows/config"
	"tokentop/flows/oauth"
	"tokentop/store"
)

// oidcProviderDir holds server.mjs and its package-lock.json; `npm ci
// --prefix testdata/oidc-provider` fills its node_modules.
var oidcProviderDir = filepath.Join("..", "testdata", "oidc-provider")

// oidcProviderStartWithin bounds how long node may take to print its
// issuer; oidcProviderLifetime bounds the whole process, whatever the test
// does.
const (
	oidcProviderStartWithin = 30 * time.Second
	oidcProviderLifetime    = 3 * time.Minute
	oidcProviderClientID    = "tokentop-test"
	oidcBrowserAgent        = "oidc-provider-test-browser"
)

// oidcProvider is one running panva oidc-provider (testdata/oidc-provider/
// server.mjs): an authorization server tokentop's authors did not write.
type oidcProvider struct {
	Issuer string
	stderr *syncBuffer // a dead start's diagnosis
}

// oidcProviderUnavailable skips the test, or fails it when
// TOKENTOP_REQUIRE_OIDC_PROVIDER=1 (as .ci/run sets, after installing it).
func oidcProviderUnavailable(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("TOKENTOP_REQUIRE_OIDC_PROVIDER") == "1" {
		t.Fatalf("oidc-provider test required (TOKENTOP_REQUIRE_OIDC_PROVIDER=1), but %s", why)
	}
	t.Skipf("skipping the oidc-provider test: %s", why)
}

// startOIDCProvider runs node server.mjs on a free loopback port in a
// process group of its own and waits for the JSON line that names its
// issuer. The cleanup kills the whole group.
func startOIDCProvider(t *testing.T) *oidcProvider {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		oidcProviderUnavailable(t, "node is not installed (apt-get install nodejs npm)")
	}
	if _, err := os.Stat(filepath.Join(oidcProviderDir, "node_modules", "oidc-provider", "package.json")); err != nil {
		oidcProviderUnavailable(t, "testdata/oidc-provider/node_modules is missing (run npm ci --prefix testdata/oidc-provider)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), oidcProviderLifetime)
	cmd := exec.CommandContext(ctx, node, "server.mjs", "--port", "0")
	cmd.Dir = oidcProviderDir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The whole group: node and anything it started.
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			return err
		}
		return os.ErrProcessDone
	}
	cmd.WaitDelay = 5 * time.Second
	op := &oidcProvider{stderr: &syncBuffer{}}
	cmd.Stderr = op.stderr
	// server.mjs exits when its stdin closes: a test binary that dies
	// takes it along even without the cleanup.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting node server.mjs: %v", err)
	}
	exited := make(chan struct{})
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(io.LimitReader(stdout, 4096)).ReadString('\n')
		ready <- line
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		stdin.Close()
		cancel()
		<-exited
	})
	var line string
	select {
	case line = <-ready:
	case <-time.After(oidcProviderStartWithin):
		t.Fatalf("oidc-provider printed no issuer within %s; stderr:\n%s", oidcProviderStartWithin, op.stderr)
	}
	var hello struct {
		Issuer string `json:"issuer"`
	}
	if err := json.Unmarshal([]byte(line), &hello); err != nil || !strings.HasPrefix(hello.Issuer, "http://127.0.0.1:") {
		select { // for the whole of stderr, when node is ending
		case <-exited:
		case <-time.After(2 * time.Second):
		}
		t.Fatalf("oidc-provider's first line %q is not its issuer (%v); stderr:\n%s", line, err, op.stderr)
	}
	op.Issuer = hello.Issuer
	return op
}

// oidcRequest is one request server.mjs saw, from its /_test/requests.
type oidcRequest struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Agent  string `json:"agent"`
}

// requests answers every request the provider has been sent so far.
func (op *oidcProvider) requests(t *testing.T) []oidcRequest {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(op.Issuer + "/_test/requests")
	if err != nil {
		t.Fatalf("oidc-provider's request log: %v", err)
	}
	defer resp.Body.Close()
	var out []oidcRequest
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		t.Fatalf("oidc-provider's request log: %v", err)
	}
	return out
}

// tokentopWire is "METHOD /path" of each request tokentop itself sent, of
// those after the first skip.
func tokentopWire(reqs []oidcRequest, skip int) []string {
	var out []string
	for _, r := range reqs[min(skip, len(reqs)):] {
		if r.Agent == "tokentop" {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// count is how many requests of reqs went to path.
func count(reqs []oidcRequest, path string) int {
	n := 0
	for _, r := range reqs {
		if r.Path == path {
			n++
		}
	}
	return n
}

// oidcBrowse plays the person at the browser: it opens authorizeURL with a
// cookie jar and follows the redirects within that server (server.mjs logs
// the user in and grants at once) until one leaves it, and returns that
// one: the authorization response, not yet delivered.
func oidcBrowse(ctx context.Context, authorizeURL string) (*url.URL, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	c := &http.Client{Jar: jar, Transport: &http.Transport{Proxy: nil}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer c.CloseIdleConnections()
	cur, err := url.Parse(authorizeURL)
	if err != nil {
		return nil, err
	}
	start := *cur
	for range 10 {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, cur.String(), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("User-Agent", oidcBrowserAgent)
		resp, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode/100 != 3 || loc == "" {
			return nil, fmt.Errorf("GET %s answered %s: %.300s", cur.Path, resp.Status, body)
		}
		next, err := cur.Parse(loc)
		if err != nil {
			return nil, err
		}
		if next.Host != start.Host {
			return next, nil
		}
		cur = next
	}
	return nil, errors.New("more than 10 redirects within the authorization server")
}

// deliver hands an authorization response to tokentop's loopback
// listener, as the browser would, and returns the listener's status.
func deliver(ctx context.Context, redirect *url.URL) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, redirect.String(), nil)
	if err != nil {
		return 0, err
	}
	c := &http.Client{Transport: &http.Transport{Proxy: nil}}
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		return 0, errors.New("the listener did not answer")
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// newOIDCProviderService is a Service with one connection, "op", to the
// provider: a public client with PKCE and tokentop's default redirect URI
// (http://127.0.0.1:<ephemeral>/callback, which oidc-provider accepts for a
// native client on any port, RFC 8252 §7.3).
func newOIDCProviderService(t *testing.T, op *oidcProvider) (*flows.Service, *store.DB) {
	t.Helper()
	cfg, err := config.Parse("oidc-provider.toml", []byte(fmt.Sprintf(`
[connections.op]
provider = "oauth2"
flow = "authorization_code"
issuer = %q
client_id = %q
scopes = ["openid"]
`, op.Issuer, oidcProviderClientID)))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: db}), db
}

// TestOIDCProviderIss is RFC 9207 against panva's oidc-provider, started
// from testdata/oidc-provider: its authorization responses carry iss and its
// metadata announces authorization_response_iss_parameter_supported, so an
// honest sign-in goes through, a response from a second oidc-provider (the
// attacker's, reached with tokentop's own authorization request) is refused,
// and so is an honest response stripped of its iss; no refusal sends a token
// request to either server, though each carries a code the server would
// redeem. Error responses carry iss too (§2): the honest server's
// access_denied reads as declined, the attacker's as a mix-up.
func TestOIDCProviderIss(t *testing.T) {
	op := startOIDCProvider(t)
	attacker := startOIDCProvider(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var meta map[string]any
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, op.Issuer+"/.well-known/openid-configuration", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&meta)
	resp.Body.Close()
	if err != nil || meta["issuer"] != op.Issuer || meta["authorization_response_iss_parameter_supported"] != true {
		t.Fatalf("oidc-provider's metadata does not announce iss for %s: %v %v", op.Issuer, err, meta)
	}

	discovery := "GET /.well-known/openid-configuration"
	tests := map[string]struct {
		viaAttacker bool             // the authorization request is sent to attacker
		decline     bool             // the person declines (error=access_denied)
		tamper      func(url.Values) // changes the response before delivery
		err         string           // after "op: "; {OP} and {ATTACKER} are the issuers
		mixUp       bool             // err wraps a *callback.IssuerError
		missing     bool             // the error is about a missing iss
		wire        []string         // tokentop's requests to op
	}{
		// The honest sign-in's id_token is verified with oidc-provider's JWKS.
		"honest": {wire: []string{discovery, "POST /token", "GET /jwks"}},
		"the attacker's response": {
			viaAttacker: true,
			err:         `sign-in refused: the authorization response came from issuer "{ATTACKER}", not "{OP}" (RFC 9207 mix-up defence)`,
			mixUp:       true,
			wire:        []string{discovery},
		},
		"iss removed": {
			tamper:  func(q url.Values) { q.Del("iss") },
			err:     `sign-in refused: the authorization response names no issuer, but "{OP}" announces the iss parameter (RFC 9207 mix-up defence)`,
			mixUp:   true,
			missing: true,
			wire:    []string{discovery},
		},
		"iss with a trailing slash": {
			tamper: func(q url.Values) { q.Set("iss", q.Get("iss")+"/") },
			err:    `sign-in refused: the authorization response came from issuer "{OP}/", not "{OP}" (RFC 9207 mix-up defence)`,
			mixUp:  true,
			wire:   []string{discovery},
		},
		"declined": {
			decline: true,
			err:     "you declined access",
			wire:    []string{discovery},
		},
		"declined at the attacker's": {
			viaAttacker: true,
			decline:     true,
			err:         `sign-in refused: the authorization response came from issuer "{ATTACKER}", not "{OP}" (RFC 9207 mix-up defence)`,
			mixUp:       true,
			wire:        []string{discovery},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			opSeen, attackerSeen := len(op.requests(t)), len(attacker.requests(t))
			svc, db := newOIDCProviderService(t, op)
			p, err := svc.BeginLogin(ctx, "op")
			if err != nil {
				t.Fatalf("begin: %v", err)
			}
			b, ok := p.(flows.BrowserSignIn)
			if !ok {
				t.Fatalf("sign-in %T, want a browser sign-in", p)
			}
			authorize, err := url.Parse(b.URL())
			if err != nil || authorize.Scheme+"://"+authorize.Host+authorize.Path != op.Issuer+"/auth" {
				t.Fatalf("authorize URL %s is not %s/auth (%v)", authorize.Redacted(), op.Issuer, err)
			}
			from := op
			if tc.viaAttacker {
				// The mix-up: tokentop's own request, state and PKCE
				// challenge included, answered by another server.
				from = attacker
				authorize.Host = strings.TrimPrefix(attacker.Issuer, "http://")
			}
			answer := "code"
			if tc.decline {
				// server.mjs's cue to answer access_denied; the
				// request is not signed, so the browser may add it.
				aq := authorize.Query()
				aq.Set("login_hint", "decline")
				authorize.RawQuery = aq.Encode()
				answer = "error"
			}
			redirect, err := oidcBrowse(ctx, authorize.String())
			if err != nil {
				t.Fatalf("browser at %s: %v", from.Issuer, err)
			}
			q := redirect.Query()
			if q.Get("iss") != from.Issuer || q.Get(answer) == "" || q.Get("state") != authorize.Query().Get("state") {
				t.Fatalf("oidc-provider's response has iss %q (want %q), %s %v, the state %v",
					q.Get("iss"), from.Issuer, answer, q.Get(answer) != "", q.Get("state") == authorize.Query().Get("state"))
			}
			if tc.tamper != nil {
				tc.tamper(q)
				redirect.RawQuery = q.Encode()
			}
			status, deliverErr := deliver(ctx, redirect)
			tok, err := p.Wait(ctx)

			opReqs, attackerReqs := op.requests(t), attacker.requests(t)
			if got := tokentopWire(opReqs, opSeen); !slices.Equal(got, tc.wire) {
				t.Errorf("tokentop's requests to oidc-provider %q, want %q", got, tc.wire)
			}
			if got := tokentopWire(attackerReqs, attackerSeen); len(got) != 0 {
				t.Errorf("tokentop's requests to the attacker's oidc-provider %q, want none", got)
			}
			st, lerr := db.Load("op")
			if lerr != nil {
				t.Fatal(lerr)
			}
			if tc.err == "" {
				if err != nil || deliverErr != nil || status != http.StatusOK {
					t.Fatalf("sign-in: %v; the listener answered %d (%v)", err, status, deliverErr)
				}
				if tok.AccessToken == "" || st.Token == nil || st.Token.AccessToken != tok.AccessToken {
					t.Fatal("no access token, or it was not saved")
				}
				if st.Token.Extra[flows.IDClaimPrefix+"iss"] != op.Issuer || st.Token.Extra[flows.IDClaimPrefix+"sub"] == "" {
					t.Fatalf("the id_token's verified claims were not kept: %q", st.Token.Extra)
				}
				return
			}
			if n := count(opReqs[opSeen:], "/token") + count(attackerReqs[attackerSeen:], "/token"); n != 0 {
				t.Errorf("%d token requests after a refused response, want 0", n)
			}
			r := strings.NewReplacer("{OP}", op.Issuer, "{ATTACKER}", attacker.Issuer)
			want := "op: " + r.Replace(tc.err)
			if err == nil || err.Error() != want {
				t.Fatalf("sign-in error\n %v\nwant\n %s", err, want)
			}
			var ie *callback.IssuerError
			if isIss := errors.As(err, &ie); isIss != tc.mixUp || isIss && ie.Missing != tc.missing {
				t.Fatalf("error %T wraps an *IssuerError: %v, want %v (missing %v)", err, isIss, tc.mixUp, tc.missing)
			}
			if errors.Is(err, flows.ErrAccessDenied) != (tc.decline && !tc.mixUp) {
				t.Fatalf("error %v: declined is %v", err, errors.Is(err, flows.ErrAccessDenied))
			}
			if deliverErr != nil || status != http.StatusBadRequest {
				t.Fatalf("the listener answered %d (%v), want 400", status, deliverErr)
			}
			if tok != nil || st.Token != nil {
				t.Fatal("a token despite the refusal")
			}
		})
	}
}
