package ui

import (
	"time"

	"tokentop/flows"
	"tokentop/flows/redact"
)

// idClaimOrder is the order the verified ID token claims are shown in.
var idClaimOrder = []string{"sub", "preferred_username", "name", "email", "iss", "aud", "auth_time", "exp"}

// verifiedClaims returns the claims of the token's verified ID token, kept
// by flows under flows.IDClaimPrefix (OIDC Core §3.1.3.7), or nil. The raw
// ID token is never kept, so never shown.
func verifiedClaims(t *flows.Token) []claim {
	if t == nil {
		return nil
	}
	var out []claim
	for _, k := range idClaimOrder {
		v := t.Extra[flows.IDClaimPrefix+k]
		if v == "" {
			continue
		}
		c := claim{name: k, value: redact.Sanitize(v)}
		if k == "exp" || k == "auth_time" {
			if at, err := time.Parse(time.RFC3339, v); err == nil {
				c.value, c.at = "", at
			}
		}
		out = append(out, c)
	}
	return out
}
