package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/providertest"
	"tokentop/store"
)

// inProcess runs tokentop in this process on c's files.
func (c *cli) inProcess(args ...string) (string, string, int) {
	c.t.Helper()
	return runInit(c.t, append([]string{"--config", c.config, "--state", c.state}, args...)...)
}

// age moves the stored token of connection name back by d, as if it had
// been obtained d earlier.
func (c *cli) age(name string, d time.Duration) {
	c.t.Helper()
	db, err := store.Open(c.state, store.Options{})
	if err != nil {
		c.t.Fatal(err)
	}
	if err := db.Update(name, func(st *flows.State) error {
		st.Token.ObtainedAt = st.Token.ObtainedAt.Add(-d)
		st.Token.Expiry = st.Token.Expiry.Add(-d)
		return nil
	}); err != nil {
		c.t.Fatal(err)
	}
}

// TestCLIRenew: renew renews each name now, a line each; a connection
// that needs a person fails it with exit 1; --all skips those and says why;
// wrong arguments exit 2 before any request.
func TestCLIRenew(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	requests := func() int { return c.fake.Count(providertest.Aikido, "client_credentials") }
	renewed := regexp.MustCompile(`^aikido: renewed, valid for 1m (29|30)s\n$`)

	out, errOut, code := c.run("", "renew", "aikido")
	if code != 0 || !renewed.MatchString(out) || errOut != "" || requests() != 1 {
		t.Fatalf("renew aikido: exit %d, stdout %q, stderr %q, %d requests", code, out, errOut, requests())
	}
	out, errOut, code = c.run("", "renew", "aikido", "aerion")
	if code != 1 || !renewed.MatchString(out) || errOut != "tokentop: aerion: sign-in required: run tokentop login aerion\n" || requests() != 2 {
		t.Fatalf("renew aikido aerion: exit %d, stdout %q, stderr %q, %d requests", code, out, errOut, requests())
	}
	out, errOut, code = c.run("", "renew", "--all")
	if code != 0 || !renewed.MatchString(out) || requests() != 3 ||
		errOut != "tokentop: aerion: skipped: signed out; only a person can sign in: run tokentop login aerion\n" {
		t.Fatalf("renew --all: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, args := range [][]string{{"renew"}, {"renew", "--all", "aikido"}, {"renew", "aikido", "aikdo"}, {"renew", "--bogus"}} {
		out, errOut, code := c.run("", args...)
		if code != 2 || out != "" || !strings.HasPrefix(errOut, "tokentop: ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one error", args, code, out, errOut)
		}
	}
	if requests() != 3 {
		t.Errorf("%d requests: a usage error renewed something", requests())
	}
}

// TestCLITokenMinValidLongerThanLife: the provider's tokens live 1h; with
// --min-valid 2h a token older than 6m is renewed, by one of eight
// processes asking at once, and stderr says why; without the flag the
// half-life rule keeps the token.
func TestCLITokenMinValidLongerThanLife(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	c.fake.SetLifetime(providertest.Aikido, time.Hour)
	requests := func() int { return c.fake.Count(providertest.Aikido, "client_credentials") }
	first, errOut, code := c.run("", "token", "aikido")
	if code != 0 {
		t.Fatalf("token: exit %d: %s", code, errOut)
	}
	const note = "tokentop: aikido: the provider's tokens live 1h 00m, less than --min-valid 2h: renewing any older than 6m 00s\n"
	out, errOut, code := c.run("", "token", "aikido", "--min-valid", "2h")
	if code != 0 || out != first || errOut != note || requests() != 1 {
		t.Fatalf("--min-valid 2h on a fresh token: exit %d, a new token %v, stderr %q, %d requests", code, out != first, errOut, requests())
	}
	c.age("aikido", 20*time.Minute)
	if out, errOut, code := c.run("", "token", "aikido"); code != 0 || out != first || errOut != "" || requests() != 1 {
		t.Fatalf("no --min-valid, 40m of 1h left: exit %d, a new token %v, stderr %q", code, out != first, errOut)
	}
	outs, errs := make([]string, 8), make([]string, 8)
	codes := make([]int, 8)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i], codes[i] = c.run("", "token", "aikido", "--min-valid", "2h")
		}()
	}
	wg.Wait()
	for i := range outs {
		if codes[i] != 0 || outs[i] != outs[0] || outs[i] == first || errs[i] != note {
			t.Fatalf("process %d: exit %d, same token as the others %v, a new one %v, stderr %q", i, codes[i], outs[i] == outs[0], outs[i] != first, errs[i])
		}
	}
	if requests() != 2 {
		t.Fatalf("%d renewals for eight processes, want 1", requests()-1)
	}
}

// TestCLIHelpsWithMistakes: unknown commands and subcommands exit 2 with
// cobra's suggestions; a misspelt connection name gets the nearest one,
// whichever command takes it; a missing config file says what to run.
func TestCLIHelpsWithMistakes(t *testing.T) {
	c := newCLI(t, providertest.Options{})
	cases := []struct {
		args   []string
		stderr []string
	}{
		{[]string{"stauts"}, []string{`tokentop: unknown command "stauts" for "tokentop"`, "Did you mean this? status"}},
		{[]string{"tokn", "aikido"}, []string{`unknown command "tokn"`, "Did you mean this? token"}},
		{[]string{"config", "bogus"}, []string{`tokentop: unknown command "bogus" for "tokentop config"`, "Run 'tokentop config --help' for usage."}},
		{[]string{"config", "chek"}, []string{`unknown command "chek" for "tokentop config"`, "Did you mean this? check"}},
		{[]string{"token", "aikdo"}, []string{"tokentop: aikdo: unknown connection; did you mean aikido?\n"}},
		{[]string{"header", "aikdo"}, []string{"tokentop: aikdo: unknown connection; did you mean aikido?\n"}},
		{[]string{"login", "aeiron"}, []string{"tokentop: aeiron: unknown connection; did you mean aerion?\n"}},
		{[]string{"logout", "aikdo"}, []string{"tokentop: aikdo: unknown connection; did you mean aikido?\n"}},
		{[]string{"check", "aikdo"}, []string{"tokentop: aikdo: unknown connection; did you mean aikido?\n"}},
		{[]string{"renew", "aikdo"}, []string{"tokentop: aikdo: unknown connection; did you mean aikido?\n"}},
		{[]string{"token", "zzz"}, []string{"tokentop: zzz: unknown connection (configured: 2 connections in "}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, code := c.inProcess(tc.args...)
			if code != 2 || out != "" {
				t.Fatalf("exit %d, stdout %q; want 2 and nothing (stderr %q)", code, out, errOut)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr %q, want it to contain %q", errOut, want)
				}
			}
		})
	}
	if n := len(c.fake.Requests(providertest.Aikido)); n != 0 {
		t.Errorf("%d requests to the provider from mistyped commands", n)
	}
	if out, errOut, code := c.inProcess("config"); code != 0 || !strings.Contains(out, "Available Commands") {
		t.Errorf("config alone: exit %d, stdout %q, stderr %q; want its help", code, out, errOut)
	}
	missing := filepath.Join(t.TempDir(), "none.toml")
	_, errOut, code := runInit(t, "--config", missing, "--state", c.state, "status")
	if code != 2 || !strings.Contains(errOut, "no such file") || !strings.Contains(errOut, "run tokentop config init") || !strings.Contains(errOut, "tokentop --demo") {
		t.Errorf("a missing config: exit %d, stderr %q", code, errOut)
	}
}
