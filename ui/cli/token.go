package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"tokentop/flows"
)

// The formats tokentop token prints a token in (--format).
const (
	FormatRaw    = "raw"    // the bare token
	FormatHeader = "header" // Authorization: Bearer <token>
	FormatCurl   = "curl"   // a curl config line, for curl -K -
	FormatJSON   = "json"   // access_token, token_type, expires_at, seconds_left
)

// Formats are the values --format takes, in the order help lists them.
var Formats = []string{FormatRaw, FormatHeader, FormatCurl, FormatJSON}

// TokenOptions are the inputs of tokentop token and tokentop header, the
// path scripts take.
type TokenOptions struct {
	// Service needs only connection Name: build it on a config loaded for
	// that connection alone, so no work is done for the others.
	Service *flows.Service
	Name    string
	// MinValid is how much validity must be left; with less, the token is
	// renewed first, without a person.
	MinValid time.Duration
	// Header prints "Authorization: Bearer <token>" instead of the bare
	// token: Format "header", which it stands for when Format is empty.
	Header bool
	// Format is one of Formats; empty is FormatRaw (or FormatHeader with
	// Header).
	Format      string
	Out, ErrOut io.Writer
}

// RunToken prints a fresh access token of one connection and a newline.
// A token that serves but could not be saved is printed with a warning.
func RunToken(ctx context.Context, opts TokenOptions) error {
	format := opts.Format
	if format == "" {
		format = FormatRaw
		if opts.Header {
			format = FormatHeader
		}
	}
	if !validFormat(format) {
		return usageErr(fmt.Errorf("unknown format %q (want %s)", format, strings.Join(Formats, ", ")))
	}
	tok, err := opts.Service.Token(ctx, opts.Name, opts.MinValid)
	switch {
	case err == nil:
	case flows.Usable(err) && tok != nil:
		Warn(opts.ErrOut, err.Error())
	default:
		// A sign-in required says its cause (a refusal by the provider, a
		// request sent and never answered, a changed token_url); what to
		// run is added here.
		return failed(forPeople(err, opts.Name))
	}
	b, err := FormatToken(tok, format, opts.Service.Now())
	if err != nil {
		return attentionErr(fmt.Errorf("%s: %w", opts.Name, err))
	}
	_, err = opts.Out.Write(b)
	return err
}

func validFormat(f string) bool {
	for _, v := range Formats {
		if f == v {
			return true
		}
	}
	return false
}

// errControl is a token that cannot go into a header line: a control
// character in it would end the header and start another.
var errControl = errors.New("the token holds a control character, which a header cannot carry")

// FormatToken returns tok as format prints it at now, newline included.
func FormatToken(tok *flows.Token, format string, now time.Time) ([]byte, error) {
	if format != FormatRaw && format != FormatJSON && hasControl(tok.AccessToken) {
		return nil, errControl
	}
	switch format {
	case FormatHeader:
		return []byte("Authorization: Bearer " + tok.AccessToken + "\n"), nil
	case FormatCurl:
		return []byte(CurlHeader("Authorization: Bearer "+tok.AccessToken) + "\n"), nil
	case FormatJSON:
		return tokenJSON(tok, now)
	}
	return []byte(tok.AccessToken + "\n"), nil
}

// CurlHeader is a curl config file line (curl -K) that sends header h:
// the value double-quoted, with \ and " escaped, as curl's config syntax
// reads a quoted parameter.
func CurlHeader(h string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `header = "` + r.Replace(h) + `"`
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// tokenJSON is --format json: expires_at and seconds_left are null for a
// token without expiry.
func tokenJSON(tok *flows.Token, now time.Time) ([]byte, error) {
	v := struct {
		AccessToken string  `json:"access_token"`
		TokenType   string  `json:"token_type"`
		ExpiresAt   *string `json:"expires_at"`
		SecondsLeft *int64  `json:"seconds_left"`
	}{AccessToken: tok.AccessToken, TokenType: tok.TokenType}
	if v.TokenType == "" {
		v.TokenType = "Bearer"
	}
	if tok.HasExpiry() {
		at := tok.Expiry.UTC().Format(time.RFC3339)
		left := int64(tok.Left(now) / time.Second)
		v.ExpiresAt, v.SecondsLeft = &at, &left
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
