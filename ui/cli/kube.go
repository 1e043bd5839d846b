package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"tokentop/flows"
)

// The client.authentication.k8s.io versions kubectl speaks to exec
// plugins: v1 since Kubernetes 1.22, v1beta1 before and alongside it.
const (
	ExecCredentialV1      = "client.authentication.k8s.io/v1"
	ExecCredentialV1beta1 = "client.authentication.k8s.io/v1beta1"
)

// maxExecInfo caps the KUBERNETES_EXEC_INFO kubectl hands over; with
// provideClusterInfo it carries a CA bundle, never megabytes.
const maxExecInfo = 1 << 20

// ExecInfo is what kubectl says of the call in KUBERNETES_EXEC_INFO.
type ExecInfo struct {
	// APIVersion is the ExecCredential version to answer in.
	APIVersion string
	// Interactive is spec.interactive: kubectl gave the plugin its
	// terminal, so a person can sign in.
	Interactive bool
}

// ParseExecInfo reads KUBERNETES_EXEC_INFO. An empty value (a person
// running the command by hand) is v1. Without spec.interactive (an empty
// value, or kubectl before 1.22, whose v1beta1 spec has no such field but
// hands the plugin its terminal all the same) the call is interactive when
// terminal says standard input is one.
func ParseExecInfo(env string, terminal bool) (ExecInfo, error) {
	if env == "" {
		return ExecInfo{APIVersion: ExecCredentialV1, Interactive: terminal}, nil
	}
	if len(env) > maxExecInfo {
		return ExecInfo{}, fmt.Errorf("KUBERNETES_EXEC_INFO is longer than %d bytes", maxExecInfo)
	}
	var in struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Spec       struct {
			Interactive *bool `json:"interactive"`
		} `json:"spec"`
	}
	if err := json.Unmarshal([]byte(env), &in); err != nil {
		return ExecInfo{}, errors.New("KUBERNETES_EXEC_INFO is not JSON")
	}
	switch {
	case in.Kind != "" && in.Kind != "ExecCredential":
		return ExecInfo{}, fmt.Errorf("KUBERNETES_EXEC_INFO is a %q, not an ExecCredential", in.Kind)
	case in.APIVersion == "":
		in.APIVersion = ExecCredentialV1
	case in.APIVersion != ExecCredentialV1 && in.APIVersion != ExecCredentialV1beta1:
		return ExecInfo{}, fmt.Errorf("KUBERNETES_EXEC_INFO asks for %q (tokentop answers %s and %s)", in.APIVersion, ExecCredentialV1, ExecCredentialV1beta1)
	}
	info := ExecInfo{APIVersion: in.APIVersion, Interactive: terminal}
	if in.Spec.Interactive != nil {
		info.Interactive = *in.Spec.Interactive
	}
	return info, nil
}

// KubeOptions are the inputs of tokentop kubectl-credential.
type KubeOptions struct {
	// Service needs only connection Name.
	Service *flows.Service
	Name    string
	// MinValid is how much validity the token must have left; with less it
	// is renewed first.
	MinValid time.Duration
	// Info is what kubectl said of the call (ParseExecInfo).
	Info ExecInfo
	// Login signs in on the terminal when Info.Interactive and a person is
	// needed; its Service and Name are set by RunKubeCredential. Its
	// prompts go to its ErrOut (ErrOut when nil), never to Out.
	Login LoginOptions
	// Out receives the ExecCredential alone; ErrOut the warnings.
	Out, ErrOut io.Writer
}

// execCredential is the answer kubectl reads on the plugin's stdout
// (k8s.io/client-go/pkg/apis/clientauthentication, ExecCredential).
type execCredential struct {
	APIVersion string               `json:"apiVersion"`
	Kind       string               `json:"kind"`
	Status     execCredentialStatus `json:"status"`
}

type execCredentialStatus struct {
	// ExpirationTimestamp is when kubectl stops using the token and runs
	// the plugin again; absent for a token without expiry, which kubectl
	// then keeps until a 401.
	ExpirationTimestamp string `json:"expirationTimestamp,omitempty"`
	Token               string `json:"token"`
}

// RunKubeCredential prints an ExecCredential carrying a fresh token of one
// connection. When only a person can sign in, it signs in on the terminal
// if kubectl gave it one, and fails at once otherwise.
func RunKubeCredential(ctx context.Context, opts KubeOptions) error {
	tok, err := opts.Service.Token(ctx, opts.Name, opts.MinValid)
	if errors.Is(err, flows.ErrSignInRequired) && opts.Info.Interactive {
		login := opts.Login
		login.Service, login.Name = opts.Service, opts.Name
		if login.ErrOut == nil {
			login.ErrOut = opts.ErrOut
		}
		if err := RunLogin(ctx, login); err != nil {
			return err
		}
		tok, err = opts.Service.Token(ctx, opts.Name, opts.MinValid)
	}
	if tok, err = (handOut{opts.ErrOut, opts.Name}).usable(tok, err); err != nil {
		return err
	}
	cred := execCredential{APIVersion: opts.Info.APIVersion, Kind: "ExecCredential", Status: execCredentialStatus{Token: tok.AccessToken}}
	if tok.HasExpiry() {
		cred.Status.ExpirationTimestamp = tok.Expiry.UTC().Format(time.RFC3339)
	}
	b, err := json.Marshal(cred)
	if err != nil {
		return attentionErr(fmt.Errorf("%s: encoding the ExecCredential: %w", opts.Name, err))
	}
	_, err = opts.Out.Write(append(b, '\n'))
	return err
}
