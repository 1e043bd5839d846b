package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/flows/oauth"
	"tokentop/flows/providertest"
)

// credHelperFixture is a config whose first connection (other) has a cmd:
// secret that leaves a marker file when it runs and matches another host;
// then first and second, both matching https://api.example.com/*; then
// aerion, signed out, matching https://aerion.example.com/*.
func credHelperFixture(t *testing.T) (opts CredentialHelperOptions, marker string) {
	t.Helper()
	fake := providertest.New(providertest.Options{})
	t.Cleanup(fake.Close)
	marker = filepath.Join(t.TempDir(), "secret-ran")
	aikido := func(name, match, secret string) string {
		return fmt.Sprintf("[connections.%s]\nprovider = \"aikido\"\nclient_id = %q\nclient_secret = %q\ntoken_url = %q\ncheck_url = %q\nmatch = [%q]\n\n",
			name, providertest.AikidoClientID, secret, fake.AikidoTokenURL(), fake.AikidoCheckURL(), match)
	}
	conf := aikido("other", "https://other.example.com/*", "cmd:touch '"+marker+"'; echo "+providertest.AikidoClientSecret) +
		aikido("first", "https://api.example.com/*", providertest.AikidoClientSecret) +
		aikido("second", "https://api.example.com/v1/*", providertest.AikidoClientSecret) +
		fmt.Sprintf("[connections.aerion]\nprovider = \"aerion\"\ncompany_url = %q\nusername = %q\nclient_id = \"c\"\nclient_secret = \"s\"\ntoken_url = %q\ncheck_url = %q\nmatch = [\"https://aerion.example.com/*\"]\n",
			providertest.AerionTenant, providertest.AerionUser, fake.AerionTokenURL(), fake.AerionCheckURL())
	cfg, err := config.Parse("config.toml", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	db := mustOpen(t)
	var svc *flows.Service
	opts.Config = cfg
	opts.Service = func(cfg *flows.Config) (*flows.Service, error) {
		if svc == nil {
			svc = flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: db})
		}
		return svc, nil
	}
	return opts, marker
}

func TestRunCredentialHelper(t *testing.T) {
	opts, marker := credHelperFixture(t)
	ctx := context.Background()
	ask := func(req string) (string, string, error) {
		var out, errOut bytes.Buffer
		o := opts
		o.In, o.Out, o.ErrOut = strings.NewReader(req), &out, &errOut
		err := RunCredentialHelper(ctx, o)
		return out.String(), errOut.String(), err
	}

	out, _, err := ask(`{"uri": "https://nowhere.example.org/x"}`)
	if err != nil || out != "{\"headers\":{}}\n" {
		t.Fatalf("no match: %q, %v", out, err)
	}

	out, _, err = ask(`{"uri": "https://api.example.com/v1/things?q=1"}`)
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Headers map[string][]string `json:"headers"`
		Expires string              `json:"expires"`
	}
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatalf("answer %q: %v", out, err)
	}
	svc, _ := opts.Service(opts.Config)
	first, err := svc.Token(ctx, "first", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Headers["Authorization"]; len(got) != 1 || got[0] != "Bearer "+first.AccessToken || len(resp.Headers) != 1 {
		t.Fatalf("headers are not first's bearer (the first matching connection in file order): %d headers", len(resp.Headers))
	}
	exp, err := time.Parse(time.RFC3339, resp.Expires)
	if err != nil || !strings.HasSuffix(resp.Expires, "Z") || !exp.Equal(first.Expiry.Truncate(time.Second)) {
		t.Fatalf("expires %q (%v), want first's expiry %v in UTC", resp.Expires, err, first.Expiry)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the secret command of a connection that does not match ran")
	}

	out, errOut, err := ask(`{"uri": "https://aerion.example.com/api"}`)
	wantKind(t, err, Attention, true)
	var b bytes.Buffer
	Report(&b, err)
	if want := "tokentop: aerion: sign-in required: run tokentop login aerion\n"; b.String() != want || out != "" || errOut != "" {
		t.Fatalf("signed out: reported %q, stdout %q; want %q", b.String(), out, want)
	}
}

func TestCredentialHelperBadRequests(t *testing.T) {
	opts, _ := credHelperFixture(t)
	cases := map[string]struct{ req, want string }{
		"not json":     {`{"uri": `, "credential-helper: the request is not JSON"},
		"wrong type":   {`{"uri": 5}`, `credential-helper: the request is not {"uri": "…"}`},
		"no uri":       {`{"url": "https://api.example.com/"}`, `credential-helper: the request has no "uri"`},
		"relative uri": {`{"uri": "/x"}`, "not an absolute URL"},
		"too large":    {`{"uri": "https://api.example.com/` + strings.Repeat("a", MaxCredentialRequest) + `"}`, "larger than 64 KiB"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			o := opts
			o.In, o.Out, o.ErrOut = strings.NewReader(tc.req), &out, &errOut
			err := RunCredentialHelper(context.Background(), o)
			wantKind(t, err, Usage, true)
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") || out.Len() != 0 {
				t.Fatalf("error %q (stdout %q), want one line containing %q", err, out.String(), tc.want)
			}
		})
	}
}

// FuzzReadCredentialRequest: whatever a tool writes on stdin, the helper
// reads an absolute URL with a host or fails with one line.
func FuzzReadCredentialRequest(f *testing.F) {
	for _, s := range []string{`{"uri": "https://api.example.com/x"}`, `{"uri": "/x"}`, `{"uri": 5}`, `{`, `null`, `{"uri": "https://a\u0000b/"}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := readCredentialRequest(bytes.NewReader(b))
		switch {
		case err != nil:
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("a two-line error: %q", err)
			}
		case !u.IsAbs() || u.Host == "":
			t.Fatalf("accepted %q", u)
		}
	})
}
