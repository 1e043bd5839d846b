package ui

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	tea "charm.land/bubbletea/v2"

	"tokentop/flows"
	"tokentop/flows/providertest"
	"tokentop/flows/redact"
)

// TestNoSecretOnScreenStandards is TestNoSecretOnScreen for the standards
// features: the row and the detail pane of a private_key_jwt and a
// client_secret_jwt connection, a token exchange (subject and actor tokens
// from files), two introspection checks (one whose answer quotes the
// token), a verified ID-token sign-in and a refused one, and renewals
// refused by an endpoint whose answer quotes every secret of the request:
// no frame shows a secret (the private key's PEM lines and DER base64, the
// client assertion's signature, the HS256 secret, subject and actor tokens,
// the issued tokens, the id_token, nonce, code and verifier).
func TestNoSecretOnScreenStandards(t *testing.T) {
	const (
		hsSecret = "SENTINEL-ui-hs256-secret-0123456789abcdef"
		xSecret  = "SENTINEL-ui-exchange-client-1"
		subject  = "SENTINEL-ui-subject-token-1"
		actor    = "SENTINEL-ui-actor-token-1"
	)
	var mu sync.Mutex
	var quoted []string
	// quoting answers 400 with an OAuth error, or (at /introspect) an
	// active introspection answer, quoting every secret of the request.
	quoting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f, _ := url.ParseQuery(string(body))
		var q []string
		for _, k := range []string{"client_assertion", "subject_token", "actor_token", "token", "client_secret"} {
			if v := f.Get(k); v != "" {
				q = append(q, v[strings.LastIndexByte(v, '.')+1:], v)
			}
		}
		mu.Lock()
		quoted = append(quoted, q...)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/introspect" {
			json.NewEncoder(w).Encode(map[string]any{"active": true, "sub": f.Get("token"), "scope": strings.Join(q, " "), "client_id": f.Get("token")})
			return
		}
		w.WriteHeader(400)
		json.NewEncoder(w).Encode(map[string]any{"error": "invalid_request", "error_description": "refused " + strings.Join(q, " ")})
	}))
	defer quoting.Close()

	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pemText := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	secrets := []string{"SENTINEL", base64.StdEncoding.EncodeToString(der)}
	for _, l := range strings.Split(string(pemText), "\n") {
		if l != "" && !strings.HasPrefix(l, "-----") {
			secrets = append(secrets, l)
		}
	}
	file := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	conf := strings.NewReplacer("{PEM}", file("key.pem", pemText), "{SUBJECT}", file("subject", []byte(subject)),
		"{ACTOR}", file("actor", []byte(actor)), "{Q}", quoting.URL).Replace(`
[connections.pk]
provider = "oauth2"
flow = "client_credentials"
client_id = "pk-client"
client_auth = "private_key_jwt"
private_key = "file:{PEM}"
token_url = "{URL}/oauth2/token"
auto = false

[connections.hs]
provider = "oauth2"
flow = "client_credentials"
client_id = "hs-client"
client_auth = "client_secret_jwt"
client_secret = "` + hsSecret + `"
token_url = "{URL}/oauth2/token"
auto = false

[connections.xchg]
provider = "oauth2"
flow = "token_exchange"
token_url = "{URL}/oauth2/token"
client_id = "xc"
client_secret = "` + xSecret + `"
subject_token = "file:{SUBJECT}"
actor_token = "file:{ACTOR}"
actor_token_type = "urn:ietf:params:oauth:token-type:jwt"
audience = "ledger"
auto = false

[connections.intro]
provider = "oauth2"
flow = "client_credentials"
issuer = "{URL}/oauth2"
client_id = "xc"
client_secret = "` + xSecret + `"
check = "introspect"
auto = false

[connections.intro-quote]
provider = "oauth2"
flow = "client_credentials"
token_url = "{URL}/oauth2/token"
client_id = "xc"
client_secret = "` + xSecret + `"
check = "introspect"
introspection_url = "{Q}/introspect"
auto = false

[connections.oidc]
provider = "oauth2"
flow = "authorization_code"
issuer = "{URL}/oauth2"
client_id = "` + providertest.OAuth2PublicClientID + `"
scopes = ["openid", "offline_access"]
auto = false

[connections.oidc-refused]
provider = "oauth2"
flow = "authorization_code"
issuer = "{URL}/oauth2"
client_id = "` + providertest.OAuth2PublicClientID + `"
scopes = ["openid", "offline_access"]
auto = false

[connections.pk-quote]
provider = "oauth2"
flow = "client_credentials"
client_id = "pk-client"
client_auth = "private_key_jwt"
private_key = "file:{PEM}"
token_url = "{Q}/token"
auto = false

[connections.xchg-quote]
provider = "oauth2"
flow = "token_exchange"
token_url = "{Q}/token"
client_id = "xc"
client_secret = "` + xSecret + `"
subject_token = "file:{SUBJECT}"
actor_token = "file:{ACTOR}"
actor_token_type = "urn:ietf:params:oauth:token-type:jwt"
auto = false
`)
	red := redact.New()
	h := newSvcHarness(t, providertest.Options{
		// pk-client has a secret only so that the fake's authorize
		// endpoint knows it; it authenticates with its key.
		OAuth2Clients:    map[string]string{"hs-client": hsSecret, "xc": xSecret, "pk-client": "unused-pk-secret", providertest.OAuth2PublicClientID: ""},
		OAuth2ClientKeys: map[string]crypto.PublicKey{"pk-client": key.Public()},
	}, conf, nil, red)
	h.fake.AcceptSubject(subject, providertest.TokenTypeJWT, "ci-bot")

	signIn := func(name string) error {
		p, err := h.svc.BeginLogin(h.ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		browsed := make(chan error, 1)
		go func() { browsed <- providertest.Browse(h.ctx, p.(flows.BrowserSignIn).URL()) }()
		_, err = p.Wait(h.ctx)
		if berr := <-browsed; berr != nil {
			t.Fatalf("browser: %v", berr)
		}
		return err
	}
	if err := signIn("oidc"); err != nil {
		t.Fatal(err)
	}
	h.fake.IDTokenNext(1, providertest.IDWrongNonce)
	if err := signIn("oidc-refused"); err == nil || !strings.Contains(err.Error(), "id_token nonce does not match") {
		t.Fatalf("refused sign-in: %v", err)
	}
	h.poll()

	var frames []string
	snap := func() { frames = append(frames, h.frame()) }
	renewed := func(t *testing.T, r *results) tea.Msg { return await[renewedMsg](t, r) }
	failed := func(t *testing.T, r *results) tea.Msg { return await[renewFailedMsg](t, r) }
	for _, step := range []struct {
		row, key string
		wait     func(*testing.T, *results) tea.Msg
	}{
		{"pk", "r", renewed}, {"pk", "r", renewed}, {"hs", "r", renewed}, {"xchg", "r", renewed},
		{"intro", "r", renewed}, {"intro-quote", "r", renewed},
		{"oidc", "r", renewed}, {"pk-quote", "r", failed}, {"xchg-quote", "r", failed},
	} {
		h.selectRow(step.row)
		h.send(step.wait(t, run(h.press(step.key))))
		h.poll()
		snap()
		h.press("enter")
		snap()
		h.press("enter")
	}
	// The dashboard's p is for check_url alone (ui/input.go): the
	// introspection checks run through the service, and their results are
	// shown as any other change.
	for _, name := range []string{"intro", "intro-quote"} {
		if _, err := h.svc.Check(h.ctx, name); err != nil {
			t.Fatalf("check %s: %v", name, err)
		}
	}
	h.poll()
	for _, name := range []string{"oidc-refused", "oidc", "intro", "intro-quote"} {
		h.selectRow(name)
		snap()
		h.press("enter")
		snap()
		h.press("enter")
	}
	joined := strings.Join(frames, "\n")
	for _, want := range []string{"refused " + redact.Placeholder, "id_token nonce does not match", "urn:ietf:params:oauth:token-type:access_token", "sub " + redact.Placeholder} {
		if !strings.Contains(joined, want) {
			t.Errorf("no frame shows %q", want)
		}
	}

	secrets = append(secrets, hsSecret, xSecret, subject, actor)
	mu.Lock()
	secrets = append(secrets, quoted...)
	mu.Unlock()
	for _, r := range h.fake.Requests(providertest.OAuth2) {
		for _, k := range []string{"code", "code_verifier", "refresh_token", "client_assertion", "subject_token", "actor_token", "token"} {
			if v := r.Form.Get(k); v != "" {
				secrets = append(secrets, v, v[strings.LastIndexByte(v, '.')+1:])
			}
		}
		secrets = append(secrets, r.Query.Get("code"), r.Query.Get("nonce"), r.Query.Get("state"), r.BasicPassword)
		if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			secrets = append(secrets, v)
		}
	}
	for _, c := range h.svc.Config().Connections {
		if st, _ := h.db.Load(c.Name); st.Token != nil {
			secrets = append(secrets, st.Token.AccessToken, st.Token.RefreshToken)
		}
	}
	n := 0
	for i, f := range frames {
		for _, s := range secrets {
			if len(s) >= 8 {
				n++
				if strings.Contains(f, s) {
					t.Errorf("frame %d shows a secret (%d chars, %.4q…):\n%s", i, len(s), s, f)
				}
			}
		}
	}
	if n < 40*len(frames) {
		t.Fatalf("too few secrets collected (%d checks over %d frames)", n, len(frames))
	}
}
