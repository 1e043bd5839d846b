package providertest

import (
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
)

// AminoContentType is the JSON:API media type of Amino's requests and
// answers.
const AminoContentType = "application/vnd.api+json"

// The paths of the Amino fake; seeds/003 names the access_tokens endpoint
// */api/auth/v1/access_tokens.
const (
	aminoBasePath  = "/amino"
	aminoTokenPath = aminoBasePath + "/api/auth/v1/access_tokens"
	aminoCheckPath = aminoBasePath + "/api/v1/me"
)

// aminoRequest is the request shape this package chose (see the package
// documentation).
type aminoRequest struct {
	Data struct {
		Type       string `json:"type"`
		Attributes struct {
			Username     string `json:"username"`
			Password     string `json:"password"`
			GrantType    string `json:"grant_type"`
			RefreshToken string `json:"refresh_token"`
		} `json:"attributes"`
	} `json:"data"`
}

type aminoAttributes struct {
	LoginTimestamp     int64  `json:"login_timestamp"`
	UserID             int    `json:"user_id"`
	UserProfileID      string `json:"user_profile_id"`
	AccessToken        string `json:"access_token"`
	ExpiresAtTimestamp int64  `json:"expires_at_timestamp"`
	RefreshToken       string `json:"refresh_token"`
}

type aminoResource struct {
	Type       string          `json:"type"`
	ID         string          `json:"id"`
	Attributes aminoAttributes `json:"attributes"`
}

func aminoError(w http.ResponseWriter, status int, code, title, detail string) {
	w.Header().Set("Content-Type", AminoContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{
		"status": strconv.Itoa(status), "code": code, "title": title, "detail": detail,
	}}})
}

func (s *Server) aminoToken(w http.ResponseWriter, r *http.Request) {
	// JSON:API 1.0 ("Server Responsibilities"): 415 for any other media type,
	// and for this one with parameters such as charset.
	if mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != AminoContentType || len(params) > 0 {
		aminoError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Unsupported media type", "Content-Type must be exactly "+AminoContentType)
		return
	}
	var req aminoRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		aminoError(w, http.StatusBadRequest, "invalid_request", "Malformed body", err.Error())
		return
	}
	if req.Data.Type != "AuthenticationTokens" {
		aminoError(w, http.StatusBadRequest, "invalid_request", "Wrong resource type", `data.type must be "AuthenticationTokens"`)
		return
	}
	a := req.Data.Attributes
	var g grant
	switch a.GrantType {
	case "", "password":
		if !passwordOK(s.aminoUsers, a.Username, a.Password) {
			aminoError(w, http.StatusUnauthorized, "invalid_grant", "Authentication failed", "wrong username or password")
			return
		}
		g = grant{provider: Amino, user: a.Username, login: s.now()}
	case "refresh_token":
		var err error
		if g, _, err = s.useRefresh(Amino, "", a.RefreshToken); err != nil {
			aminoError(w, http.StatusUnauthorized, "invalid_grant", "Invalid refresh token", err.Error())
			return
		}
	default:
		aminoError(w, http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant type", "grant_type must be refresh_token")
		return
	}
	s.mu.Lock()
	// Amino always answers with a refresh token: without rotation it is the
	// one just used.
	at, rt, life := s.issueLocked(g, s.rotate[Amino] || a.GrantType != "refresh_token")
	if rt == "" {
		rt = a.RefreshToken
	}
	s.mu.Unlock()
	res := aminoResource{Type: "AuthenticationTokens", ID: newUUID(), Attributes: aminoAttributes{
		LoginTimestamp:     g.login.Unix(),
		UserID:             AminoUserID,
		UserProfileID:      aminoUserProfileID,
		AccessToken:        at,
		ExpiresAtTimestamp: s.now().Add(life).Unix(),
		RefreshToken:       rt,
	}}
	w.Header().Set("Content-Type", AminoContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(map[string]any{"data": []aminoResource{res}})
}

func (s *Server) aminoMe(w http.ResponseWriter, r *http.Request) {
	t, ok := s.bearer(w, r, Amino)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", AminoContentType)
	_ = json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{
		"type": "Users", "id": strconv.Itoa(AminoUserID),
		"attributes": map[string]any{"username": t.user, "user_profile_id": aminoUserProfileID},
	}})
}
