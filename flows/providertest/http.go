package providertest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// parseForm parses the application/x-www-form-urlencoded body of a token,
// revocation or device request, answering invalid_request when it is not
// one.
func parseForm(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil || !isForm(r) {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return false
	}
	return true
}

func isForm(r *http.Request) bool {
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	return strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded")
}

// basicCredentials decodes the Basic header as RFC 6749 §2.3.1 says: the
// client id and secret are form-encoded before base64, so "+" is a space and
// "%3A" a colon.
func basicCredentials(r *http.Request) (id, secret string, err error) {
	auth := r.Header.Get("Authorization")
	scheme, b64, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return "", "", errors.New("no Basic credentials")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return "", "", fmt.Errorf("Basic credentials are not base64: %w", err)
	}
	u, p, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", errors.New("Basic credentials lack a colon")
	}
	if id, err = url.QueryUnescape(u); err != nil {
		return "", "", fmt.Errorf("client id is not form-encoded: %w", err)
	}
	if secret, err = url.QueryUnescape(p); err != nil {
		return "", "", fmt.Errorf("client secret is not form-encoded: %w", err)
	}
	return id, secret, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// oauthError writes an RFC 6749 §5.2 error.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// invalidClient writes a 401 invalid_client (RFC 6749 §5.2), with a Basic
// challenge where Basic is how the client should authenticate.
func invalidClient(w http.ResponseWriter, desc string, basicChallenge bool) {
	if basicChallenge {
		w.Header().Set("WWW-Authenticate", `Basic realm="token"`)
	}
	oauthError(w, http.StatusUnauthorized, "invalid_client", desc)
}

// tokenResponse is the RFC 6749 §5.1 answer; zero fields are left out.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
	Aud          any    `json:"aud,omitempty"`      // the RFC 8707 resources: a string, or an array of several
	IDToken      string `json:"id_token,omitempty"` // OIDC Core §3.1.3.3
}

func seconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }

// page writes a small HTML page, the answer a person would see.
func page(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><title>%s</title><h1>%s</h1><p>%s</p>\n", htmlEscape(title), htmlEscape(title), htmlEscape(text))
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// redirectTo answers 302 to base with params added to its query (or, with
// fragment, put in its fragment as the implicit grant does).
func redirectTo(w http.ResponseWriter, base string, params url.Values, fragment bool) {
	u, err := url.Parse(base)
	if err != nil {
		page(w, http.StatusBadRequest, "Bad redirect URI", err.Error())
		return
	}
	if fragment {
		u.Fragment = ""
		u.RawFragment = ""
		w.Header().Set("Location", u.String()+"#"+params.Encode())
	} else {
		q := u.Query()
		for k, vs := range params {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
		w.Header().Set("Location", u.String())
	}
	w.WriteHeader(http.StatusFound)
}
