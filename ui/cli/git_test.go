package cli

import (
	"bytes"
	"context"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/providertest"
	"tokentop/flows/redact"
)

func TestParseGitRequest(t *testing.T) {
	cases := map[string]struct {
		in   string
		want GitRequest
		err  string
	}{
		"get": {"protocol=https\nhost=git.example.com\npath=org/repo.git\n\n",
			GitRequest{Protocol: "https", Host: "git.example.com", Path: "org/repo.git"}, ""},
		"EOF ends it":        {"protocol=http\nhost=127.0.0.1:8080", GitRequest{Protocol: "http", Host: "127.0.0.1:8080"}, ""},
		"blank line ends it": {"protocol=https\n\nhost=evil.example\n", GitRequest{Protocol: "https"}, ""},
		"CRLF":               {"protocol=https\r\nhost=a.example\r\n\r\n", GitRequest{Protocol: "https", Host: "a.example"}, ""},
		"capabilities and credential": {"capability[]=authtype\ncapability[]=state\nprotocol=https\nhost=a.example\nusername=u\npassword=p\ncredential=c\nwwwauth[]=Bearer realm=x\n",
			GitRequest{Protocol: "https", Host: "a.example", Username: "u", Password: "p", Credential: "c", Capabilities: []string{"authtype", "state"}}, ""},
		"empty capability resets": {"capability[]=authtype\ncapability[]=\n", GitRequest{}, ""},
		"later value wins":        {"host=a.example\nhost=b.example\n", GitRequest{Host: "b.example"}, ""},
		"value with =":            {"password=a=b\n", GitRequest{Password: "a=b"}, ""},
		"no =":                    {"protocol https\n", GitRequest{}, `without "="`},
		"too long line":           {"path=" + strings.Repeat("a", maxGitRequest) + "\n", GitRequest{}, "longer than"},
		"too many lines":          {strings.Repeat("wwwauth[]=Basic\n", maxGitRequest/10), GitRequest{}, "longer than"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseGitRequest(strings.NewReader(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func FuzzParseGitRequest(f *testing.F) {
	f.Add("protocol=https\nhost=git.example.com\npath=org/repo.git\n\n")
	f.Add("capability[]=authtype\nprotocol=http\nhost=[::1]:80\n")
	c := &flows.Connection{Match: []string{"https://git.example.com/org/*"}}
	f.Fuzz(func(t *testing.T, in string) {
		req, err := ParseGitRequest(strings.NewReader(in))
		if err != nil {
			return
		}
		if u := req.URL(); Covers(c, u) && (u.Scheme != "https" || !strings.EqualFold(u.Hostname(), "git.example.com") || !strings.HasPrefix(u.EscapedPath()+"/", "/org/")) {
			t.Fatalf("%q covered as %s", in, u)
		}
	})
}

func TestCovers(t *testing.T) {
	matched := &flows.Connection{Match: []string{"https://git.example.com/org/*"}, CheckURL: "https://api.example.com/me"}
	byCheck := &flows.Connection{CheckURL: "https://api.example.com/v1/me"}
	byAPI := &flows.Connection{APIURL: "http://127.0.0.1:8080/api", CheckURL: "https://api.example.com/v1/me"}
	cases := []struct {
		c    *flows.Connection
		req  GitRequest
		want bool
	}{
		{matched, GitRequest{Protocol: "https", Host: "git.example.com", Path: "org/repo.git"}, true},
		{matched, GitRequest{Protocol: "https", Host: "git.example.com", Path: "other/repo.git"}, false},
		{matched, GitRequest{Protocol: "https", Host: "git.example.com", Path: "org/../other/repo.git"}, false},
		{matched, GitRequest{Protocol: "https", Host: "api.example.com"}, false},
		{matched, GitRequest{Protocol: "https", Host: "git.example.com", Path: "org#/repo.git"}, false},
		{matched, GitRequest{Protocol: "https", Host: "git.example.com", Path: "org?/repo.git"}, false},
		{matched, GitRequest{Protocol: "http", Host: "git.example.com", Path: "org/repo.git"}, false},
		{byCheck, GitRequest{Protocol: "https", Host: "api.example.com"}, true},
		{byCheck, GitRequest{Protocol: "https", Host: "api.example.com", Path: "any/repo.git"}, true},
		{byCheck, GitRequest{Protocol: "https", Host: "api.example.com:8443"}, false},
		{byCheck, GitRequest{Protocol: "https", Host: "api.example.com.evil.test"}, false},
		{byCheck, GitRequest{Protocol: "https", Host: "evil.test/api.example.com"}, false},
		{byCheck, GitRequest{Protocol: "https", Host: "u@api.example.com"}, false},
		{byCheck, GitRequest{Host: "api.example.com"}, false},
		{byAPI, GitRequest{Protocol: "http", Host: "127.0.0.1:8080"}, true},
		{byAPI, GitRequest{Protocol: "https", Host: "api.example.com"}, false},
		{&flows.Connection{}, GitRequest{Protocol: "https", Host: "api.example.com"}, false},
	}
	for _, tc := range cases {
		if got := Covers(tc.c, tc.req.URL()); got != tc.want {
			t.Errorf("Covers(match %v, api_url %q, check_url %q; %+v) = %v, want %v", tc.c.Match, tc.c.APIURL, tc.c.CheckURL, tc.req, got, tc.want)
		}
	}
}

// gitRun runs one helper operation on svc and returns what it printed.
func gitRun(t *testing.T, svc *flows.Service, name, op, req string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := RunGitCredential(context.Background(), GitOptions{Service: svc, Name: name, Operation: op, MinValid: time.Minute,
		In: strings.NewReader(req), Out: &out, ErrOut: &errOut})
	return out.String(), errOut.String(), err
}

func TestRunGitCredential(t *testing.T) {
	svc, fake := newService(t)
	u, _ := url.Parse(fake.URL)
	here := "protocol=http\nhost=" + u.Host + "\npath=repo.git\n\n"

	out, errOut, err := gitRun(t, svc, "aikido", "get", here)
	if err != nil || errOut != "" {
		t.Fatalf("get: %v, stderr %q", err, errOut)
	}
	st, _ := svc.State("aikido")
	tok := st.Token
	want := "username=oauth2\npassword=" + tok.AccessToken + "\npassword_expiry_utc=" + itoa(tok.Expiry.Unix()) + "\n"
	if out != want {
		t.Fatalf("get printed %q, want %q", redactedAs(out, tok), redactedAs(want, tok))
	}

	out, _, err = gitRun(t, svc, "aikido", "get", "capability[]=authtype\n"+here)
	want = "capability[]=authtype\nauthtype=Bearer\ncredential=" + tok.AccessToken + "\npassword_expiry_utc=" + itoa(tok.Expiry.Unix()) + "\n"
	if err != nil || out != want {
		t.Fatalf("get with authtype printed %q (%v), want %q", redactedAs(out, tok), err, redactedAs(want, tok))
	}

	for _, other := range []string{"protocol=https\nhost=" + u.Host + "\n", "protocol=http\nhost=git.example.com\n", "host=" + u.Host + "\n", ""} {
		if out, errOut, err := gitRun(t, svc, "aikido", "get", other); err != nil || out != "" || errOut != "" {
			t.Fatalf("get %q: printed %q, stderr %q, %v; want no answer", other, out, errOut, err)
		}
	}

	// Erasing another helper's credential costs no renewal; erasing ours
	// makes the next get renew.
	if _, _, err := gitRun(t, svc, "aikido", "erase", strings.TrimSuffix(here, "\n")+"username=oauth2\npassword=not-ours\n"); err != nil {
		t.Fatal(err)
	}
	if st, _ := svc.State("aikido"); st.Refused {
		t.Fatal("erasing a credential that is not the token marked it refused")
	}
	if _, _, err := gitRun(t, svc, "aikido", "erase", strings.TrimSuffix(here, "\n")+"username=oauth2\npassword="+tok.AccessToken+"\n"); err != nil {
		t.Fatal(err)
	}
	out, _, err = gitRun(t, svc, "aikido", "get", here)
	if err != nil || out == "" || strings.Contains(out, tok.AccessToken) {
		t.Fatalf("get after erase: %v; want a renewed token", err)
	}
	if n := fake.Count(providertest.Aikido, "client_credentials"); n != 2 {
		t.Fatalf("%d token requests, want 2: one renewal after the erase", n)
	}
	if out, _, err := gitRun(t, svc, "aikido", "store", strings.TrimSuffix(here, "\n")+"username=oauth2\npassword=x\n"); err != nil || out != "" {
		t.Fatalf("store printed %q, %v", out, err)
	}
}

func TestRunGitCredentialFailures(t *testing.T) {
	svc, fake := newService(t)
	u, _ := url.Parse(fake.URL)
	here := "protocol=http\nhost=" + u.Host + "\n\n"
	out, _, err := gitRun(t, svc, "aerion", "get", here)
	wantKind(t, err, Attention, true)
	if out != "" || !strings.HasSuffix(err.Error(), "run tokentop login aerion") {
		t.Fatalf("printed %q, error %q", out, err)
	}
	_, _, err = gitRun(t, svc, "nope", "get", here)
	wantKind(t, err, Usage, true)
	_, _, err = gitRun(t, svc, "aikido", "get", "protocol http\n")
	wantKind(t, err, Usage, true)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// redactedAs is s with tok's access token masked, for test output.
func redactedAs(s string, tok *flows.Token) string {
	return strings.ReplaceAll(s, tok.AccessToken, redact.Mask(tok.AccessToken))
}
