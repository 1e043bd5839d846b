package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"tokentop/flows"
)

func TestFormatToken(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	tok := &flows.Token{AccessToken: `a"b\c`, TokenType: "Bearer", Expiry: now.Add(90*time.Second + 500*time.Millisecond)}
	cases := map[string]struct {
		tok    *flows.Token
		format string
		want   string
	}{
		"raw":            {tok, FormatRaw, "a\"b\\c\n"},
		"header":         {tok, FormatHeader, "Authorization: Bearer a\"b\\c\n"},
		"curl quoting":   {tok, FormatCurl, `header = "Authorization: Bearer a\"b\\c"` + "\n"},
		"json":           {tok, FormatJSON, `{"access_token":"a\"b\\c","token_type":"Bearer","expires_at":"2026-12-01T12:01:30Z","seconds_left":90}` + "\n"},
		"json no expiry": {&flows.Token{AccessToken: "k"}, FormatJSON, `{"access_token":"k","token_type":"Bearer","expires_at":null,"seconds_left":null}` + "\n"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := FormatToken(tc.tok, tc.format, now)
			if err != nil || string(b) != tc.want {
				t.Fatalf("got %q, %v; want %q", b, err, tc.want)
			}
		})
	}
	for _, f := range []string{FormatHeader, FormatCurl} {
		if _, err := FormatToken(&flows.Token{AccessToken: "a\nX-Evil: 1"}, f, now); err == nil {
			t.Errorf("%s: a token with a newline was formatted into a header", f)
		}
	}
}

func TestRunTokenFormats(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	var raw, out, errOut bytes.Buffer
	if err := RunToken(ctx, TokenOptions{Service: svc, Name: "aikido", Out: &raw, ErrOut: &errOut}); err != nil {
		t.Fatal(err)
	}
	if err := RunToken(ctx, TokenOptions{Service: svc, Name: "aikido", Format: FormatJSON, Out: &out, ErrOut: &errOut}); err != nil {
		t.Fatal(err)
	}
	var v struct {
		AccessToken string     `json:"access_token"`
		TokenType   string     `json:"token_type"`
		ExpiresAt   *time.Time `json:"expires_at"`
		SecondsLeft *float64   `json:"seconds_left"`
	}
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if v.AccessToken+"\n" != raw.String() || v.TokenType != "Bearer" || v.ExpiresAt == nil || v.SecondsLeft == nil || *v.SecondsLeft <= 0 {
		t.Fatalf("json: type %q, expires %v, seconds_left %v; same token as raw: %v", v.TokenType, v.ExpiresAt, v.SecondsLeft, v.AccessToken+"\n" == raw.String())
	}
	err := RunToken(ctx, TokenOptions{Service: svc, Name: "aikido", Format: "yaml", Out: &out, ErrOut: &errOut})
	wantKind(t, err, Usage, true)
}
