package providertest

import (
	"net/http"
	"net/url"
	"strings"
)

// The paths of the Aerion fake.
const (
	aerionTokenPath = "/aerion/oauth2/token"
	aerionCheckPath = "/aerion/api/v1/me"
)

// AerionTokenURL is Aerion's token endpoint (seeds/002: oauth2/token).
func (s *Server) AerionTokenURL() string { return s.URL + aerionTokenPath }

// AerionCheckURL is Aerion's bearer-protected "me" endpoint.
func (s *Server) AerionCheckURL() string { return s.URL + aerionCheckPath }

// tenantKey reduces a tenant URL (or bare host) to its lower-case host.
func tenantKey(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// aerionTenant finds the tenant named by the companyurl, origin or referer
// header (seeds/002), or "".
func (s *Server) aerionTenant(r *http.Request) string {
	for _, h := range []string{"Companyurl", "Origin", "Referer"} {
		k := tenantKey(r.Header.Get(h))
		if k == "" {
			continue
		}
		for _, t := range s.aerionTenants {
			if tenantKey(t) == k {
				return k
			}
		}
	}
	return ""
}

// aerionToken serves the password and refresh_token grants, form encoded,
// with client_id and client_secret mandatory in the form (their values are
// not checked) and the tenant header mandatory on both.
func (s *Server) aerionToken(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	tenant := s.aerionTenant(r)
	if tenant == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "unknown tenant: name it with a companyurl, origin or referer header")
		return
	}
	f := r.PostForm
	if f.Get("client_id") == "" || f.Get("client_secret") == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "client_id and client_secret are required (any values)")
		return
	}
	var (
		g           grant
		withRefresh = true
		ok          bool
	)
	switch gt := f.Get("grant_type"); gt {
	case "password":
		user, ok := passwordGrant(w, s.aerionUsers, f)
		if !ok {
			return
		}
		g = grant{provider: Aerion, user: user, tenant: tenant}
	case "refresh_token":
		// Client ids are not validated, so a refresh token is not bound to one.
		if g, withRefresh, ok = s.refreshGrant(w, Aerion, "", f); !ok {
			return
		}
		if g.tenant != tenant {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "refresh token belongs to another tenant")
			return
		}
	default:
		refuseGrantType(w, gt, "only the password and refresh_token grants are supported")
		return
	}
	s.answerTokens(w, g, withRefresh, "bearer")
}

func (s *Server) aerionMe(w http.ResponseWriter, r *http.Request) {
	t, ok := s.bearer(w, r, Aerion)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": 42, "email": t.user, "name": "Acme Operations", "tenant": "https://" + t.tenant,
	})
}
