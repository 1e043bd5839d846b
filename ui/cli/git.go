package cli

import (
	"bufio"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"tokentop/flows"
	"tokentop/flows/urlmatch"
)

// maxGitRequest caps what a git credential request may hold: a few short
// attributes (git-credential(1) "INPUT/OUTPUT FORMAT"), and wwwauth[]
// headers at most.
const maxGitRequest = 64 << 10

// GitRequest is a credential request of git's helper protocol
// (git-credential(1)): the attributes of one credential.
type GitRequest struct {
	Protocol, Host, Path string
	// Username and Password (or Credential, with authtype) are the
	// credential git tells of with store and erase.
	Username, Password, Credential string
	// Capabilities are the capability[] git announces ("authtype" since
	// git 2.46).
	Capabilities []string
}

// ParseGitRequest reads key=value lines until a blank line or the end of
// r, at most maxGitRequest bytes. Unknown keys are ignored, as the
// protocol asks; a later value of a key replaces an earlier one, and a
// key ending in [] collects its values.
func ParseGitRequest(r io.Reader) (GitRequest, error) {
	var req GitRequest
	sc := bufio.NewScanner(io.LimitReader(r, maxGitRequest+1))
	sc.Buffer(make([]byte, 0, 4096), maxGitRequest+1)
	read := 0
	for sc.Scan() {
		line := sc.Text()
		if read += len(line) + 1; read > maxGitRequest {
			return GitRequest{}, fmt.Errorf("the credential request is longer than %d bytes", maxGitRequest)
		}
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			break
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return GitRequest{}, errors.New("the credential request has a line without \"=\"")
		}
		switch key {
		case "protocol":
			req.Protocol = value
		case "host":
			req.Host = value
		case "path":
			req.Path = value
		case "username":
			req.Username = value
		case "password":
			req.Password = value
		case "credential":
			req.Credential = value
		case "capability[]":
			if value == "" {
				req.Capabilities = nil // an empty value resets the list
			} else {
				req.Capabilities = append(req.Capabilities, value)
			}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return GitRequest{}, fmt.Errorf("the credential request is longer than %d bytes", maxGitRequest)
		}
		return GitRequest{}, fmt.Errorf("reading the credential request: %w", err)
	}
	return req, nil
}

// URL is the request's protocol://host/path; nil when it names no
// protocol or host, or the host is not one. The path is taken as it is, so
// a "#" or "?" in it is part of the path, never a fragment or a query.
func (r GitRequest) URL() *url.URL {
	if r.Protocol == "" || r.Host == "" {
		return nil
	}
	u, err := url.Parse(r.Protocol + "://" + r.Host)
	if err != nil || u.Host != r.Host || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.Contains(r.Host, "#") {
		return nil
	}
	u.Path = "/" + strings.TrimPrefix(r.Path, "/")
	return u
}

// has reports whether git announced capability c.
func (r GitRequest) has(c string) bool {
	for _, x := range r.Capabilities {
		if x == c {
			return true
		}
	}
	return false
}

// Covers reports whether connection c answers for the request's URL: its
// match patterns (flows/urlmatch), or without any, the origin of its
// api_url, else of its check_url.
func Covers(c *flows.Connection, u *url.URL) bool {
	if u == nil {
		return false
	}
	patterns := c.Match
	if len(patterns) == 0 {
		base := c.APIURL
		if base == "" {
			base = c.CheckURL
		}
		o, err := url.Parse(base)
		if err != nil || o.Host == "" {
			return false
		}
		patterns = []string{o.Scheme + "://" + o.Host + "/*"}
	}
	return urlmatch.Any(patterns, u)
}

// GitOptions are the inputs of tokentop git-credential.
type GitOptions struct {
	// Service needs only connection Name.
	Service *flows.Service
	Name    string
	// Operation is git's: get, store or erase; others are ignored, as
	// git-credential(1) asks of helpers.
	Operation string
	// MinValid is how much validity the token must have left for get.
	MinValid time.Duration
	// In is git's request; Out receives the answer, and nothing else.
	In          io.Reader
	Out, ErrOut io.Writer
}

// RunGitCredential answers one request of git's credential helper
// protocol for one connection: get prints the token as a password (or,
// with capability[]=authtype, as a Bearer credential), erase marks it
// refused so that the next get renews it, store does nothing. A request
// for a URL the connection does not cover gets no answer.
func RunGitCredential(ctx context.Context, opts GitOptions) error {
	req, err := ParseGitRequest(opts.In)
	if err != nil {
		return usageErr(fmt.Errorf("%s: %w", opts.Name, err))
	}
	c := opts.Service.Config().Connection(opts.Name)
	if c == nil {
		_, err := opts.Service.State(opts.Name) // the unknown-connection error
		return failed(err)
	}
	if !Covers(c, req.URL()) {
		return nil
	}
	switch opts.Operation {
	case "get":
		return gitGet(ctx, opts, c, req)
	case "erase":
		return gitErase(opts, req)
	}
	return nil
}

func gitGet(ctx context.Context, opts GitOptions, c *flows.Connection, req GitRequest) error {
	tok, err := handOut{opts.ErrOut, opts.Name}.usable(opts.Service.Token(ctx, opts.Name, opts.MinValid))
	if err != nil {
		return err
	}
	var b strings.Builder
	if req.has("authtype") {
		b.WriteString("capability[]=authtype\nauthtype=Bearer\ncredential=" + tok.AccessToken + "\n")
	} else {
		user := c.GitUsername
		if user == "" {
			user = "oauth2"
		}
		b.WriteString("username=" + user + "\npassword=" + tok.AccessToken + "\n")
	}
	if tok.HasExpiry() {
		fmt.Fprintf(&b, "password_expiry_utc=%d\n", tok.Expiry.Unix())
	}
	_, err = io.WriteString(opts.Out, b.String())
	return err
}

// gitErase marks the token refused when the credential git erases is the
// connection's token (or git does not say which): git erases a rejected
// credential from every helper, and another helper's must not cost a
// renewal.
func gitErase(opts GitOptions, req GitRequest) error {
	said := req.Password
	if req.Credential != "" {
		said = req.Credential
	}
	if said != "" {
		st, err := opts.Service.State(opts.Name)
		if err != nil {
			return failed(err)
		}
		if st.Token == nil || subtle.ConstantTimeCompare([]byte(said), []byte(st.Token.AccessToken)) != 1 {
			return nil
		}
	}
	if err := opts.Service.Refuse(opts.Name); err != nil {
		return attentionErr(fmt.Errorf("%s: marking the token refused: %w", opts.Name, err))
	}
	return nil
}
