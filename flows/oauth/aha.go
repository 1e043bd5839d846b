package oauth

import (
	"fmt"
	"strings"
	"tokentop/flows"
	"tokentop/flows/redact"
)

// expand fills the placeholders of a URL template with the
// connection's own values (Connection.ExpandURL, the one expander): Aha!'s
// https://{subdomain}.aha.io/oauth/token. A missing or invalid subdomain is
// an error that names the key, never a request to a half-built URL.
func (e *endpoint) expand(key, u string) (string, error) {
	if u == "" {
		return "", fmt.Errorf("%s is not set", key)
	}
	c := e.Connection()
	if strings.Contains(u, "{subdomain}") {
		if c.Subdomain == "" {
			return "", fmt.Errorf("%s needs a subdomain and none is set", key)
		}
		if flows.CheckSubdomain(c.Subdomain) != nil {
			return "", fmt.Errorf("subdomain %q is not a valid host name label", redact.Sanitize(c.Subdomain))
		}
	}
	return c.ExpandURL(u, ""), nil
}
