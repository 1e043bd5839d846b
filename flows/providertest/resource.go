package providertest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// RFC 8707 resource indicators at the OAuth 2.0 server: the authorization,
// device authorization and token requests may carry resource parameters,
// each an absolute URI without a fragment (§2). The token's audience is
// what the token request names, else what the authorization named; a token
// request (a refresh among them) may only narrow what was granted (§2.2).
// The token answer echoes the audience as aud: a string for one resource,
// an array for several, absent for none.

// resourceProblem checks the resource parameters of a request and returns
// the error_description of an invalid_target answer, or "".
func (s *Server) resourceProblem(vals []string) string {
	for i, v := range vals {
		u, err := url.Parse(v)
		switch {
		case err != nil || !u.IsAbs():
			return fmt.Sprintf("resource %d is not an absolute URI", i+1)
		case strings.Contains(v, "#"):
			return fmt.Sprintf("resource %d has a fragment", i+1)
		case slices.Contains(vals[:i], v):
			return fmt.Sprintf("resource %d is repeated", i+1)
		case s.opts.OAuth2Resources != nil && !slices.Contains(s.opts.OAuth2Resources, v):
			return fmt.Sprintf("resource %d is unknown", i+1)
		}
	}
	return ""
}

// narrowResource returns the audience of a token request that asks for
// asked under a grant of granted, or answers invalid_target and returns
// false.
func (s *Server) narrowResource(w http.ResponseWriter, granted, asked []string) ([]string, bool) {
	if desc := s.resourceProblem(asked); desc != "" {
		oauthError(w, http.StatusBadRequest, "invalid_target", desc)
		return nil, false
	}
	if len(asked) == 0 {
		return granted, true
	}
	for i, v := range asked {
		if len(granted) > 0 && !slices.Contains(granted, v) {
			oauthError(w, http.StatusBadRequest, "invalid_target", fmt.Sprintf("resource %d was not granted", i+1))
			return nil, false
		}
	}
	return slices.Clone(asked), true
}

// audience is the aud member of a token answer for resources.
func audience(resources []string) any {
	switch len(resources) {
	case 0:
		return nil
	case 1:
		return resources[0]
	}
	return resources
}
