package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"tokentop/flows/providertest"
	"tokentop/store"
)

// kubectlPath is the real kubectl, which .ci/run installs; without it the
// test fails under CI and is skipped elsewhere.
func kubectlPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kubectl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("kubectl is missing: .ci/run installs it (apt-get install kubernetes-client)")
		}
		t.Skip("kubectl is not installed")
	}
	return p
}

// kubectlMinor is kubectl's client minor version: 1.22 brought
// client.authentication.k8s.io/v1 and KUBERNETES_EXEC_INFO for every
// plugin.
func kubectlMinor(t *testing.T, kubectl string) int {
	t.Helper()
	out, err := exec.Command(kubectl, "version", "--client", "-o", "json").Output()
	if err != nil {
		t.Fatalf("kubectl version: %v", err)
	}
	var v struct {
		ClientVersion struct{ Major, Minor string } `json:"clientVersion"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("kubectl version printed %q: %v", out, err)
	}
	n, err := strconv.Atoi(strings.TrimRight(v.ClientVersion.Minor, "+"))
	if err != nil || v.ClientVersion.Major != "1" {
		t.Fatalf("kubectl version %s.%s: not understood", v.ClientVersion.Major, v.ClientVersion.Minor)
	}
	return n
}

// bearerAPI is a fake API server on loopback (TLS: kubectl runs no exec
// plugin for a plain http server) that answers only requests bearing a
// token the fake provider's bearer-protected endpoint at checkURL honours;
// it records the tokens it was shown.
type bearerAPI struct {
	*httptest.Server
	mu   sync.Mutex
	seen []apiRequest
}

// apiRequest is an authorised request the fake API answered.
type apiRequest struct{ path, token string }

func newBearerAPI(t *testing.T, checkURL, body string) *bearerAPI {
	t.Helper()
	api := &bearerAPI{}
	api.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !liveToken(r.Context(), checkURL, tok) {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			http.Error(w, `{"kind":"Status","code":401}`, http.StatusUnauthorized)
			return
		}
		api.mu.Lock()
		api.seen = append(api.seen, apiRequest{r.URL.Path, tok})
		api.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(api.Close)
	return api
}

func (api *bearerAPI) requests() []apiRequest {
	api.mu.Lock()
	defer api.mu.Unlock()
	return append([]apiRequest(nil), api.seen...)
}

// storedToken is the access token in tokentop's state file for name.
func (c *cli) storedToken(name string) string {
	c.t.Helper()
	db, err := store.Open(c.state, store.Options{})
	if err != nil {
		c.t.Fatal(err)
	}
	st, err := db.Load(name)
	if err != nil || st.Token == nil {
		c.t.Fatalf("no token stored for %s (%v)", name, err)
	}
	return st.Token.AccessToken
}

// liveToken asks a fake provider's bearer-protected endpoint (its check
// URL) whether tok is a token it issued and still honours.
func liveToken(ctx context.Context, checkURL, tok string) bool {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, checkURL, nil)
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// kubeconfig writes a kubeconfig whose user runs tokentop kubectl-credential
// name as its exec plugin, for a cluster at server.
func kubeconfig(t *testing.T, kubectl string, api *bearerAPI, name string) string {
	t.Helper()
	version, extra := "client.authentication.k8s.io/v1", "\n      interactiveMode: IfAvailable"
	args := fmt.Sprintf("[kubectl-credential, %s]", name)
	if kubectlMinor(t, kubectl) < 22 {
		// Before 1.22 (Debian's kubernetes-client is 1.20): no v1 and no
		// interactiveMode; KUBERNETES_EXEC_INFO names v1beta1.
		version, extra = "client.authentication.k8s.io/v1beta1", ""
	}
	k := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: %q
    certificate-authority-data: %s
contexts:
- name: fake
  context:
    cluster: fake
    user: tokentop
current-context: fake
users:
- name: tokentop
  user:
    exec:
      apiVersion: %s
      command: %q
      args: %s%s
      provideClusterInfo: false
`, api.URL, base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: api.Certificate().Raw})),
		version, binPath, args, extra)
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(p, []byte(k), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// kubectl runs the real kubectl with the kubeconfig, tokentop's config and
// state named in its environment, and HOME and its cache in temporary
// directories.
func (c *cli) kubectl(kubectl, kubeconfig string, args ...string) (string, string, error) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectl, append([]string{"--kubeconfig", kubeconfig}, args...)...)
	home := c.t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home, "KUBECACHEDIR="+filepath.Join(home, "cache"),
		"TOKENTOP_CONFIG="+c.config, "TOKENTOP_STATE="+c.state, "KUBERNETES_EXEC_INFO=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// TestKubectlExecCredential: kubectl gets the token from tokentop's exec
// plugin and the API accepts it; a second kubectl, a new process with no
// cache of its own, gets the token tokentop stored, with no new token
// request.
func TestKubectlExecCredential(t *testing.T) {
	kubectl := kubectlPath(t)
	c := newCLI(t, providertest.Options{})
	const version = `{"major":"1","minor":"30","gitVersion":"v1.30.0-tokentop-fake"}`
	api := newBearerAPI(t, c.fake.AikidoCheckURL(), version)
	k := kubeconfig(t, kubectl, api, "aikido")
	for i := 1; i <= 2; i++ {
		out, errOut, err := c.kubectl(kubectl, k, "get", "--raw", "/version")
		if err != nil || !strings.Contains(out, "v1.30.0-tokentop-fake") {
			t.Fatalf("kubectl run %d: %v: stdout %q, stderr %q", i, err, out, errOut)
		}
		if n := c.fake.Count(providertest.Aikido, "client_credentials"); n != 1 {
			t.Fatalf("after kubectl run %d: %d token requests, want 1", i, n)
		}
	}
	// kubectl asks for more than /version (discovery): every request of
	// both runs bears the one token tokentop stored.
	stored, versions := c.storedToken("aikido"), 0
	for _, r := range api.requests() {
		if r.token != stored {
			t.Fatalf("the API was shown a token for %s that is not the one tokentop stored", r.path)
		}
		if r.path == "/version" {
			versions++
		}
	}
	// Google Cloud SDK's kubectl is a dispatcher that asks /version
	// itself to pick the kubectl of the server's version: two per run.
	if versions < 2 {
		t.Fatalf("the API answered /version %d times, want at least 2", versions)
	}
}

// TestKubectlExecCredentialNeedsPerson: without a terminal kubectl runs the
// plugin non-interactive, and a connection only a person can sign in fails
// at once, saying what to run, without asking the provider anything.
func TestKubectlExecCredentialNeedsPerson(t *testing.T) {
	kubectl := kubectlPath(t)
	c := newCLI(t, providertest.Options{})
	api := newBearerAPI(t, c.fake.AerionCheckURL(), `{}`)
	_, errOut, err := c.kubectl(kubectl, kubeconfig(t, kubectl, api, "aerion"), "get", "--raw", "/version")
	if err == nil || !strings.Contains(errOut, "tokentop: aerion: sign-in required: run tokentop login aerion") {
		t.Fatalf("kubectl: %v, stderr %q; want a failure saying run tokentop login aerion", err, errOut)
	}
	if n := c.fake.Count(providertest.Aerion, ""); n != 0 || len(api.requests()) != 0 {
		t.Fatalf("%d provider requests, %d API requests; want none", n, len(api.requests()))
	}
}

// TestKubectlExecCredentialInteractive: kubectl run from a terminal gives
// the plugin that terminal, and a connection only a person can sign in
// asks for its password there, without echo; kubectl then gets the token.
func TestKubectlExecCredentialInteractive(t *testing.T) {
	kubectl := kubectlPath(t)
	c := newCLI(t, providertest.Options{})
	api := newBearerAPI(t, c.fake.AerionCheckURL(), `{"gitVersion":"v1.30.0-signed-in"}`)
	home := t.TempDir()
	command := fmt.Sprintf("%s --kubeconfig %s get --raw /version; echo; echo kubectl-exit=$?; read x", kubectl, kubeconfig(t, kubectl, api, "aerion"))
	tm := newTmux(t, 150, 30, command, "HOME="+home, "KUBECACHEDIR="+filepath.Join(home, "cache"),
		"TOKENTOP_CONFIG="+c.config, "TOKENTOP_STATE="+c.state, "PATH="+os.Getenv("PATH"))
	tm.waitFor("the password prompt", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "Password for "+providertest.AerionUser+" (aerion):")
	})
	tm.keys("-l", providertest.AerionPassword)
	tm.keys("Enter")
	screen := tm.waitFor("kubectl's answer", 30*time.Second, func(s string) bool { return strings.Contains(s, "kubectl-exit=") })
	if !strings.Contains(screen, "v1.30.0-signed-in") || !strings.Contains(screen, "kubectl-exit=0") {
		t.Fatalf("kubectl did not get the version after the sign-in:\n%s", screen)
	}
	if strings.Contains(screen, providertest.AerionPassword) {
		t.Fatal("the password was echoed")
	}
	if n := c.fake.Count(providertest.Aerion, "password"); n != 1 {
		t.Fatalf("%d password sign-ins, want 1", n)
	}
	if stored := c.storedToken("aerion"); len(api.requests()) == 0 || api.requests()[0].token != stored {
		t.Fatal("the API was not shown the token of the sign-in")
	}
}

// TestKubectlCredentialCommand: the plugin as kubectl runs it, with
// KUBERNETES_EXEC_INFO: the apiVersion it names, stdout the JSON alone, and
// a non-interactive call that needs a person fails with one line, exit 1.
func TestKubectlCredentialCommand(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	run := func(info, name string, flags ...string) (string, string, int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, binPath, append([]string{"--config", c.config, "--state", c.state, "kubectl-credential", name}, flags...)...)
		cmd.Env = append(os.Environ(), "KUBERNETES_EXEC_INFO="+info)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			return out.String(), errb.String(), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errb.String(), 0
	}
	out, errOut, code := run(`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}`, "aikido")
	var cred struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Status     struct {
			Token               string    `json:"token"`
			ExpirationTimestamp time.Time `json:"expirationTimestamp"`
		} `json:"status"`
	}
	if code != 0 || errOut != "" || json.Unmarshal([]byte(out), &cred) != nil {
		t.Fatalf("exit %d, stderr %q, stdout not JSON", code, errOut)
	}
	if cred.APIVersion != "client.authentication.k8s.io/v1beta1" || cred.Kind != "ExecCredential" || cred.Status.Token == "" ||
		time.Until(cred.Status.ExpirationTimestamp) <= 0 || time.Until(cred.Status.ExpirationTimestamp) > providertest.DefaultLifetime {
		t.Fatalf("ExecCredential %s %s, token set %v, expires %s", cred.APIVersion, cred.Kind, cred.Status.Token != "", cred.Status.ExpirationTimestamp)
	}
	out, errOut, code = run(`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}`, "aerion")
	if code != 1 || out != "" || errOut != "tokentop: aerion: sign-in required: run tokentop login aerion\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q; want exit 1 and one line", code, out, errOut)
	}
	out, _, code = run("", "aikido", "--api-version", "v1beta1")
	if code != 0 || !strings.HasPrefix(out, `{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",`) {
		t.Fatalf("--api-version v1beta1: exit %d, stdout starts %.60q", code, out)
	}
	if _, errOut, code = run(`{"apiVersion":"client.authentication.k8s.io/v1alpha1"}`, "aikido"); code != 2 {
		t.Fatalf("an unknown apiVersion: exit %d (%q), want 2", code, errOut)
	}
}
