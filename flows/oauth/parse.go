package oauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"tokentop/flows"
	"tokentop/flows/fault"
	"tokentop/flows/redact"
)

// parseTokenResponse reads a token endpoint's answer (RFC 6749 §5.1, §5.2).
// sentAt is the local time the request was sent; the expiry counts from it.
// Text quoted from the body in errors goes through red, then Sanitize. red
// may be nil.
func parseTokenResponse(status int, header http.Header, body []byte, sentAt time.Time, red *redact.Redactor) (*flows.Token, error) {
	fields, err := tokenAnswer(status, header, body, red)
	if err != nil {
		return nil, err
	}
	return tokenFromFields(fields, sentAt)
}

// tokenAnswer returns the members of a token endpoint's successful answer,
// or the error it is (RFC 6749 §5.2, RFC 6750 §3, or one of decodeAnswer's).
func tokenAnswer(status int, header http.Header, body []byte, red *redact.Redactor) (map[string]json.RawMessage, error) {
	fields, err := decodeAnswer("token endpoint", "token_url", status, header, body, red)
	if err != nil {
		return nil, err
	}
	if perr := oauthError(status, fields, red); perr != nil {
		return nil, perr
	}
	if status < 200 || status > 299 {
		if pe := challengeError(status, header, red); pe != nil {
			return nil, pe
		}
		return nil, fmt.Errorf("token endpoint answered HTTP %d without an access token%s", status, excerpt(red, body))
	}
	return fields, nil
}

// decodeAnswer applies the checks every provider answer needs (size,
// redirect, empty, HTML) and decodes a JSON object, or a form-encoded body
// as some older servers send. An error status whose body says nothing
// becomes a ProviderError from WWW-Authenticate (RFC 6750 §3) or the status.
func decodeAnswer(what, key string, status int, header http.Header, body []byte, red *redact.Redactor) (map[string]json.RawMessage, error) {
	if len(body) > maxBody {
		return nil, fmt.Errorf("%s: response too large (HTTP %d)", what, status)
	}
	if status >= 300 && status < 400 {
		return nil, fmt.Errorf("%s redirected to another location (HTTP %d): not followed", what, status)
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		if pe := challengeError(status, header, red); pe != nil {
			return nil, pe
		}
		if status < 200 || status > 299 {
			return nil, fmt.Errorf("%s answered HTTP %d with an empty response", what, status)
		}
		return nil, fmt.Errorf("%s returned an empty response (HTTP %d)", what, status)
	}
	ct, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	if looksHTML(ct, trimmed) {
		msg := fmt.Sprintf("%s returned HTML (HTTP %d): check %s or proxy", what, status, key)
		if t := htmlTitle(trimmed, red); t != "" {
			msg += fmt.Sprintf(" (page title %q)", t)
		}
		return nil, fmt.Errorf("%s", msg)
	}
	if ct == "application/x-www-form-urlencoded" || (ct == "text/plain" && trimmed[0] != '{') {
		v, err := url.ParseQuery(string(trimmed))
		if err == nil && (v.Has("access_token") || v.Has("error")) {
			return valuesToFields(v), nil
		}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &fields); err != nil || fields == nil {
		if pe := challengeError(status, header, red); pe != nil {
			return nil, pe
		}
		if status < 200 || status > 299 {
			return nil, fmt.Errorf("%s answered HTTP %d%s", what, status, excerpt(red, body))
		}
		return nil, fmt.Errorf("%s returned invalid JSON (HTTP %d): %s", what, status, jsonProblem(err))
	}
	return fields, nil
}

// jsonProblem describes a JSON syntax error without quoting the body.
func jsonProblem(err error) string {
	if err == nil {
		return "not an object"
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		if strings.Contains(se.Error(), "unexpected end") {
			return "truncated"
		}
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	return "not an object"
}

// valuesToFields turns form values (an implicit-grant fragment, a
// form-encoded answer) into the shape of a decoded JSON object.
func valuesToFields(v url.Values) map[string]json.RawMessage {
	f := make(map[string]json.RawMessage, len(v))
	for k := range v {
		b, _ := json.Marshal(v.Get(k))
		f[k] = b
	}
	return f
}

// looksHTML reports whether an answer is a web page: a proxy's error page or
// a login page where a token endpoint was expected.
func looksHTML(ct string, body []byte) bool {
	if ct == "text/html" || ct == "application/xhtml+xml" {
		return true
	}
	if body[0] != '<' {
		return false
	}
	head := strings.ToLower(string(body[:min(len(body), 512)]))
	return strings.HasPrefix(head, "<!doctype html") || strings.Contains(head, "<html") ||
		strings.Contains(head, "<head") || strings.Contains(head, "<body") || strings.Contains(head, "<title")
}

// htmlTitle returns the cleaned <title> of a page, at most 60 characters.
func htmlTitle(body []byte, red *redact.Redactor) string {
	lower := strings.ToLower(string(body[:min(len(body), 64<<10)]))
	i := strings.Index(lower, "<title")
	if i < 0 {
		return ""
	}
	j := strings.IndexByte(lower[i:], '>')
	if j < 0 {
		return ""
	}
	start := i + j + 1
	end := strings.Index(lower[start:], "</title")
	if end < 0 {
		end = min(len(lower)-start, 200)
	}
	return redact.Clean(red, string(body[start:start+min(end, 200)]), 60)
}

// excerpt returns ": " and a short cleaned excerpt of an error body, or "".
// The whole body is redacted before it is cut, so no part of a known secret
// that the server echoed can slip through the cut.
func excerpt(red *redact.Redactor, body []byte) string {
	s := redact.Clean(red, string(body), 120)
	if s == "" {
		return ""
	}
	return ": " + s
}

// oauthError returns the RFC 6749 §5.2 error in fields, if any, whatever the
// status: some servers answer an error with HTTP 200.
func oauthError(status int, fields map[string]json.RawMessage, red *redact.Redactor) *fault.ProviderError {
	raw, ok := fields["error"]
	if !ok || string(raw) == "null" {
		return nil
	}
	var code string
	if err := json.Unmarshal(raw, &code); err != nil {
		// {"error": {"code": …, "message": …}} and other house styles.
		var obj struct {
			Code    any    `json:"code"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(raw, &obj)
		c := ""
		if obj.Code != nil {
			c = fmt.Sprint(obj.Code)
		}
		pe := newProviderError(status, c, obj.Message, red)
		if pe.Code == "" && pe.Description == "" {
			pe.Description = "the provider returned an error"
		}
		return pe
	}
	var desc string
	_ = json.Unmarshal(fields["error_description"], &desc)
	if code == "" && desc == "" {
		return nil
	}
	return newProviderError(status, code, desc, red)
}

// challengeError reads the RFC 6750 §3 WWW-Authenticate challenge of an
// error status (error="invalid_token", error_description="…").
func challengeError(status int, header http.Header, red *redact.Redactor) *fault.ProviderError {
	if status < 400 {
		return nil
	}
	ch := header.Get("WWW-Authenticate")
	if ch == "" {
		return nil
	}
	p := authParams(ch)
	if p["error"] == "" {
		if status == http.StatusUnauthorized {
			pe := newProviderError(status, "", "unauthorized", red)
			pe.Hint = "check client_id, client_secret and client_auth"
			return pe
		}
		return nil
	}
	return newProviderError(status, p["error"], p["error_description"], red)
}

// authParams parses the auth-params of a challenge (RFC 9110 §11.2):
// `Bearer realm="x", error="invalid_token"`.
func authParams(ch string) map[string]string {
	out := map[string]string{}
	s := ch
	if i := strings.IndexByte(s, ' '); i >= 0 && !strings.Contains(s[:i], "=") {
		s = s[i+1:]
	}
	for len(s) > 0 {
		s = strings.TrimLeft(s, " ,\t")
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			break
		}
		key := strings.ToLower(strings.TrimSpace(s[:eq]))
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			val = b.String()
			s = s[min(i+1, len(s)):]
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			val = strings.TrimSpace(s[:end])
			s = s[end:]
		}
		if _, dup := out[key]; !dup {
			out[key] = val
		}
	}
	return out
}

// tokenFromFields builds a Token from a successful answer (RFC 6749 §5.1).
func tokenFromFields(f map[string]json.RawMessage, sentAt time.Time) (*flows.Token, error) {
	tok := &flows.Token{ObtainedAt: sentAt}
	var err error
	if tok.AccessToken, err = stringField(f, "access_token"); err != nil {
		return nil, err
	}
	if tok.AccessToken == "" {
		return nil, fmt.Errorf("token response: missing access_token")
	}
	if tok.RefreshToken, err = stringField(f, "refresh_token"); err != nil {
		return nil, err
	}
	if err := checkTokenChars(tok); err != nil {
		return nil, err
	}
	tt, err := stringField(f, "token_type")
	if err != nil {
		return nil, err
	}
	switch {
	case tt == "":
		tok.TokenType = "Bearer"
		tok.Notes = append(tok.Notes, "token_type missing: assumed Bearer")
	case strings.EqualFold(tt, "bearer"):
		tok.TokenType = "Bearer"
	default:
		// RFC 6749 §7.1: the client must understand the type to use the
		// token; tokentop sends only RFC 6750 bearer headers, and a MAC or
		// DPoP-bound token sent as a bearer would fail or leak.
		return nil, fmt.Errorf("token response: token_type %q is not supported: tokentop only uses bearer tokens (RFC 6750)", redact.Clean(nil, tt, 32))
	}
	life, note, err := parseExpiresIn(f["expires_in"])
	if err != nil {
		return nil, err
	}
	if life > 0 {
		tok.Expiry = sentAt.Add(life)
	} else {
		tok.Notes = append(tok.Notes, "expires_in missing: expiry unknown")
	}
	if note != "" {
		tok.Notes = append(tok.Notes, note)
	}
	if raw, ok := f["scope"]; ok && string(raw) != "null" {
		var s string
		var list []string
		if json.Unmarshal(raw, &s) == nil {
			tok.Scopes = strings.Fields(s)
		} else if json.Unmarshal(raw, &list) == nil {
			for _, x := range list {
				tok.Scopes = append(tok.Scopes, strings.Fields(x)...)
			}
		} else {
			return nil, fmt.Errorf("token response: scope is not a string")
		}
	}
	if sub, _ := stringField(f, "account_subdomain"); sub != "" {
		tok.Extra = map[string]string{"account_subdomain": redact.Clean(nil, sub, 63)}
	}
	if aud := audienceOf(f, tok.AccessToken); aud != "" {
		if tok.Extra == nil {
			tok.Extra = map[string]string{}
		}
		tok.Extra[extraAudience] = aud
	}
	return tok, nil
}

// checkTokenChars refuses tokens with characters RFC 6749 Appendix A.12 and
// A.13 do not allow (1*VSCHAR: printable ASCII). Such a token could not go in
// an Authorization header, and its masked form would carry the characters
// to the terminal.
func checkTokenChars(tok *flows.Token) error {
	for _, f := range []struct{ name, v string }{{"access_token", tok.AccessToken}, {"refresh_token", tok.RefreshToken}} {
		for i := 0; i < len(f.v); i++ {
			if c := f.v[i]; c < 0x20 || c > 0x7e {
				return fmt.Errorf("token response: %s has characters a token cannot have (RFC 6749 Appendix A)", f.name)
			}
		}
	}
	return nil
}

// stringField returns a string member; absent and null are "".
func stringField(f map[string]json.RawMessage, key string) (string, error) {
	raw, ok := f[key]
	if !ok || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("token response: %s is not a string", key)
	}
	return s, nil
}

// parseExpiresIn reads expires_in (RFC 6749 §5.1, "RECOMMENDED"): a number,
// also as a string ("3600") or with a fraction (3600.0). Missing, null or 0
// mean unknown (zero duration): tokentop then renews on a refused check
// rather than pretending to know. A negative value is an error; an absurd
// one is capped at maxLifetime, with a note.
func parseExpiresIn(raw json.RawMessage) (life time.Duration, note string, err error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, "", nil
	}
	v, err := jsonNumber(raw)
	if err != nil {
		return 0, "", fmt.Errorf("token response: expires_in is not a number")
	}
	return lifetime(v)
}

// lifetime turns seconds into a duration within [0, maxLifetime].
func lifetime(v float64) (time.Duration, string, error) {
	switch {
	case v == 0:
		return 0, "", nil
	case v < 1:
		return 0, "", fmt.Errorf("token response: token expired on arrival (expires_in %s)", strconv.FormatFloat(v, 'g', 6, 64))
	case v > maxLifetime.Seconds():
		return maxLifetime, "expires_in too large: capped at ten years", nil
	}
	return time.Duration(math.Floor(v)) * time.Second, "", nil
}

// jsonNumber reads a JSON number, or a string holding exactly a JSON number.
func jsonNumber(raw json.RawMessage) (float64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, err
		}
		raw = json.RawMessage(strings.TrimSpace(s))
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil || n == "" {
		return 0, fmt.Errorf("not a number")
	}
	v, err := strconv.ParseFloat(string(n), 64)
	if err != nil && !math.IsInf(v, 0) {
		return 0, err
	}
	if math.IsNaN(v) {
		return 0, fmt.Errorf("not a number")
	}
	return v, nil
}
