package ui

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"sort"
	"strings"
	"time"
	"tokentop/flows/redact"
)

// claim is one name and value of a JWT payload, made safe to print.
type claim struct {
	name, value string
	// at is set for the NumericDate claims of RFC 7519 §4.1 (exp, nbf,
	// iat), shown as a local time too.
	at time.Time
}

// maxClaims bounds what a hostile or huge token can put on screen.
const maxClaims = 50

// decodeClaims returns the claims of a JWT access token (RFC 7519), or nil
// when the token is not one. The signature is never verified: the claims are
// shown, labelled unverified, and never trusted.
func decodeClaims(tok string) []claim {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || parts[1] == "" {
		return nil
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(payload, &obj); err != nil {
		return nil
	}
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(names) > maxClaims {
		names = names[:maxClaims]
	}
	claims := make([]claim, 0, len(names))
	for _, k := range names {
		c := claim{name: redact.Sanitize(k)}
		raw := obj[k]
		var s string
		var n json.Number
		switch {
		case json.Unmarshal(raw, &s) == nil:
			c.value = s
		case isNumber(raw, &n):
			c.value = n.String()
			if k == "exp" || k == "nbf" || k == "iat" || k == "auth_time" {
				if secs, err := n.Int64(); err == nil {
					c.at = time.Unix(secs, 0)
				}
			}
		default:
			var buf bytes.Buffer
			if json.Compact(&buf, raw) == nil {
				c.value = buf.String()
			}
		}
		c.value = redact.Sanitize(c.value)
		claims = append(claims, c)
	}
	return claims
}

// isNumber decodes a JSON number without losing precision.
func isNumber(raw json.RawMessage, n *json.Number) bool {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return false
	}
	num, ok := v.(json.Number)
	*n = num
	return ok
}
