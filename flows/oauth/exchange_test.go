package oauth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"tokentop/flows"
	"tokentop/flows/fault"
	"tokentop/flows/secret"
)

func TestParseExchangeResponse(t *testing.T) {
	tests := map[string]struct {
		status           int
		body             string
		wantType, issued string
		err              string
	}{
		"access token": {200, `{"access_token":"at-1","token_type":"Bearer","expires_in":60,"issued_token_type":"` + TokenTypeAccess + `"}`, "Bearer", TokenTypeAccess, ""},
		"N_A for an id token": {200, `{"access_token":"eyJ.x.y","token_type":"N_A","issued_token_type":"urn:ietf:params:oauth:token-type:id_token"}`,
			"N_A", "urn:ietf:params:oauth:token-type:id_token", ""},
		"N_A for an access token": {200, `{"access_token":"at-1","token_type":"N_A","issued_token_type":"` + TokenTypeAccess + `"}`,
			"", "", "token response: token_type N_A for an access token (RFC 8693 §2.2.1 allows it only for other token types)"},
		"no issued_token_type": {200, `{"access_token":"at-1","token_type":"Bearer"}`, "", "", "token response: missing issued_token_type (RFC 8693 §2.2.1)"},
		"issued not a string":  {200, `{"access_token":"at-1","token_type":"Bearer","issued_token_type":7}`, "", "", "token response: issued_token_type is not a string"},
		"other token type":     {200, `{"access_token":"at-1","token_type":"DPoP","issued_token_type":"` + TokenTypeAccess + `"}`, "", "", `token response: token_type "DPoP" is not supported: tokentop only uses bearer tokens (RFC 6750)`},
		"invalid_target":       {400, `{"error":"invalid_target","error_description":"no such audience"}`, "", "", "invalid_target: no such audience"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			tok, err := parseExchangeResponse(tt.status, jsonHeader(), []byte(tt.body), sentAt, nil)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tok.TokenType != tt.wantType || tok.Extra[ExtraIssuedTokenType] != tt.issued {
				t.Errorf("token type %q, issued %q", tok.TokenType, tok.Extra[ExtraIssuedTokenType])
			}
			if tt.wantType == "N_A" && (len(tok.Notes) != 2 || !strings.HasPrefix(tok.Notes[1], "token_type N_A: the issued token (urn:ietf:params:oauth:token-type:id_token) is not an access token")) {
				t.Errorf("notes %q", tok.Notes)
			}
		})
	}
}

// TestTokenExchangeActor: an actor token goes with its type; the subject of
// a subject_connection needs the Service.
func TestTokenExchangeActor(t *testing.T) {
	srv := newRecorder(t, answer(200, `{"access_token":"at-1","token_type":"Bearer","issued_token_type":"`+TokenTypeAccess+`"}`))
	c := flows.Connection{Name: "ci", Provider: flows.OAuth2, Flow: flows.TokenExchange, ClientID: "cid", TokenURL: srv.URL + "/token",
		Exchange: flows.Exchange{SubjectToken: secret.New("subject-value-1"), SubjectTokenType: TokenTypeJWT,
			ActorToken: secret.New("actor-value-1"), ActorTokenType: TokenTypeJWT}}
	te := newTestEndpoint(t, &c)
	if _, err := te.TokenExchange(context.Background()); err != nil {
		t.Fatal(err)
	}
	f := form(t, srv.last(t))
	if f.Get("actor_token") != "actor-value-1" || f.Get("actor_token_type") != TokenTypeJWT || f.Get("client_id") != "cid" {
		t.Errorf("form %v", f)
	}

	c.Exchange = flows.Exchange{SubjectConnection: "gh", SubjectTokenType: TokenTypeAccess}
	te = newTestEndpoint(t, &c)
	if _, err := te.TokenExchange(context.Background()); err == nil || err.Error() != "subject_connection gh: no service to ask for its token" {
		t.Errorf("err = %v", err)
	}
}

func FuzzParseExchangeResponse(f *testing.F) {
	f.Add(200, []byte(`{"access_token":"a","token_type":"N_A","issued_token_type":"urn:ietf:params:oauth:token-type:jwt"}`))
	f.Add(200, []byte(`{"access_token":"a","token_type":"bearer","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","expires_in":60}`))
	f.Add(200, []byte(`{"access_token":"a","token_type":"N_A","issued_token_type":"urn:ietf:params:oauth:token-type:access_token"}`))
	f.Add(400, []byte(`{"error":"invalid_request","error_description":"bad \u001b[2J subject"}`))
	f.Add(200, []byte(`{"access_token":"a","issued_token_type":"x\u0007y"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		tok, err := parseExchangeResponse(status, jsonHeader(), body, sentAt, nil)
		if err != nil {
			checkOneLine(t, err.Error())
			return
		}
		issued := tok.Extra[ExtraIssuedTokenType]
		if tok.AccessToken == "" || issued == "" || checkTokenChars(tok) != nil {
			t.Fatalf("bad token %+v", tok)
		}
		checkOneLine(t, issued)
		if tok.TokenType != "Bearer" && (tok.TokenType != "N_A" || issued == TokenTypeAccess) {
			t.Fatalf("token type %q for %q", tok.TokenType, issued)
		}
	})
}

func TestParseIntrospection(t *testing.T) {
	exp := time.Unix(1764590400, 0).UTC()
	tests := map[string]struct {
		status int
		header http.Header
		body   string
		want   *flows.Introspection
		err    string
	}{
		"active": {200, jsonHeader(), `{"active":true,"exp":1764590400,"scope":"read write","client_id":"cid","sub":"alice","token_type":"Bearer"}`,
			&flows.Introspection{Active: true, Expiry: exp, Scope: "read write", ClientID: "cid", Subject: "alice"}, ""},
		"inactive":           {200, jsonHeader(), `{"active":false}`, &flows.Introspection{}, ""},
		"odd types kept out": {200, jsonHeader(), `{"active":true,"exp":"soon","scope":["a"],"sub":"\u001b[31mmallory"}`, &flows.Introspection{Active: true, Subject: "[31mmallory"}, ""},
		"exp out of range":   {200, jsonHeader(), `{"active":true,"exp":1e300}`, &flows.Introspection{Active: true}, ""},
		"no active":          {200, jsonHeader(), `{"sub":"alice"}`, nil, "introspection answer: missing active (RFC 7662 §2.2)"},
		"active a string":    {200, jsonHeader(), `{"active":"true"}`, nil, "introspection answer: active is not a boolean (RFC 7662 §2.2)"},
		"active null":        {200, jsonHeader(), `{"active":null}`, nil, "introspection answer: active is not a boolean (RFC 7662 §2.2)"},
		"not JSON":           {200, jsonHeader(), `active=true`, nil, "introspection endpoint returned invalid JSON (HTTP 200): syntax error at byte 1"},
		"401 bare":           {401, http.Header{}, ``, nil, "invalid_client: the introspection endpoint refused the client"},
		"401 Basic challenge": {401, http.Header{"Www-Authenticate": {`Basic realm="x"`}}, ``, nil,
			"invalid_client: the introspection endpoint refused the client"},
		"401 with a code": {401, jsonHeader(), `{"error":"request_unauthorized","error_description":"client authentication failed"}`, nil,
			"invalid_client: client authentication failed"},
		"500": {500, jsonHeader(), `{"oops":1}`, nil, `introspection endpoint answered HTTP 500: {"oops":1}`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseIntrospection(tt.status, tt.header, []byte(tt.body), nil)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				var pe *fault.ProviderError
				if tt.status == 401 && (!errors.As(err, &pe) || pe.Code != "invalid_client" || pe.Hint == "") {
					t.Errorf("a 401 is not invalid_client with a hint: %#v", pe)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *got != *tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestIntrospectionTooLarge(t *testing.T) {
	body := `{"active":true,"sub":"` + strings.Repeat("a", maxBody) + `"}`
	if _, err := parseIntrospection(200, jsonHeader(), []byte(body), nil); err == nil || err.Error() != "introspection endpoint: response too large (HTTP 200)" {
		t.Errorf("err = %v", err)
	}
}

func FuzzIntrospection(f *testing.F) {
	f.Add(200, []byte(`{"active":true,"exp":1764590400,"scope":"a b","client_id":"c","sub":"s"}`))
	f.Add(200, []byte(`{"active":false}`))
	f.Add(200, []byte(`{"active":1,"exp":-5}`))
	f.Add(401, []byte(`{"error":"invalid_client","error_description":"x\u001b]52;c;e30=\u0007"}`))
	f.Add(200, []byte(`{"active":true,"exp":"1e999","sub":"\u2028"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		in, err := parseIntrospection(status, jsonHeader(), body, nil)
		if err != nil {
			checkOneLine(t, err.Error())
			return
		}
		if status != 200 {
			t.Fatalf("an answer read from HTTP %d", status)
		}
		for _, s := range []string{in.Scope, in.ClientID, in.Subject} {
			checkOneLine(t, s)
			if len(s) > maxIntrospectionField+len("…") {
				t.Fatalf("field of %d bytes", len(s))
			}
		}
		if !in.Expiry.IsZero() && (in.Expiry.Year() < 1970 || in.Expiry.Year() > 2300) {
			t.Fatalf("exp %v", in.Expiry)
		}
	})
}
