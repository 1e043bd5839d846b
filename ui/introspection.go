package ui

import (
	"strings"
	"time"

	"tokentop/flows"
)

// introspectionText is the detail pane's line of an introspection answer
// (RFC 7662 §2.2): "active · exp … · scope … · client … · sub …", the
// fields the provider said. Its text was cleaned by flows/oauth; it is
// cleaned again, as every provider text is before it reaches the screen.
func introspectionText(in *flows.Introspection, now time.Time, loc *time.Location) string {
	parts := []string{"inactive"}
	if in.Active {
		parts[0] = "active"
	}
	if !in.Expiry.IsZero() {
		parts = append(parts, "exp "+localTime(in.Expiry, now, loc))
	}
	for _, f := range []struct{ k, v string }{{"scope", in.Scope}, {"client", in.ClientID}, {"sub", in.Subject}} {
		if f.v != "" {
			parts = append(parts, f.k+" "+safeText(f.v))
		}
	}
	return strings.Join(parts, " · ")
}
