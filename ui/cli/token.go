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
	// MinValidGiven says MinValid was asked for explicitly (--min-valid):
	// then a provider whose tokens live less than MinValid gets any token
	// older than a tenth of its life renewed, rather than the half-life
	// rule of Token.ValidFor that the default margin keeps.
	MinValidGiven bool
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
	tok, err := handOut{opts.ErrOut, opts.Name}.usable(token(ctx, opts))
	if err != nil {
		return err
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

// token gets the token RunToken prints. An explicit --min-valid longer
// than the provider's token life cannot be met; the next best is a token
// at most a tenth of its life old, so an older token is renewed, once for
// every concurrent caller (RenewFrom shares one renewal in this process,
// and answers with the token another caller renewed since tok was read),
// and ErrOut says so once. When that renewal fails, a token the half-life
// rule accepts is handed out with a warning, as without the flag.
func token(ctx context.Context, opts TokenOptions) (*flows.Token, error) {
	svc := opts.Service
	if !opts.MinValidGiven {
		return svc.Token(ctx, opts.Name, opts.MinValid)
	}
	st, err := svc.State(opts.Name)
	if err != nil {
		return nil, err
	}
	c := svc.Config().Connection(opts.Name)
	tok := st.Token
	if tok == nil || tok.AccessToken == "" || !tok.HasExpiry() || tok.ObtainedAt.IsZero() || st.Refused || !c.Renewable(st) {
		return svc.Token(ctx, opts.Name, opts.MinValid)
	}
	life := tok.Expiry.Sub(tok.ObtainedAt)
	if life <= 0 || life >= opts.MinValid {
		return svc.Token(ctx, opts.Name, opts.MinValid)
	}
	fmt.Fprintf(opts.ErrOut, "tokentop: %s: the provider's tokens live %s, less than --min-valid %s: renewing any older than %s\n",
		opts.Name, flows.Countdown(life), shortDuration(opts.MinValid), flows.Countdown(life/10))
	if svc.Now().Sub(tok.ObtainedAt) <= life/10 {
		return svc.Token(ctx, opts.Name, opts.MinValid)
	}
	renewed, err := svc.RenewFrom(ctx, opts.Name, tok)
	if err != nil && ctx.Err() == nil && tok.ValidFor(svc.Now(), opts.MinValid) {
		// No worse than without the flag: the token the half-life rule
		// accepts, and why it is not a newer one.
		Warn(opts.ErrOut, fmt.Sprintf("%s: renewal failed, so the current token is handed out, valid for %s", forPeople(err, opts.Name), flows.Countdown(tok.Left(svc.Now()))))
		return tok, nil
	}
	return renewed, err
}
