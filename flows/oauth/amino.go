package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
	"tokentop/flows"
	"tokentop/flows/fault"
	"tokentop/flows/redact"
)

// Amino's token endpoint speaks JSON:API, not RFC 6749 (provider document
// 003): POST {base_url}/api/auth/v1/access_tokens with a document of type
// AuthenticationTokens, answered with data[0].attributes.

// aminoMediaType is the JSON:API media type (jsonapi.org "Content
// Negotiation"), for both Content-Type and Accept.
const aminoMediaType = "application/vnd.api+json"

// aminoType is the only resource type Amino's token endpoint deals in.
const aminoType = "AuthenticationTokens"

type aminoRequest struct {
	Data struct {
		Type       string            `json:"type"`
		Attributes map[string]string `json:"attributes"`
	} `json:"data"`
}

// aminoPassword signs in with username and password. Never retried.
func (e *endpoint) aminoPassword(ctx context.Context, username, password string) (*flows.Token, error) {
	tok, err := e.aminoCall(ctx, noRetry, map[string]string{"username": username, "password": password})
	if err != nil {
		return nil, aminoHint(err, "check username and password")
	}
	return tok, nil
}

// aminoRefresh renews with grant_type=refresh_token, the only grant the
// endpoint supports besides the password. Amino answers a refused refresh
// token with a JSON:API error, not invalid_grant; a 400, 401 or 403 is
// reported as invalid_grant, so the Service knows only signing in again helps.
func (e *endpoint) aminoRefresh(ctx context.Context, refreshToken string) (*flows.Token, error) {
	tok, err := e.aminoCall(ctx, retryNoAnswer, map[string]string{"grant_type": "refresh_token", "refresh_token": refreshToken})
	if pe, ok := err.(*fault.ProviderError); ok && pe.Status >= 400 && pe.Status < 500 && pe.Status != http.StatusTooManyRequests {
		desc := pe.Code
		if pe.Description != "" && pe.Description != pe.Code {
			desc = joinNonEmpty(": ", pe.Code, pe.Description)
		}
		return nil, &fault.ProviderError{Status: pe.Status, Code: "invalid_grant", Description: desc, Hint: hints["invalid_grant"]}
	}
	return tok, err
}

func (e *endpoint) aminoCall(ctx context.Context, p retryPolicy, attrs map[string]string) (*flows.Token, error) {
	c := e.Connection()
	u, err := e.expand("token_url", c.TokenURL)
	if err != nil {
		return nil, err
	}
	var doc aminoRequest
	doc.Data.Type = aminoType
	doc.Data.Attributes = attrs
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("amino request: %w", err)
	}
	h := tokenHeader(c)
	h.Set("Content-Type", aminoMediaType)
	h.Set("Accept", aminoMediaType)
	resp, err := e.do(ctx, p, &request{what: "token endpoint", key: "token_url", method: http.MethodPost, url: u, header: h, body: body, finish: true})
	if err != nil {
		return nil, err
	}
	tok, err := parseAmino(resp.status, resp.header, resp.body, resp.sentAt, e.red)
	if err != nil {
		return nil, err
	}
	e.red.Add(tok.AccessToken, tok.RefreshToken)
	return tok, nil
}

// aminoHint adds a hint to a ProviderError that has none.
func aminoHint(err error, hint string) error {
	if pe, ok := err.(*fault.ProviderError); ok && pe.Hint == "" {
		pe.Hint = hint
	}
	return err
}

func joinNonEmpty(sep string, parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += sep
		}
		out += p
	}
	return out
}

// parseAmino reads Amino's JSON:API answer. The expiry comes ONLY from
// expires_at_timestamp: the document says not to rely on the token's
// claims. It is an absolute time on the server's clock, so it is moved onto
// the local clock with the answer's Date header (see absoluteExpiry).
// user_id, user_profile_id and login_timestamp are kept in Extra.
func parseAmino(status int, header http.Header, body []byte, sentAt time.Time, red *redact.Redactor) (*flows.Token, error) {
	fields, err := decodeAnswer("token endpoint", "token_url", status, header, body, red)
	if err != nil {
		return nil, err
	}
	if raw, ok := fields["errors"]; ok && string(raw) != "null" {
		return nil, aminoError(status, raw, red)
	}
	if perr := oauthError(status, fields, red); perr != nil {
		return nil, perr
	}
	if status < 200 || status > 299 {
		return nil, fmt.Errorf("token endpoint answered HTTP %d without a token%s", status, excerpt(red, body))
	}
	raw, ok := fields["data"]
	if !ok || string(raw) == "null" {
		return nil, fmt.Errorf("amino answer: no data")
	}
	type item struct {
		Type       string                     `json:"type"`
		Attributes map[string]json.RawMessage `json:"attributes"`
	}
	var items []item
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		var one item
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, fmt.Errorf("amino answer: data is not a resource object")
		}
		items = []item{one}
	} else if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("amino answer: data is not a list of resource objects")
	}
	switch len(items) {
	case 0:
		return nil, fmt.Errorf("amino answer: data is empty")
	case 1:
	default:
		return nil, fmt.Errorf("amino answer: data holds %d items, expected one", len(items))
	}
	it := items[0]
	if it.Type != aminoType {
		return nil, fmt.Errorf("amino answer: data has type %q, expected %s", redact.Clean(red, it.Type, 40), aminoType)
	}
	a := it.Attributes
	tok := &flows.Token{ObtainedAt: sentAt, TokenType: "Bearer"}
	if tok.AccessToken, err = stringField(a, "access_token"); err != nil {
		return nil, err
	}
	if tok.AccessToken == "" {
		return nil, fmt.Errorf("amino answer: missing access_token")
	}
	if tok.RefreshToken, err = stringField(a, "refresh_token"); err != nil {
		return nil, err
	}
	if err := checkTokenChars(tok); err != nil {
		return nil, err
	}
	tok.Extra = map[string]string{}
	var login int64
	if v, ok := a["login_timestamp"]; ok && string(v) != "null" {
		if login, err = unixSeconds(v); err != nil {
			return nil, fmt.Errorf("amino answer: login_timestamp %w", err)
		}
		tok.Extra["login_timestamp"] = strconv.FormatInt(login, 10)
	}
	for _, k := range []string{"user_id", "user_profile_id"} {
		if s := scalarString(a[k]); s != "" {
			tok.Extra[k] = redact.Clean(red, s, 64)
		}
	}
	if v, ok := a["expires_at_timestamp"]; ok && string(v) != "null" {
		at, err := unixSeconds(v)
		if err != nil {
			return nil, fmt.Errorf("amino answer: expires_at_timestamp %w", err)
		}
		if login != 0 && at <= login {
			return nil, fmt.Errorf("amino answer: token expired on arrival (expires_at_timestamp %d is not after login_timestamp %d)", at, login)
		}
		exp, ok := absoluteExpiry(time.Unix(at, 0), header.Get("Date"), sentAt)
		if !ok {
			return nil, fmt.Errorf("amino answer: token expired on arrival (expires_at_timestamp %d is not after the server's Date, or the local clock without one)", at)
		}
		tok.Expiry = exp
	} else {
		tok.Notes = append(tok.Notes, "expires_at_timestamp missing: expiry unknown")
	}
	if len(tok.Extra) == 0 {
		tok.Extra = nil
	}
	return tok, nil
}

// aminoError turns the first JSON:API error object
// ({"errors":[{"status","code","title","detail"}]}) into a ProviderError.
func aminoError(status int, raw json.RawMessage, red *redact.Redactor) error {
	var errs []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &errs); err != nil || len(errs) == 0 {
		return newProviderError(status, "", "the provider returned an error", red)
	}
	first := errs[0]
	code := scalarString(first["code"])
	title := scalarString(first["title"])
	detail := scalarString(first["detail"])
	if code == "" {
		code, title = title, ""
	}
	if detail == "" {
		detail = title
	}
	st := status
	if s, err := strconv.Atoi(scalarString(first["status"])); err == nil && s >= 100 && s <= 599 && (status < 400) {
		st = s
	}
	return newProviderError(st, code, detail, red)
}

// scalarString renders a JSON string or number as text; "" for anything
// else.
func scalarString(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// unixSeconds reads a Unix time as a number or numeric string, in seconds
// or, when larger than 1e12 (year 33658 in seconds, 2001 in milliseconds),
// in milliseconds.
func unixSeconds(raw json.RawMessage) (int64, error) {
	v, err := jsonNumber(raw)
	if err != nil {
		return 0, fmt.Errorf("is not a number")
	}
	if v > 1e12 {
		v /= 1000
	}
	if v <= 0 || v > 1e11 {
		return 0, fmt.Errorf("is out of range")
	}
	return int64(v), nil
}

// absoluteExpiry moves an absolute expiry on the server's clock onto the
// local clock. When the answer has a sane Date (RFC 9110 §6.6.1), the
// lifetime the server meant is expiresAt−Date, counted from sentAt: a local
// clock that is ahead or behind the server's then does not matter. Without
// one, expiresAt is taken as is. The lifetime is capped at maxLifetime; ok
// is false when the token was already expired on the server's clock (or,
// without a Date, on the local one: such a token would be renewed in a loop).
func absoluteExpiry(expiresAt time.Time, date string, sentAt time.Time) (time.Time, bool) {
	if d, err := http.ParseTime(date); err == nil && d.Year() >= 2000 && d.Year() <= 2200 {
		life := expiresAt.Sub(d)
		if life <= 0 {
			return time.Time{}, false
		}
		return sentAt.Add(min(life, maxLifetime)), true
	}
	switch life := expiresAt.Sub(sentAt); {
	case life <= 0:
		return time.Time{}, false
	case life > maxLifetime:
		return sentAt.Add(maxLifetime), true
	}
	return expiresAt, true
}
