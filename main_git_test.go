package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tokentop/flows/providertest"
)

// gitPath is the real git, which .ci/run installs; without it the test
// fails under CI and is skipped elsewhere.
func gitPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("git")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("git is missing: .ci/run installs it")
		}
		t.Skip("git is not installed")
	}
	return p
}

// gitFixture is a bare repository served by git http-backend on loopback
// behind a server that demands a live token of the fake as the Basic
// password, and a tokentop connection "forge" whose match pattern covers
// that server, configured as git's credential helper.
type gitFixture struct {
	*cli
	git     string
	server  *httptest.Server
	home    string
	global  string // GIT_CONFIG_GLOBAL
	refused atomic.Int32
	// refuseNext makes the server refuse the next good credential too, as
	// a server that revoked the token would.
	refuseNext atomic.Bool
}

const gitUser = "tokentop-bot"

func newGitFixture(t *testing.T) *gitFixture {
	t.Helper()
	f := &gitFixture{cli: newCLI(t, providertest.Options{}), git: gitPath(t), home: t.TempDir()}
	f.global = filepath.Join(f.home, "gitconfig")
	if err := os.WriteFile(f.global, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	work := filepath.Join(t.TempDir(), "work")
	f.mustGit(t, "", "init", "-q", "-b", "main", work)
	f.mustGit(t, work, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "first")
	f.mustGit(t, "", "clone", "-q", "--bare", work, filepath.Join(root, "repo.git"))
	execPath := strings.TrimSpace(f.mustGit(t, "", "--exec-path"))
	backend := &cgi.Handler{
		Path: filepath.Join(execPath, "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"},
	}
	f.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != gitUser || !liveToken(r.Context(), f.fake.AikidoCheckURL(), pass) || f.refuseNext.CompareAndSwap(true, false) {
			f.refused.Add(1)
			w.Header().Set("WWW-Authenticate", `Basic realm="tokentop test"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(f.server.Close)
	conf := fmt.Sprintf(`
[connections.forge]
provider = "aikido"
client_id = %q
client_secret = %q
token_url = "%s"
check_url = "%s"
match = ["%s/*"]
git_username = %q
`, providertest.AikidoClientID, providertest.AikidoClientSecret, f.fake.AikidoTokenURL(), f.fake.AikidoCheckURL(), f.server.URL, gitUser)
	file, err := os.OpenFile(f.config, os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = file.WriteString(conf)
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// helper configures tokentop as git's credential helper for every URL, so
// that tokentop's own matching decides which requests it answers.
func (f *gitFixture) helper(t *testing.T) {
	t.Helper()
	conf := fmt.Sprintf("[credential]\n\thelper = \"!'%s' git-credential forge\"\n\tuseHttpPath = true\n", binPath)
	if err := os.WriteFile(f.global, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
}

// gitRun runs git in dir with stdin, in an environment of the fixture's
// own: no system or user configuration but GIT_CONFIG_GLOBAL, no prompts.
func (f *gitFixture) gitRun(t *testing.T, dir, stdin string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, f.git, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+f.home, "XDG_CONFIG_HOME="+filepath.Join(f.home, "xdg"),
		"GIT_CONFIG_GLOBAL="+f.global, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "SSH_ASKPASS=",
		"TOKENTOP_CONFIG="+f.config, "TOKENTOP_STATE="+f.state)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

func (f *gitFixture) mustGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, errOut, err := f.gitRun(t, dir, "", args...)
	if err != nil {
		t.Fatalf("git %v: %v: %s", args, err, errOut)
	}
	return out
}

// hostPort is the git server's host:port.
func (f *gitFixture) hostPort() string {
	u, _ := url.Parse(f.server.URL)
	return u.Host
}

func (f *gitFixture) tokenRequests() int {
	return f.fake.Count(providertest.Aikido, "client_credentials")
}

// TestGitCredentialFill: git credential fill asks tokentop and prints the
// connection's git_username and token; a URL the connection's match does
// not cover gets no answer, so git, with prompts off, fails.
func TestGitCredentialFill(t *testing.T) {
	f := newGitFixture(t)
	f.helper(t)
	out, errOut, err := f.gitRun(t, "", "protocol=http\nhost="+f.hostPort()+"\npath=repo.git\n\n", "credential", "fill")
	if err != nil {
		t.Fatalf("git credential fill: %v: %s", err, errOut)
	}
	tok := f.storedToken("forge")
	want := "protocol=http\nhost=" + f.hostPort() + "\npath=repo.git\nusername=" + gitUser + "\npassword=" + tok + "\n"
	if !strings.HasPrefix(out, want) {
		t.Fatalf("git credential fill printed %q, want it to start with %q", strings.ReplaceAll(out, tok, "TOKEN"), strings.ReplaceAll(want, tok, "TOKEN"))
	}
	if strings.Contains(errOut, tok) {
		t.Fatal("the token reached standard error")
	}
	for _, other := range []string{"protocol=https\nhost=git.example.com\npath=repo.git\n\n", "protocol=https\nhost=" + f.hostPort() + "\npath=repo.git\n\n"} {
		out, _, err := f.gitRun(t, "", other, "credential", "fill")
		if err == nil || strings.Contains(out, "password=") {
			t.Fatalf("git credential fill for %q succeeded with %q; want no answer from tokentop", other, strings.ReplaceAll(out, tok, "TOKEN"))
		}
	}
	if n := f.tokenRequests(); n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
}

// TestGitLsRemote: git ls-remote of a repository whose server demands the
// token as the Basic password works with tokentop as the helper, and not
// without it.
func TestGitLsRemote(t *testing.T) {
	f := newGitFixture(t)
	repo := f.server.URL + "/repo.git"
	if out, errOut, err := f.gitRun(t, "", "", "ls-remote", repo); err == nil {
		t.Fatalf("git ls-remote without the helper succeeded (%q): the server does not demand the token", out)
	} else if !strings.Contains(errOut, "terminal prompts disabled") && !strings.Contains(errOut, "Authentication failed") {
		t.Fatalf("git ls-remote without the helper: %v: %s", err, errOut)
	}
	f.helper(t)
	for i := 1; i <= 2; i++ {
		out, errOut, err := f.gitRun(t, "", "", "ls-remote", repo)
		if err != nil || !strings.Contains(out, "\trefs/heads/main\n") {
			t.Fatalf("git ls-remote %d: %v: stdout %q, stderr %q", i, err, out, errOut)
		}
	}
	if n := f.tokenRequests(); n != 1 {
		t.Fatalf("%d token requests, want 1: the second ls-remote reuses the stored token", n)
	}
}

// TestGitLsRemoteAfterRefusal: a server that refuses the token makes git
// erase it through the helper, and the next git command gets a renewed one.
func TestGitLsRemoteAfterRefusal(t *testing.T) {
	f := newGitFixture(t)
	f.helper(t)
	repo := f.server.URL + "/repo.git"
	f.mustGit(t, "", "ls-remote", repo)
	first := f.storedToken("forge")
	f.refuseNext.Store(true)
	if _, errOut, err := f.gitRun(t, "", "", "ls-remote", repo); err == nil || !strings.Contains(errOut, "Authentication failed") {
		t.Fatalf("git ls-remote with the token refused: %v: %s", err, errOut)
	}
	if out := f.mustGit(t, "", "ls-remote", repo); !strings.Contains(out, "\trefs/heads/main\n") {
		t.Fatalf("git ls-remote after the refusal printed %q", out)
	}
	if f.storedToken("forge") == first || f.tokenRequests() != 2 {
		t.Fatalf("%d token requests, want 2: git's erase must make the next get renew", f.tokenRequests())
	}
}

// TestGitCredentialAuthtype: a request announcing capability[]=authtype
// (git 2.46 and later) is answered with a Bearer credential.
func TestGitCredentialAuthtype(t *testing.T) {
	f := newGitFixture(t)
	req := "capability[]=authtype\nprotocol=http\nhost=" + f.hostPort() + "\npath=repo.git\n\n"
	out, errOut, code := f.run(req, "git-credential", "forge", "get")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	tok := f.storedToken("forge")
	prefix := "capability[]=authtype\nauthtype=Bearer\ncredential=" + tok + "\npassword_expiry_utc="
	rest, ok := strings.CutPrefix(out, prefix)
	if !ok || strings.Contains(out, "password=") {
		t.Fatalf("printed %q, want it to start with %q and carry no password", strings.ReplaceAll(out, tok, "TOKEN"), strings.ReplaceAll(prefix, tok, "TOKEN"))
	}
	exp, err := strconv.ParseInt(strings.TrimSuffix(rest, "\n"), 10, 64)
	if left := time.Until(time.Unix(exp, 0)); err != nil || left <= 0 || left > providertest.DefaultLifetime {
		t.Fatalf("password_expiry_utc=%q: want the token's expiry in Unix seconds", rest)
	}
	if out, _, code := f.run("capability[]=authtype\nprotocol=http\nhost=git.example.com\n\n", "git-credential", "forge", "get"); code != 0 || out != "" {
		t.Fatalf("an uncovered host: exit %d, printed %q; want no answer, exit 0", code, out)
	}
}

// TestGitCredentialErase: git credential reject of tokentop's token erases
// it, and the next fill gets a renewed one; a helper never prints the
// token on standard error.
func TestGitCredentialErase(t *testing.T) {
	f := newGitFixture(t)
	f.helper(t)
	req := "protocol=http\nhost=" + f.hostPort() + "\npath=repo.git\n\n"
	f.mustFill(t, req)
	first := f.storedToken("forge")
	reject := strings.TrimSuffix(req, "\n") + "username=" + gitUser + "\npassword=" + first + "\n\n"
	if _, errOut, err := f.gitRun(t, "", reject, "credential", "reject"); err != nil {
		t.Fatalf("git credential reject: %v: %s", err, errOut)
	}
	out := f.mustFill(t, req)
	second := f.storedToken("forge")
	if second == first || !strings.Contains(out, "password="+second+"\n") {
		t.Fatal("the fill after the reject did not answer a renewed token")
	}
	if n := f.tokenRequests(); n != 2 {
		t.Fatalf("%d token requests, want 2: one renewal after the reject", n)
	}
	// store is a no-op; a reject of somebody else's password costs nothing.
	other := strings.TrimSuffix(req, "\n") + "username=" + gitUser + "\npassword=another-helpers-password\n\n"
	for _, op := range []string{"approve", "reject"} {
		if _, errOut, err := f.gitRun(t, "", other, "credential", op); err != nil {
			t.Fatalf("git credential %s: %v: %s", op, err, errOut)
		}
	}
	if out := f.mustFill(t, req); !strings.Contains(out, "password="+second+"\n") || f.tokenRequests() != 2 {
		t.Fatalf("after approve and a reject of another password: %d token requests, want 2 and the same token", f.tokenRequests())
	}
}

func (f *gitFixture) mustFill(t *testing.T, req string) string {
	t.Helper()
	out, errOut, err := f.gitRun(t, "", req, "credential", "fill")
	if err != nil {
		t.Fatalf("git credential fill: %v: %s", err, errOut)
	}
	return out
}
