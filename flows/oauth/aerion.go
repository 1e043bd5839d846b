package oauth

import (
	"net/http"

	"tokentop/flows"
)

// tokenHeader returns the extra headers of c's token requests: the
// configured ones, and Aerion's companyurl tenant header, which its token
// and refresh requests both need.
func tokenHeader(c *flows.Connection) http.Header {
	h := make(http.Header, len(c.Headers)+1)
	for k, v := range c.Headers {
		h.Set(k, v)
	}
	if c.Provider == flows.Aerion && c.CompanyURL != "" {
		h.Set("companyurl", c.CompanyURL)
	}
	return h
}
