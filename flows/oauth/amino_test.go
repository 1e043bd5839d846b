package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
	"tokentop/flows"
	"tokentop/flows/fault"
)

// aminoDoc is an Amino answer with the given attributes.
func aminoDoc(attrs string) string {
	return `{"data":[{"type":"AuthenticationTokens","id":"9bc6871e","attributes":{` + attrs + `}}]}`
}

const aminoLogin = 1538126476

func TestParseAmino(t *testing.T) {
	date := time.Unix(aminoLogin, 0).UTC().Format(http.TimeFormat)
	tests := map[string]struct {
		status int
		date   string
		body   string
		life   time.Duration // from sentAt; -1: absolute expiry as given
		abs    time.Time
		extra  map[string]string
		err    string
		code   string
	}{
		"document sample shape": {200, date, aminoDoc(`"login_timestamp":1538126476,"user_id":1234,"user_profile_id":"84eb61a9","access_token":"amino-at","expires_at_timestamp":1538130076,"refresh_token":"amino-rt"`),
			time.Hour, time.Time{}, map[string]string{"user_id": "1234", "user_profile_id": "84eb61a9", "login_timestamp": "1538126476"}, "", ""},
		"expiry as string":                    {200, date, aminoDoc(`"login_timestamp":1538126476,"access_token":"a","expires_at_timestamp":"1538130076"`), time.Hour, time.Time{}, nil, "", ""},
		"expiry in ms":                        {200, date, aminoDoc(`"login_timestamp":1538126476000,"access_token":"a","expires_at_timestamp":1538130076000`), time.Hour, time.Time{}, nil, "", ""},
		"no date header":                      {200, "", aminoDoc(`"access_token":"a","expires_at_timestamp":` + itoa64(sentAt.Unix()+600)), -1, sentAt.Add(10 * time.Minute), nil, "", ""},
		"no date, past":                       {200, "", aminoDoc(`"access_token":"a","expires_at_timestamp":1538130076`), 0, time.Time{}, nil, "token expired on arrival", ""},
		"far future":                          {200, date, aminoDoc(`"access_token":"a","expires_at_timestamp":99999999999`), maxLifetime, time.Time{}, nil, "", ""},
		"insane date":                         {200, "Mon, 01 Jan 1990 00:00:00 GMT", aminoDoc(`"access_token":"a","expires_at_timestamp":` + itoa64(sentAt.Unix()+600)), -1, sentAt.Add(10 * time.Minute), nil, "", ""},
		"expired on arrival (equal to login)": {200, date, aminoDoc(`"login_timestamp":1538126476,"access_token":"a","expires_at_timestamp":1538126476`), 0, time.Time{}, nil, "token expired on arrival", ""},
		"expired per server date":             {200, time.Unix(1538130077, 0).UTC().Format(http.TimeFormat), aminoDoc(`"access_token":"a","expires_at_timestamp":1538130076`), 0, time.Time{}, nil, "token expired on arrival", ""},
		"expiry garbage":                      {200, date, aminoDoc(`"access_token":"a","expires_at_timestamp":"tomorrow"`), 0, time.Time{}, nil, "expires_at_timestamp is not a number", ""},
		"expiry negative":                     {200, date, aminoDoc(`"access_token":"a","expires_at_timestamp":-5`), 0, time.Time{}, nil, "out of range", ""},
		"no access token":                     {200, date, aminoDoc(`"refresh_token":"r"`), 0, time.Time{}, nil, "missing access_token", ""},
		"access not string":                   {200, date, aminoDoc(`"access_token":42`), 0, time.Time{}, nil, "access_token is not a string", ""},
		"empty data":                          {200, date, `{"data":[]}`, 0, time.Time{}, nil, "data is empty", ""},
		"two items":                           {200, date, `{"data":[{"type":"AuthenticationTokens","attributes":{"access_token":"a"}},{"type":"AuthenticationTokens","attributes":{"access_token":"b"}}]}`, 0, time.Time{}, nil, "data holds 2 items", ""},
		"wrong type":                          {200, date, `{"data":[{"type":"Users","attributes":{"access_token":"a"}}]}`, 0, time.Time{}, nil, `data has type "Users"`, ""},
		"no data":                             {200, date, `{"meta":{}}`, 0, time.Time{}, nil, "no data", ""},
		"data string":                         {200, date, `{"data":"x"}`, 0, time.Time{}, nil, "not a list", ""},
		"jsonapi error":                       {401, date, `{"errors":[{"status":"401","code":"invalid_credentials","title":"Unauthorized","detail":"Wrong username or password\u001b[2J"}]}`, 0, time.Time{}, nil, "invalid_credentials: Wrong username or password [2J", "invalid_credentials"},
		"jsonapi error no code":               {400, date, `{"errors":[{"status":"400","title":"Bad Request"}]}`, 0, time.Time{}, nil, "Bad Request", "Bad Request"},
		"html":                                {502, date, `<html><title>Bad Gateway</title></html>`, 0, time.Time{}, nil, "returned HTML (HTTP 502)", ""},
		"missing expiry":                      {200, date, aminoDoc(`"access_token":"a"`), 0, time.Time{}, nil, "", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := http.Header{"Content-Type": {aminoMediaType}}
			if tc.date != "" {
				h.Set("Date", tc.date)
			}
			tok, err := parseAmino(tc.status, h, []byte(tc.body), sentAt, nil)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				checkOneLine(t, err.Error())
				if tc.code != "" {
					var pe *fault.ProviderError
					if !errors.As(err, &pe) || pe.Code != tc.code {
						t.Errorf("not ProviderError %q: %#v", tc.code, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.life > 0:
				if !tok.Expiry.Equal(sentAt.Add(tc.life)) {
					t.Errorf("expiry %v, want %v (server Date corrects the local clock)", tok.Expiry, sentAt.Add(tc.life))
				}
			case tc.life < 0:
				if !tok.Expiry.Equal(tc.abs) {
					t.Errorf("expiry %v, want %v", tok.Expiry, tc.abs)
				}
			default:
				if tok.HasExpiry() {
					t.Errorf("expiry %v, want none", tok.Expiry)
				}
			}
			for k, v := range tc.extra {
				if tok.Extra[k] != v {
					t.Errorf("Extra[%s] = %q, want %q", k, tok.Extra[k], v)
				}
			}
			if tok.TokenType != "Bearer" {
				t.Errorf("type %q", tok.TokenType)
			}
		})
	}
}

// TestAminoWire: the JSON:API requests, media types, and a refused refresh
// reported as invalid_grant.
func TestAminoWire(t *testing.T) {
	var reply string
	status := 200
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Content-Type", aminoMediaType)
		w.Header().Set("Date", time.Unix(aminoLogin, 0).UTC().Format(http.TimeFormat))
		w.WriteHeader(status)
		w.Write([]byte(reply))
	})
	te := newTestEndpoint(t, &flows.Connection{Provider: flows.Amino, TokenURL: srv.URL + "/api/auth/v1/access_tokens", Headers: map[string]string{"X-Client": "tt"}})
	reply = aminoDoc(`"login_timestamp":1538126476,"user_id":1234,"access_token":"amino-at-1","expires_at_timestamp":1538130076,"refresh_token":"amino-rt-1"`)
	tok, err := te.Password(context.Background(), "user@example.com", `pa"ss\word<>`)
	if err != nil {
		t.Fatal(err)
	}
	r := srv.last(t)
	if r.Method != "POST" || r.Path != "/api/auth/v1/access_tokens" || r.Header.Get("Content-Type") != aminoMediaType || r.Header.Get("Accept") != aminoMediaType || r.Header.Get("X-Client") != "tt" {
		t.Errorf("request %s %s %v", r.Method, r.Path, r.Header)
	}
	var got map[string]any
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"data": map[string]any{"type": "AuthenticationTokens", "attributes": map[string]any{"username": "user@example.com", "password": `pa"ss\word<>`}}}
	if gb, wb := mustJSON(got), mustJSON(want); gb != wb {
		t.Errorf("body %s, want %s", gb, wb)
	}
	if tok.AccessToken != "amino-at-1" || tok.RefreshToken != "amino-rt-1" || !tok.Expiry.Equal(testNow.Add(time.Hour)) {
		t.Errorf("token %+v", *tok)
	}

	reply = aminoDoc(`"login_timestamp":1538126476,"access_token":"amino-at-2","expires_at_timestamp":1538130076`)
	tok, err = te.Refresh(context.Background(), "amino-rt-1")
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(srv.last(t).Body, &got)
	want = map[string]any{"data": map[string]any{"type": "AuthenticationTokens", "attributes": map[string]any{"grant_type": "refresh_token", "refresh_token": "amino-rt-1"}}}
	if gb, wb := mustJSON(got), mustJSON(want); gb != wb {
		t.Errorf("refresh body %s, want %s", gb, wb)
	}
	if tok.RefreshToken != "amino-rt-1" {
		t.Errorf("refresh token not kept: %q", tok.RefreshToken)
	}

	status, reply = 401, `{"errors":[{"status":"401","code":"token_expired","title":"Unauthorized","detail":"Refresh token expired"}]}`
	_, err = te.Refresh(context.Background(), "amino-rt-1")
	if !fault.IsInvalidGrant(err) || !strings.Contains(err.Error(), "token_expired") {
		t.Errorf("refused refresh: %v", err)
	}
	_, err = te.Password(context.Background(), "user@example.com", "wrong-password")
	var pe *fault.ProviderError
	if !errors.As(err, &pe) || fault.IsInvalidGrant(err) || !strings.Contains(pe.Hint, "username and password") {
		t.Errorf("refused password: %#v", err)
	}
	assertNoSecrets(t, "log", te.logBuf.String(), "amino-at-1", "amino-rt-1", `pa"ss\word<>`, "wrong-password")
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func FuzzParseAmino(f *testing.F) {
	f.Add(200, "Mon, 24 Sep 2018 10:00:00 GMT", []byte(aminoDoc(`"login_timestamp":1538126476,"access_token":"a","expires_at_timestamp":1538130076,"refresh_token":"r","user_id":1`)))
	f.Add(200, "", []byte(aminoDoc(`"access_token":"a","expires_at_timestamp":"1538130076000"`)))
	f.Add(401, "", []byte(`{"errors":[{"status":"401","code":"x","detail":"\u001b]52;c;e30=\u0007"}]}`))
	f.Add(200, "", []byte(`{"data":{"type":"AuthenticationTokens","attributes":{"access_token":"a"}}}`))
	f.Add(200, "garbage", []byte(`{"data":[{},{}]}`))
	f.Fuzz(func(t *testing.T, status int, date string, body []byte) {
		h := http.Header{"Content-Type": {aminoMediaType}, "Date": {date}}
		tok, err := parseAmino(status, h, body, sentAt, nil)
		if err != nil {
			checkOneLine(t, err.Error())
			return
		}
		if tok.AccessToken == "" || checkTokenChars(tok) != nil {
			t.Fatalf("bad token %+v", tok)
		}
		if tok.HasExpiry() && tok.Expiry.Sub(sentAt) > maxLifetime {
			t.Fatalf("expiry %v beyond the cap", tok.Expiry)
		}
		if tok.HasExpiry() && !tok.Expiry.After(sentAt) {
			t.Fatalf("expired token accepted: %v", tok.Expiry)
		}
	})
}
