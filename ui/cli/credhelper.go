package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"tokentop/flows"
	"tokentop/flows/urlmatch"
)

// MaxCredentialRequest caps what tokentop credential-helper reads on
// standard input: a request is one small JSON object.
const MaxCredentialRequest = 64 << 10

// CredentialHelperOptions are the inputs of tokentop credential-helper get,
// the credential-helper protocol of Bazel (and of the tools that follow
// it): a JSON request {"uri": …} on In, the headers to send on Out.
type CredentialHelperOptions struct {
	// Config is every connection, for their match patterns.
	Config *flows.Config
	// Service builds the Service on Config; it is called only once a
	// connection matches, so a request for a URI no connection covers
	// opens nothing and runs no secret command.
	Service func(*flows.Config) (*flows.Service, error)
	In      io.Reader
	Out     io.Writer
	ErrOut  io.Writer
}

// credentialResponse is the helper's answer (Bazel's GetCredentialsResponse):
// Expires, RFC 3339, is when the headers stop being good; absent for a
// token without expiry.
type credentialResponse struct {
	Headers map[string][]string `json:"headers"`
	Expires string              `json:"expires,omitempty"`
}

// RunCredentialHelper answers one get request: the bearer of the first
// connection, in file order, whose match patterns cover the URI, renewed
// first when less than its refresh_before is left. A URI no connection
// covers gets no headers and succeeds, as the protocol asks: the tool then
// sends its request without credentials.
func RunCredentialHelper(ctx context.Context, opts CredentialHelperOptions) error {
	u, err := readCredentialRequest(opts.In)
	if err != nil {
		return usageErr(fmt.Errorf("credential-helper: %w", err))
	}
	var conn *flows.Connection
	for _, c := range opts.Config.Connections {
		if urlmatch.Any(c.Match, u) {
			conn = c
			break
		}
	}
	resp := credentialResponse{Headers: map[string][]string{}}
	if conn != nil {
		svc, err := opts.Service(opts.Config)
		if err != nil {
			return err
		}
		tok, err := handOut{opts.ErrOut, conn.Name}.usable(svc.Token(ctx, conn.Name, conn.RefreshBefore))
		if err != nil {
			return err
		}
		if hasControl(tok.AccessToken) {
			return attentionErr(fmt.Errorf("%s: %w", conn.Name, errControl))
		}
		resp.Headers["Authorization"] = []string{"Bearer " + tok.AccessToken}
		if tok.HasExpiry() {
			resp.Expires = tok.Expiry.UTC().Format(time.RFC3339)
		}
	}
	b, err := json.Marshal(resp)
	if err != nil {
		return attentionErr(err)
	}
	_, err = opts.Out.Write(append(b, '\n'))
	return err
}

// readCredentialRequest reads {"uri": "…"} from r, at most
// MaxCredentialRequest bytes, and returns the URI: absolute, with a host.
func readCredentialRequest(r io.Reader) (*url.URL, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxCredentialRequest+1))
	if err != nil {
		return nil, fmt.Errorf("reading the request: %w", err)
	}
	if len(b) > MaxCredentialRequest {
		return nil, fmt.Errorf("the request is larger than %d KiB", MaxCredentialRequest>>10)
	}
	var req struct {
		URI *string `json:"uri"`
	}
	if err := json.Unmarshal(b, &req); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("the request is not JSON (at byte %d): want {\"uri\": \"…\"}", syn.Offset)
		}
		return nil, fmt.Errorf("the request is not {\"uri\": \"…\"}: %w", err)
	}
	if req.URI == nil {
		return nil, errors.New(`the request has no "uri"`)
	}
	u, err := url.Parse(*req.URI)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return nil, fmt.Errorf("the request's uri is not an absolute URL with a host")
	}
	return u, nil
}
