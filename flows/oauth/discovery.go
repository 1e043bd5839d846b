package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"tokentop/flows/redact"
)

// discover reads the OpenID Connect discovery document of a generic
// provider (OpenID Connect Discovery 1.0 §4; RFC 8414 §3) at
// {issuer}/.well-known/openid-configuration and fills the connection's empty
// URLs: authorize, token, revocation, device authorization, userinfo (as
// check_url) and introspection (RFC 8414 §2), notes whether authorization
// responses carry iss (RFC 9207 §3; ListenRedirect then requires it), and
// keeps jwks_uri, the keys of its ID tokens (OIDC Discovery §3;
// idtoken.go). The document's issuer must be exactly
// the configured one (Discovery §4.3, RFC 8414 §3.3; RFC 9700 §4.4 mix-up
// defence), and every URL must be https. The endpoint's own copy of the
// connection is changed, never the caller's. A success is cached; a failure
// is tried again next time.
func (e *endpoint) discover(ctx context.Context) error {
	e.mu.Lock()
	done := e.discovered
	c := *e.conn
	e.mu.Unlock()
	if done || c.Issuer == "" {
		return nil
	}
	u := strings.TrimSuffix(c.Issuer, "/") + "/.well-known/openid-configuration"
	h := http.Header{}
	h.Set("Accept", "application/json")
	resp, err := e.do(ctx, retryIdempotent, &request{what: "discovery", key: "issuer", method: http.MethodGet, url: u, header: h})
	if err != nil {
		return err
	}
	if resp.status != http.StatusOK {
		if _, err := decodeAnswer("discovery", "issuer", resp.status, resp.header, resp.body, e.red); err != nil {
			return err
		}
		return fmt.Errorf("discovery answered HTTP %d", resp.status)
	}
	var doc struct {
		Issuer   string `json:"issuer"`
		Auth     string `json:"authorization_endpoint"`
		Token    string `json:"token_endpoint"`
		Revoke   string `json:"revocation_endpoint"`
		Device   string `json:"device_authorization_endpoint"`
		UserInfo string `json:"userinfo_endpoint"`
		Intro    string `json:"introspection_endpoint"` // RFC 8414 §2
		JWKS     string `json:"jwks_uri"`               // OIDC Discovery §3: the ID token keys
		// RFC 9207 §3. Only a JSON true counts: a server whose
		// metadata says anything else is not held to a promise it
		// did not make, and discovery does not fail over it.
		IssParam any `json:"authorization_response_iss_parameter_supported"`
	}
	if _, err := decodeAnswer("discovery", "issuer", resp.status, resp.header, resp.body, e.red); err != nil {
		return err
	}
	if err := json.Unmarshal(resp.body, &doc); err != nil {
		return fmt.Errorf("discovery: the document is not valid: %s", jsonProblem(err))
	}
	if doc.Issuer != c.Issuer {
		return fmt.Errorf("discovery: the document names issuer %q, not the configured %q: refusing it", redact.Clean(e.red, doc.Issuer, 100), redact.Clean(e.red, c.Issuer, 100))
	}
	jwks := ""
	for _, f := range []struct {
		key string
		val string
		dst *string
	}{
		{"authorization_endpoint", doc.Auth, &c.AuthURL},
		{"token_endpoint", doc.Token, &c.TokenURL},
		{"revocation_endpoint", doc.Revoke, &c.RevokeURL},
		{"device_authorization_endpoint", doc.Device, &c.DeviceURL},
		{"userinfo_endpoint", doc.UserInfo, &c.CheckURL},
		{"introspection_endpoint", doc.Intro, &c.IntrospectURL},
		{"jwks_uri", doc.JWKS, &jwks},
	} {
		if f.val == "" || *f.dst != "" {
			continue
		}
		pu, err := url.Parse(f.val)
		if err != nil {
			return fmt.Errorf("discovery: %s is not a URL", f.key)
		}
		if err := checkWireURL(f.key, pu); err != nil {
			return fmt.Errorf("discovery: %w", err)
		}
		*f.dst = f.val
	}
	if c.TokenURL == "" {
		return fmt.Errorf("discovery: the document has no token_endpoint")
	}
	e.mu.Lock()
	e.conn = &c
	e.discovered = true
	e.issRequired = doc.IssParam == true
	e.jwksURL = jwks
	e.mu.Unlock()
	return nil
}
