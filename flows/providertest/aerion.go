package providertest

import (
	"net/http"
	"net/url"
	"strings"
)

// AerionTokenURL is Aerion's token endpoint (seeds/002: oauth2/token).
func (s *Server) AerionTokenURL() string { return s.URL + "/aerion/oauth2/token" }

// AerionCheckURL is Aerion's bearer-protected "me" endpoint.
func (s *Server) AerionCheckURL() string { return s.URL + "/aerion/api/v1/me" }

func (s *Server) aerionRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /aerion/oauth2/token", s.aerionToken)
	mux.HandleFunc("GET /aerion/api/v1/me", s.aerionMe)
}

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
	if err := r.ParseForm(); err != nil || !isForm(r) {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
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
		err         error
	)
	switch gt := f.Get("grant_type"); gt {
	case "password":
		user := f.Get("username")
		if want, ok := s.aerionUsers[user]; !ok || user == "" || want != f.Get("password") {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "wrong username or password")
			return
		}
		g = grant{provider: Aerion, user: user, tenant: tenant}
	case "refresh_token":
		// Client ids are not validated, so a refresh token is not bound to one.
		if g, withRefresh, err = s.useRefresh(Aerion, "", f.Get("refresh_token")); err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_grant", err.Error())
			return
		}
		if g.tenant != tenant {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "refresh token belongs to another tenant")
			return
		}
	case "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "grant_type is required")
		return
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "only the password and refresh_token grants are supported")
		return
	}
	s.mu.Lock()
	at, rt, life := s.issueLocked(g, withRefresh)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: at, TokenType: "bearer", ExpiresIn: seconds(life), RefreshToken: rt})
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
