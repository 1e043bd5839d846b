package oauth

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"tokentop/flows/redact"
)

// Bounds of what audienceOf reads and keeps.
const (
	// maxJWTPayload bounds the decoded claims of an access token that
	// audienceOf looks into; real ones are a few hundred bytes.
	maxJWTPayload = 16 << 10
	// maxAudiences and maxAudienceLen bound what a server can put on the
	// detail pane.
	maxAudiences   = 10
	maxAudienceLen = 300
)

// extraAudience is the Token.Extra key of the audience a token was issued
// for: the token answer's aud member, else the aud claim of a JWT access
// token.
const extraAudience = "audience"

// audienceOf returns the audience of a successful token answer: its aud
// member, which some servers add to say which resource (RFC 8707 §2) the
// token serves, else the aud claim (RFC 7519 §4.1.3; RFC 9068 §3 for JWT
// access tokens) of an access token that is a JWT. The claim is read
// without verifying the signature, because it is only shown, never trusted.
// Several audiences are joined with ", "; "" when there is none or it is
// malformed. The result is made safe for the terminal and bounded.
func audienceOf(f map[string]json.RawMessage, accessToken string) string {
	if aud := audienceValue(f["aud"]); aud != "" {
		return aud
	}
	return jwtAudience(accessToken)
}

// jwtAudience returns the aud claim of a compact JWS (RFC 7515 §7.1), or "".
func jwtAudience(tok string) string {
	if strings.Count(tok, ".") != 2 {
		return ""
	}
	payload := strings.Split(tok, ".")[1]
	if payload == "" || base64.RawURLEncoding.DecodedLen(len(payload)) > maxJWTPayload {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return ""
	}
	var claims struct {
		Aud json.RawMessage `json:"aud"`
	}
	if json.Unmarshal(raw, &claims) != nil {
		return ""
	}
	return audienceValue(claims.Aud)
}

// audienceValue reads an aud value: a string or an array of strings (RFC
// 7519 §4.1.3).
func audienceValue(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var one string
	var list []string
	switch {
	case json.Unmarshal(raw, &one) == nil:
		list = []string{one}
	case json.Unmarshal(raw, &list) == nil:
	default:
		return ""
	}
	var out []string
	for _, a := range list {
		if a = redact.Sanitize(a); a != "" && len(out) < maxAudiences {
			out = append(out, a)
		}
	}
	return redact.Clean(nil, strings.Join(out, ", "), maxAudienceLen)
}
