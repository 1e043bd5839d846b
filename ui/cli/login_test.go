package cli

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"tokentop/flows/providertest"
)

// TestRunLoginPassword: a password from the prompt, or from standard input.
func TestRunLoginPassword(t *testing.T) {
	cases := map[string]struct {
		opts       LoginOptions
		prompted   string
		kind       Kind // 0: signed in
		wantErrOut string
	}{
		"prompt": {
			opts:       LoginOptions{Password: func(string) (string, error) { return providertest.AerionPassword, nil }},
			prompted:   "Password for " + providertest.AerionUser + " (aerion): ",
			wantErrOut: `^aerion: signed in \(valid for [^)]+\)\n$`,
		},
		"stdin": {
			opts:       LoginOptions{PasswordStdin: true, In: strings.NewReader(providertest.AerionPassword + "\n")},
			wantErrOut: `^aerion: signed in \(valid for [^)]+\)\n$`,
		},
		"empty stdin": {
			opts: LoginOptions{PasswordStdin: true, In: strings.NewReader("")},
			kind: Usage,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			svc, _ := newService(t)
			var errOut bytes.Buffer
			opts := tc.opts
			opts.Service, opts.Name, opts.ErrOut = svc, "aerion", &errOut
			var prompted string
			if pw := opts.Password; pw != nil {
				opts.Password = func(prompt string) (string, error) { prompted = prompt; return pw(prompt) }
			}
			err := RunLogin(context.Background(), opts)
			if tc.kind != 0 {
				wantKind(t, err, tc.kind, true)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if prompted != tc.prompted || !regexp.MustCompile(tc.wantErrOut).MatchString(errOut.String()) {
				t.Fatalf("prompted %q, said %q", prompted, errOut.String())
			}
			if st, _ := svc.State("aerion"); st.Token == nil {
				t.Fatal("no token saved")
			}
		})
	}
}

// TestRunLoginErrors: the full text of each failure of a sign-in.
func TestRunLoginErrors(t *testing.T) {
	cases := map[string]struct {
		opts LoginOptions
		kind Kind
		want string
	}{
		"prompt failed": {
			LoginOptions{Name: "aerion", Password: func(string) (string, error) {
				return "", errors.New("no terminal to ask for the password: use --password-stdin")
			}},
			Usage, "aerion: no terminal to ask for the password: use --password-stdin",
		},
		"password from empty stdin": {
			LoginOptions{Name: "aerion", PasswordStdin: true, In: strings.NewReader("\n")},
			Usage, "aerion: reading the password from standard input: nothing was given",
		},
		"refresh token from empty stdin": {
			LoginOptions{Name: "aerion", RefreshTokenStdin: true, In: strings.NewReader("")},
			Usage, "aerion: reading the refresh token from standard input: nothing was given",
		},
		"unknown connection": {
			LoginOptions{Name: "nope"},
			Usage, "nope: unknown connection (configured: 2 connections in config.toml)",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			svc, _ := newService(t)
			opts := tc.opts
			opts.Service, opts.ErrOut = svc, new(bytes.Buffer)
			err := RunLogin(context.Background(), opts)
			wantKind(t, err, tc.kind, true)
			if err.Error() != tc.want {
				t.Fatalf("error %q, want %q", err, tc.want)
			}
		})
	}
}

func TestRunLoginRefreshToken(t *testing.T) {
	svc, fake := newService(t)
	rt := fake.SeedRefreshToken(providertest.Aerion, providertest.AerionUser)
	var errOut bytes.Buffer
	err := RunLogin(context.Background(), LoginOptions{Service: svc, Name: "aerion", RefreshTokenStdin: true, In: strings.NewReader(rt + "\r\n"), ErrOut: &errOut})
	if err != nil || errOut.String() != "aerion: signed in\n" {
		t.Fatalf("login --refresh-token-stdin: %v, said %q", err, errOut.String())
	}
}

func TestRunLogout(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	if _, err := svc.Token(ctx, "aikido", 0); err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	if err := RunLogout(ctx, LogoutOptions{Service: svc, Name: "aikido", ErrOut: &errOut}); err != nil {
		t.Fatal(err)
	}
	if st, _ := svc.State("aikido"); errOut.String() != "aikido: signed out; tokens forgotten\n" || st.Token != nil {
		t.Fatalf("logout said %q, left %+v", errOut.String(), st.Token)
	}
	wantKind(t, RunLogout(ctx, LogoutOptions{Service: svc, Name: "nope", ErrOut: &errOut}), Usage, true)
}

func TestReadLine(t *testing.T) {
	cases := map[string]struct {
		in, want, err string
	}{
		"line":           {"s3cret\n", "s3cret", ""},
		"crlf":           {"s3cret\r\n", "s3cret", ""},
		"no line ending": {"s3cret", "s3cret", ""},
		"first line":     {"one\ntwo\n", "one", ""},
		"empty":          {"", "", "nothing was given"},
		"empty line":     {"\n", "", "nothing was given"},
	}
	for name, tc := range cases {
		got, err := readLine(strings.NewReader(tc.in))
		if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) {
			t.Errorf("%s: readLine(%q) = %q, %v; want %q, %q", name, tc.in, got, err, tc.want, tc.err)
		}
	}
}
