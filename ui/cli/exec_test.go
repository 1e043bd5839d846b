package cli

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestExecBindings(t *testing.T) {
	cases := map[string]struct {
		names, env []string
		want       []Binding
		err        string
	}{
		"one":              {names: []string{"aikido"}, want: []Binding{{"TOKENTOP_TOKEN", "aikido"}}},
		"one twice":        {names: []string{"aikido", "aikido"}, want: []Binding{{"TOKENTOP_TOKEN", "aikido"}}},
		"several":          {names: []string{"aikido", "my-api.v2"}, want: []Binding{{"AIKIDO_TOKEN", "aikido"}, {"MY_API_V2_TOKEN", "my-api.v2"}}},
		"env only":         {env: []string{"GH=aikido"}, want: []Binding{{"GH", "aikido"}}},
		"env replaces":     {names: []string{"aikido"}, env: []string{"GH=aikido"}, want: []Binding{{"GH", "aikido"}}},
		"env and default":  {names: []string{"aikido", "aerion"}, env: []string{"A=aikido"}, want: []Binding{{"A", "aikido"}, {"AERION_TOKEN", "aerion"}}},
		"env counts":       {names: []string{"aikido"}, env: []string{"B=aerion"}, want: []Binding{{"B", "aerion"}, {"AIKIDO_TOKEN", "aikido"}}},
		"one in two vars":  {env: []string{"A=aikido", "B=aikido"}, want: []Binding{{"A", "aikido"}, {"B", "aikido"}}},
		"nothing":          {err: "name a connection"},
		"no =":             {env: []string{"GH"}, err: `--env "GH": want VAR=NAME`},
		"empty var":        {env: []string{"=aikido"}, err: "want VAR=NAME"},
		"not portable":     {env: []string{"MY-VAR=aikido"}, err: `"MY-VAR" is not a portable environment variable name`},
		"leading digit":    {names: []string{"1p", "aikido"}, err: `1p: "1P_TOKEN" is not a portable`},
		"non-ascii":        {env: []string{"TÖKEN=aikido"}, err: "not a portable"},
		"shared default":   {names: []string{"a-b", "a_b"}, err: "a-b and a_b would both set A_B_TOKEN"},
		"shared explicit":  {env: []string{"X=a", "X=b"}, err: "a and b would both set X"},
		"explicit/default": {names: []string{"b"}, env: []string{"B_TOKEN=a"}, err: "a and b would both set B_TOKEN"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ExecBindings(tc.names, tc.env)
			if tc.err != "" {
				wantKind(t, err, Usage, true)
				if !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %q, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestChildEnv(t *testing.T) {
	environ := []string{"PATH=/bin", "TOKENTOP_TOKEN=stale", "HOME=/h", "GH=old"}
	got := childEnv(environ, []Binding{{"TOKENTOP_TOKEN", "a"}, {"GH", "b"}}, map[string]string{"a": "ta", "b": "tb"})
	want := []string{"PATH=/bin", "HOME=/h", "TOKENTOP_TOKEN=ta", "GH=tb"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestRunExec: the token reaches the command's environment, a signed-out
// connection starts nothing and says one line, an unknown one is a usage
// error.
func TestRunExec(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	var out, errOut bytes.Buffer
	err := RunExec(ctx, ExecOptions{Service: svc, Bindings: []Binding{{"T", "aikido"}}, Command: []string{"sh", "-c", `test -n "$T" && exit 5`}, Out: &out, ErrOut: &errOut})
	var st *ExitStatus
	if !errors.As(err, &st) || st.Code != 5 || st.Err != nil {
		t.Fatalf("RunExec: %v (%#v), want exit status 5", err, st)
	}

	out.Reset()
	errOut.Reset()
	err = RunExec(ctx, ExecOptions{Service: svc, Bindings: []Binding{{"A", "aikido"}, {"B", "aerion"}}, Command: []string{"sh", "-c", "echo started"}, Out: &out, ErrOut: &errOut})
	wantKind(t, err, Attention, false)
	if want := "tokentop: aerion: sign-in required: run tokentop login aerion\n"; errOut.String() != want || out.Len() != 0 {
		t.Fatalf("stderr %q (stdout %q), want %q and nothing started", errOut.String(), out.String(), want)
	}

	err = RunExec(ctx, ExecOptions{Service: svc, Bindings: []Binding{{"A", "nope"}}, Command: []string{"true"}, Out: &out, ErrOut: &errOut})
	wantKind(t, err, Usage, true)
}
