package oauth

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"tokentop/flows/fault"
	"tokentop/flows/redact"
)

var sentAt = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func jsonHeader() http.Header { return http.Header{"Content-Type": {"application/json"}} }

func TestParseTokenResponse(t *testing.T) {
	type want struct {
		access, refresh string
		life            time.Duration // 0: no expiry
		scopes          string
		note            string // substring of a note
		err             string // substring of the error
		code            string // ProviderError code
		hint            string
	}
	tests := map[string]struct {
		status int
		ct     string
		header http.Header
		body   string
		want   want
	}{
		"standard":              {200, "application/json", nil, `{"access_token":"at","token_type":"Bearer","expires_in":3600,"refresh_token":"rt","scope":"read write"}`, want{access: "at", refresh: "rt", life: time.Hour, scopes: "read write"}},
		"aha no expiry":         {200, "application/json", nil, `{"access_token":"1d08ddc8","token_type":"bearer"}`, want{access: "1d08ddc8"}},
		"expires_in string":     {200, "application/json", nil, `{"access_token":"a","token_type":"bearer","expires_in":"3600"}`, want{access: "a", life: time.Hour}},
		"expires_in float":      {200, "application/json", nil, `{"access_token":"a","token_type":"bearer","expires_in":3600.0}`, want{access: "a", life: time.Hour}},
		"expires_in fraction":   {200, "application/json", nil, `{"access_token":"a","token_type":"bearer","expires_in":59.9}`, want{access: "a", life: 59 * time.Second}},
		"expires_in null":       {200, "application/json", nil, `{"access_token":"a","token_type":"bearer","expires_in":null}`, want{access: "a"}},
		"expires_in zero":       {200, "application/json", nil, `{"access_token":"a","token_type":"bearer","expires_in":0}`, want{access: "a"}},
		"expires_in negative":   {200, "application/json", nil, `{"access_token":"a","token_type":"bearer","expires_in":-5}`, want{err: "token expired on arrival"}},
		"expires_in huge":       {200, "application/json", nil, `{"access_token":"a","token_type":"bearer","expires_in":1e300}`, want{access: "a", life: maxLifetime, note: "capped"}},
		"expires_in overflow":   {200, "application/json", nil, `{"access_token":"a","token_type":"bearer","expires_in":"1e999"}`, want{access: "a", life: maxLifetime, note: "capped"}},
		"expires_in garbage":    {200, "application/json", nil, `{"access_token":"a","token_type":"bearer","expires_in":"soon"}`, want{err: "expires_in is not a number"}},
		"expires_in NaN":        {200, "application/json", nil, `{"access_token":"a","token_type":"bearer","expires_in":"NaN"}`, want{err: "expires_in is not a number"}},
		"expires_in hex":        {200, "application/json", nil, `{"access_token":"a","token_type":"bearer","expires_in":"0x10"}`, want{err: "expires_in is not a number"}},
		"expires_in bool":       {200, "application/json", nil, `{"access_token":"a","token_type":"bearer","expires_in":true}`, want{err: "expires_in is not a number"}},
		"no token_type":         {200, "application/json", nil, `{"access_token":"a"}`, want{access: "a", note: "assumed Bearer"}},
		"BEARER":                {200, "application/json", nil, `{"access_token":"a","token_type":"BEARER"}`, want{access: "a"}},
		"mac refused":           {200, "application/json", nil, `{"access_token":"a","token_type":"mac"}`, want{err: `token_type "mac" is not supported`}},
		"dpop refused":          {200, "application/json", nil, `{"access_token":"a","token_type":"DPoP"}`, want{err: `token_type "DPoP"`}},
		"scope array":           {200, "application/json", nil, `{"access_token":"a","token_type":"bearer","scope":["a","b c"]}`, want{access: "a", scopes: "a b c"}},
		"form encoded":          {200, "application/x-www-form-urlencoded", nil, `access_token=a&token_type=bearer&expires_in=60`, want{access: "a", life: time.Minute}},
		"control char in token": {200, "application/json", nil, `{"access_token":"ab\u001b[2Jcd","token_type":"bearer"}`, want{err: "access_token has characters a token cannot have"}},
		"newline in refresh":    {200, "application/json", nil, `{"access_token":"abcd","refresh_token":"x\r\ny","token_type":"bearer"}`, want{err: "refresh_token has characters"}},
		"empty object":          {200, "application/json", nil, `{}`, want{err: "missing access_token"}},
		"access not string":     {200, "application/json", nil, `{"access_token":12345,"token_type":"bearer"}`, want{err: "access_token is not a string"}},
		"refresh not string":    {200, "application/json", nil, `{"access_token":"a","refresh_token":{}}`, want{err: "refresh_token is not a string"}},
		"truncated":             {200, "application/json", nil, `{"access_token":"abc`, want{err: "invalid JSON (HTTP 200): truncated"}},
		"array":                 {200, "application/json", nil, `["a"]`, want{err: "invalid JSON"}},
		"null":                  {200, "application/json", nil, `null`, want{err: "invalid JSON"}},
		"empty":                 {200, "application/json", nil, ``, want{err: "token endpoint returned an empty response (HTTP 200)"}},
		"empty 500":             {500, "", nil, `  `, want{err: "HTTP 500 with an empty response"}},
		"html 502":              {502, "text/html", nil, `<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>`, want{err: `token endpoint returned HTML (HTTP 502): check token_url or proxy (page title "502 Bad Gateway")`}},
		"html 200 login page":   {200, "text/html; charset=utf-8", nil, `<!DOCTYPE html><title>Sign in</title>`, want{err: "returned HTML (HTTP 200)"}},
		"html no content type":  {200, "", nil, "\n<!doctype html><html>", want{err: "returned HTML"}},
		"invalid_client":        {401, "application/json", nil, `{"error":"invalid_client","error_description":"Client authentication failed"}`, want{err: "invalid_client: Client authentication failed", code: "invalid_client", hint: "check client_id, client_secret and client_auth"}},
		"invalid_grant":         {400, "application/json", nil, `{"error":"invalid_grant","error_description":"refresh token expired"}`, want{err: "invalid_grant: refresh token expired", code: "invalid_grant", hint: "sign in again"}},
		"unauthorized_client":   {400, "application/json", nil, `{"error":"unauthorized_client"}`, want{err: "unauthorized_client", code: "unauthorized_client", hint: "check flow"}},
		"error with 200":        {200, "application/json", nil, `{"error":"invalid_grant","access_token":"x"}`, want{err: "invalid_grant", code: "invalid_grant"}},
		"error object":          {400, "application/json", nil, `{"error":{"code":"E42","message":"nope"}}`, want{err: "E42: nope", code: "E42"}},
		"401 challenge":         {401, "", http.Header{"Www-Authenticate": {`Basic realm="x", error="invalid_client", error_description="bad secret"`}}, ``, want{err: "invalid_client: bad secret", code: "invalid_client"}},
		"401 challenge json":    {401, "application/json", http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}}, `{"message":"no"}`, want{code: "invalid_token", err: "invalid_token"}},
		"401 bare":              {401, "text/plain", http.Header{"Www-Authenticate": {`Basic realm="api"`}}, `Unauthorized`, want{err: "unauthorized (HTTP 401)"}},
		"500 text":              {500, "text/plain", nil, "Internal\x1b[2J error", want{err: "token endpoint answered HTTP 500: Internal [2J error"}},
		"escape in description": {400, "application/json", nil, `{"error":"invalid_grant","error_description":"x\u001b]52;c;ZXZpbA==\u0007\nsecond line"}`, want{err: "invalid_grant: x ]52;c;ZXZpbA== second line", code: "invalid_grant"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := http.Header{}
			if tc.ct != "" {
				h.Set("Content-Type", tc.ct)
			}
			for k, v := range tc.header {
				h[k] = v
			}
			tok, err := parseTokenResponse(tc.status, h, []byte(tc.body), sentAt, nil)
			w := tc.want
			if w.err != "" || w.code != "" {
				if err == nil {
					t.Fatalf("no error, token %v", tok)
				}
				if !strings.Contains(err.Error(), w.err) {
					t.Errorf("error %q does not contain %q", err, w.err)
				}
				checkOneLine(t, err.Error())
				var pe *fault.ProviderError
				if w.code != "" {
					if !errors.As(err, &pe) || pe.Code != w.code {
						t.Fatalf("error %#v is not a ProviderError %s", err, w.code)
					}
					if !strings.Contains(pe.Hint, w.hint) {
						t.Errorf("hint %q does not contain %q", pe.Hint, w.hint)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if tok.AccessToken != w.access || tok.RefreshToken != w.refresh || tok.TokenType != "Bearer" {
				t.Errorf("token = %+v", *tok)
			}
			if w.life == 0 && !tok.Expiry.IsZero() {
				t.Errorf("expiry %v, want none", tok.Expiry)
			}
			if w.life != 0 && !tok.Expiry.Equal(sentAt.Add(w.life)) {
				t.Errorf("expiry %v, want %v", tok.Expiry, sentAt.Add(w.life))
			}
			if got := strings.Join(tok.Scopes, " "); got != w.scopes {
				t.Errorf("scopes %q, want %q", got, w.scopes)
			}
			if w.note != "" && !strings.Contains(strings.Join(tok.Notes, ";"), w.note) {
				t.Errorf("notes %q lack %q", tok.Notes, w.note)
			}
			if !tok.ObtainedAt.Equal(sentAt) {
				t.Errorf("ObtainedAt %v", tok.ObtainedAt)
			}
		})
	}
}

func checkOneLine(t *testing.T, s string) {
	t.Helper()
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			t.Fatalf("control character %U in %q", r, s)
		}
	}
}

func TestParseTokenResponseTooLarge(t *testing.T) {
	_, err := parseTokenResponse(200, jsonHeader(), make([]byte, maxBody+1), sentAt, nil)
	if err == nil || !strings.Contains(err.Error(), "response too large") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseTokenResponseRedactsExcerpt(t *testing.T) {
	red := redact.New()
	red.Add("client-secret-XYZ", "user-password-123")
	body := "echo: client_secret=client-secret-XYZ&password=user-password-123 " + strings.Repeat("x", 500)
	_, err := parseTokenResponse(500, http.Header{}, []byte(body), sentAt, red)
	if err == nil || strings.Contains(err.Error(), "client-secret") || strings.Contains(err.Error(), "user-password") {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), redact.Placeholder) {
		t.Errorf("no marker: %v", err)
	}
	// An HTML page title is redact.Placeholder too.
	_, err = parseTokenResponse(502, http.Header{}, []byte("<html><title>for user-password-123</title>"), sentAt, red)
	if err == nil || strings.Contains(err.Error(), "user-password") {
		t.Fatalf("err = %v", err)
	}
}

func FuzzParseTokenResponse(f *testing.F) {
	f.Add(200, "application/json", []byte(`{"access_token":"a","token_type":"bearer","expires_in":3600}`))
	f.Add(200, "application/json", []byte(`{"access_token":"a","expires_in":"3600.0","scope":["x"]}`))
	f.Add(400, "application/json", []byte(`{"error":"invalid_grant","error_description":"x\u001b]52;c;e30=\u0007"}`))
	f.Add(502, "text/html", []byte(`<html><title>Bad Gateway</title>`))
	f.Add(200, "application/x-www-form-urlencoded", []byte(`access_token=a&expires_in=-1`))
	f.Add(401, "", []byte(``))
	f.Add(200, "", []byte(`{"access_token":"a","expires_in":1e999}`))
	f.Fuzz(func(t *testing.T, status int, ct string, body []byte) {
		h := http.Header{"Content-Type": {ct}, "Www-Authenticate": {`Bearer error="invalid_token", error_description="` + string(body[:min(len(body), 20)]) + `"`}}
		tok, err := parseTokenResponse(status, h, body, sentAt, nil)
		if err != nil {
			checkOneLine(t, err.Error())
			return
		}
		if tok.AccessToken == "" || tok.TokenType != "Bearer" || checkTokenChars(tok) != nil {
			t.Fatalf("bad token %+v", tok)
		}
		if tok.HasExpiry() && (!tok.Expiry.After(sentAt) || tok.Expiry.After(sentAt.Add(maxLifetime))) {
			t.Fatalf("expiry %v out of range", tok.Expiry)
		}
		var pe *fault.ProviderError
		if errors.As(err, &pe) {
			t.Fatal("token and error")
		}
	})
}

func TestParseExpiresIn(t *testing.T) {
	tests := map[string]struct {
		raw  string
		want time.Duration
		err  bool
	}{
		"int":        {`3600`, time.Hour, false},
		"string":     {`"3600"`, time.Hour, false},
		"spaced":     {`" 60 "`, time.Minute, false},
		"float":      {`3600.0`, time.Hour, false},
		"exp":        {`3.6e3`, time.Hour, false},
		"missing":    {``, 0, false},
		"null":       {`null`, 0, false},
		"zero":       {`0`, 0, false},
		"half":       {`0.5`, 0, true},
		"negative":   {`-1`, 0, true},
		"neg string": {`"-3600"`, 0, true},
		"max int64":  {`9223372036854775807`, maxLifetime, false},
		"empty str":  {`""`, 0, true},
		"infinity":   {`"Infinity"`, 0, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, _, err := parseExpiresIn(json.RawMessage(tc.raw))
			if (err != nil) != tc.err || got != tc.want {
				t.Errorf("parseExpiresIn(%s) = %v, %v", tc.raw, got, err)
			}
		})
	}
}

func FuzzExpiry(f *testing.F) {
	f.Add([]byte(`3600`), int64(1538126476), int64(1538126476), "Mon, 24 Sep 2018 10:00:00 GMT")
	f.Add([]byte(`"3600.0"`), int64(1538126476000), int64(0), "")
	f.Add([]byte(`1e400`), int64(-1), int64(99999999999), "garbage")
	f.Fuzz(func(t *testing.T, raw []byte, expiresAt, localUnix int64, date string) {
		// The local clock is sane (1970 to 2200); the server is anything.
		local := time.Unix(0, 0).Add(time.Duration(uint64(localUnix)%uint64(230*365*24*time.Hour/time.Second)) * time.Second)
		life, _, err := parseExpiresIn(raw)
		if err == nil {
			if life < 0 || life > maxLifetime {
				t.Fatalf("life %v out of range", life)
			}
			if exp := local.Add(life); exp.Before(local) {
				t.Fatalf("overflow: %v", exp)
			}
		}
		b, _ := json.Marshal(expiresAt)
		at, err := unixSeconds(b)
		if err != nil {
			return
		}
		exp, ok := absoluteExpiry(time.Unix(at, 0), date, local)
		if !ok {
			return
		}
		if exp.Sub(local) > maxLifetime {
			t.Fatalf("absolute expiry %v beyond cap from %v", exp, local)
		}
		if d, err := http.ParseTime(date); err == nil && d.Year() >= 2000 && d.Year() <= 2200 && !exp.After(local) {
			t.Fatalf("expiry %v not after send time %v with a server Date", exp, local)
		}
	})
}
