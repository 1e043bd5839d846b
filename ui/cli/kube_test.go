package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/flows/config"
	"tokentop/flows/oauth"
	"tokentop/flows/providertest"
)

func TestParseExecInfo(t *testing.T) {
	cases := map[string]struct {
		env      string
		terminal bool
		want     ExecInfo
		err      string
	}{
		"unset, no terminal": {"", false, ExecInfo{ExecCredentialV1, false}, ""},
		"unset, terminal":    {"", true, ExecInfo{ExecCredentialV1, true}, ""},
		"v1 non-interactive": {`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}`, true, ExecInfo{ExecCredentialV1, false}, ""},
		"v1beta1 interactive": {`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":true}}`, false,
			ExecInfo{ExecCredentialV1beta1, true}, ""},
		"with cluster info": {`{"apiVersion":"client.authentication.k8s.io/v1","spec":{"cluster":{"server":"https://k"},"interactive":true}}`, false, ExecInfo{ExecCredentialV1, true}, ""},
		"no version":        {`{"spec":{}}`, false, ExecInfo{ExecCredentialV1, false}, ""},
		"kubectl 1.20, terminal": {`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{}}`, true,
			ExecInfo{ExecCredentialV1beta1, true}, ""},
		"kubectl 1.20, no terminal": {`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{}}`, false,
			ExecInfo{ExecCredentialV1beta1, false}, ""},
		"v1alpha1":   {`{"apiVersion":"client.authentication.k8s.io/v1alpha1"}`, false, ExecInfo{}, "asks for"},
		"wrong kind": {`{"kind":"Pod","apiVersion":"v1"}`, false, ExecInfo{}, "not an ExecCredential"},
		"not JSON":   {`{`, false, ExecInfo{}, "not JSON"},
		"too long":   {`{"x":"` + strings.Repeat("a", maxExecInfo) + `"}`, false, ExecInfo{}, "longer than"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseExecInfo(tc.env, tc.terminal)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func FuzzParseExecInfo(f *testing.F) {
	f.Add(`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":true}}`)
	f.Add(`{"apiVersion":"client.authentication.k8s.io/v1beta1"}`)
	f.Fuzz(func(t *testing.T, env string) {
		info, err := ParseExecInfo(env, false)
		if err == nil && info.APIVersion != ExecCredentialV1 && info.APIVersion != ExecCredentialV1beta1 {
			t.Fatalf("accepted apiVersion %q", info.APIVersion)
		}
	})
}

// execCredentialOut decodes what RunKubeCredential printed.
func execCredentialOut(t *testing.T, out string) execCredential {
	t.Helper()
	var c execCredential
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("stdout %q is not an ExecCredential alone: %v", out, err)
	}
	if c.Kind != "ExecCredential" || c.Status.Token == "" {
		t.Fatalf("ExecCredential %+v: want kind ExecCredential and a token", c)
	}
	return c
}

func TestRunKubeCredential(t *testing.T) {
	for _, version := range []string{ExecCredentialV1, ExecCredentialV1beta1} {
		t.Run(version, func(t *testing.T) {
			svc, _ := newService(t)
			var out, errOut bytes.Buffer
			err := RunKubeCredential(context.Background(), KubeOptions{Service: svc, Name: "aikido", MinValid: time.Minute,
				Info: ExecInfo{APIVersion: version}, Out: &out, ErrOut: &errOut})
			if err != nil {
				t.Fatal(err)
			}
			c := execCredentialOut(t, out.String())
			st, _ := svc.State("aikido")
			if c.APIVersion != version || c.Status.Token != st.Token.AccessToken {
				t.Fatalf("apiVersion %q, token %s; want %q and the stored token", c.APIVersion, flows.Token{AccessToken: c.Status.Token}, version)
			}
			exp, err := time.Parse(time.RFC3339, c.Status.ExpirationTimestamp)
			if err != nil || !exp.Equal(st.Token.Expiry.Truncate(time.Second)) {
				t.Fatalf("expirationTimestamp %q (%v), want the token's expiry %s", c.Status.ExpirationTimestamp, err, st.Token.Expiry)
			}
			if errOut.Len() != 0 {
				t.Fatalf("stderr %q, want nothing", errOut.String())
			}
		})
	}
}

// TestRunKubeCredentialSignIn: a connection only a person can sign in
// fails at once without a terminal, and signs in on it with one; stdout
// carries nothing but the ExecCredential.
func TestRunKubeCredentialSignIn(t *testing.T) {
	t.Run("non-interactive", func(t *testing.T) {
		svc, fake := newService(t)
		var out, errOut bytes.Buffer
		asked := false
		err := RunKubeCredential(context.Background(), KubeOptions{Service: svc, Name: "aerion", Info: ExecInfo{APIVersion: ExecCredentialV1},
			Login: LoginOptions{Password: func(string) (string, error) { asked = true; return "", nil }}, Out: &out, ErrOut: &errOut})
		wantKind(t, err, Attention, true)
		if !strings.Contains(err.Error(), "aerion") || !strings.HasSuffix(err.Error(), "run tokentop login aerion") {
			t.Fatalf("error %q, want it to name aerion and say run tokentop login aerion", err)
		}
		if asked || out.Len() != 0 || fake.Count(providertest.Aerion, "") != 0 {
			t.Fatalf("asked %v, printed %q, %d requests: want none", asked, out.String(), fake.Count(providertest.Aerion, ""))
		}
	})
	t.Run("interactive", func(t *testing.T) {
		svc, _ := newService(t)
		var out, errOut bytes.Buffer
		err := RunKubeCredential(context.Background(), KubeOptions{Service: svc, Name: "aerion", Info: ExecInfo{APIVersion: ExecCredentialV1, Interactive: true},
			Login: LoginOptions{Password: func(string) (string, error) { return providertest.AerionPassword, nil }}, Out: &out, ErrOut: &errOut})
		if err != nil {
			t.Fatal(err)
		}
		c := execCredentialOut(t, out.String())
		if st, _ := svc.State("aerion"); st.Token == nil || st.Token.AccessToken != c.Status.Token {
			t.Fatal("the ExecCredential does not carry the token of the sign-in")
		}
		if !strings.Contains(errOut.String(), "aerion: signed in") {
			t.Fatalf("stderr %q, want the sign-in said there", errOut.String())
		}
	})
}

// TestRunKubeCredentialNoExpiry: a token without expiry (an API key) has
// no expirationTimestamp.
func TestRunKubeCredentialNoExpiry(t *testing.T) {
	t.Setenv("TOKENTOP_TEST_KUBE_KEY", "aha-api-key-SENTINEL")
	cfg, err := config.Parse("config.toml", []byte("[connections.aha]\nprovider = \"aha\"\nflow = \"api_key\"\nsubdomain = \"acme\"\napi_key = \"env:TOKENTOP_TEST_KUBE_KEY\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	svc := flows.NewService(cfg, flows.Options{NewClient: oauth.New, Store: mustOpen(t)})
	var out bytes.Buffer
	if err := RunKubeCredential(context.Background(), KubeOptions{Service: svc, Name: "aha", Info: ExecInfo{APIVersion: ExecCredentialV1}, Out: &out, ErrOut: &out}); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"apiVersion":%q,"kind":"ExecCredential","status":{"token":"aha-api-key-SENTINEL"}}`+"\n", ExecCredentialV1)
	if out.String() != want {
		t.Fatalf("printed %q, want %q", out.String(), want)
	}
}
