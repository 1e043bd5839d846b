package providertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
)

// Recorded is one request that reached the server, as the fake saw it.
type Recorded struct {
	// Path is the request's URL path.
	Path string
	// Query is the request's URL query.
	Query url.Values
	// Header is a clone of the request's header.
	Header http.Header
	// Body is the raw request body.
	Body string
	// Form is Body decoded when it was application/x-www-form-urlencoded
	// (nil otherwise).
	Form url.Values
	// Basic says whether the request had an HTTP Basic header at all.
	Basic bool
	// BasicUser is the Basic user name (the client id), decoded as RFC 6749
	// §2.3.1 says: base64, then form-unescaped.
	BasicUser string
	// BasicPassword is the Basic password (the client secret), decoded like
	// BasicUser.
	BasicPassword string
	// Grant is the grant of a token-endpoint request: the grant_type field,
	// at Amino "password" or "refresh_token". It is empty for other requests.
	Grant string
	// Status is the status code of the answer.
	Status int

	at       time.Time // by Options.Now
	method   string
	injected bool // FailNext or FailNextPath produced the answer
}

// String describes the request without its secrets (no headers, body or
// Basic credentials), so a log line or %v never leaks test credentials.
func (r Recorded) String() string {
	s := r.method + " " + r.Path
	if r.Grant != "" {
		s += " grant=" + r.Grant
	}
	s += fmt.Sprintf(" status=%d", r.Status)
	if r.injected {
		s += " (injected)"
	}
	return s
}

// Requests returns copies of the requests that reached provider's fake, in
// arrival order.
func (s *Server) Requests(provider string) []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Recorded
	for _, r := range s.log {
		if providerOf(r.Path) == provider {
			c := *r
			c.Header = r.Header.Clone()
			c.Query = cloneValues(r.Query)
			c.Form = cloneValues(r.Form)
			out = append(out, c)
		}
	}
	return out
}

// Count returns how many requests reached provider's token endpoint with
// grant (a grant_type value, such as "refresh_token" or
// "urn:ietf:params:oauth:grant-type:device_code"), failed ones included. An
// empty grant counts every token request.
func (s *Server) Count(provider, grant string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.log {
		if providerOf(r.Path) == provider && isTokenPath(provider, r.Path) && (grant == "" || r.Grant == grant) {
			n++
		}
	}
	return n
}

// resetLog forgets the recorded requests (and so the counts).
func (s *Server) resetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	c := make(url.Values, len(v))
	for k, vs := range v {
		c[k] = slices.Clone(vs)
	}
	return c
}

func providerOf(path string) string {
	p, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return p
}

// tokenPaths are the token endpoints by provider, as path.Match patterns.
var tokenPaths = map[string]string{
	Aikido: aikidoTokenPath,
	Aha:    "/aha/*" + ahaTokenPath,
	Aerion: aerionTokenPath,
	Amino:  aminoTokenPath,
	OAuth2: oauth2TokenPath,
}

// isTokenPath reports whether p is provider's token endpoint.
func isTokenPath(provider, p string) bool {
	pattern, ok := tokenPaths[provider]
	if !ok {
		return false
	}
	match, _ := path.Match(pattern, p)
	return match
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// record logs the request, applies injected failures, then serves it.
func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &Recorded{
			at:     s.now(),
			method: r.Method,
			Path:   r.URL.Path,
			Query:  r.URL.Query(),
			Header: r.Header.Clone(),
			Body:   string(body),
		}
		if isForm(r) {
			rec.Form, _ = url.ParseQuery(string(body))
		}
		if _, _, ok := r.BasicAuth(); ok {
			rec.Basic = true
			rec.BasicUser, rec.BasicPassword, _ = basicCredentials(r)
		}
		provider := providerOf(r.URL.Path)
		token := isTokenPath(provider, r.URL.Path)
		if token {
			rec.Grant = grantOf(provider, rec)
		}
		s.mu.Lock()
		s.log = append(s.log, rec)
		if n := s.opts.logLimit; n > 0 && len(s.log) > n {
			s.log = slices.Delete(s.log, 0, len(s.log)-n)
		}
		var inj *failure
		for _, key := range []string{"path:" + r.URL.Path, provider} {
			if key == provider && !token {
				continue
			}
			if q := s.fails[key]; len(q) > 0 {
				inj, s.fails[key] = &q[0], q[1:]
				break
			}
		}
		s.mu.Unlock()

		sw := &statusWriter{ResponseWriter: w}
		// The Date header follows Options.Now, so a client that moves server
		// times onto its own clock (Amino's expires_at_timestamp) agrees
		// with the fake's notion of expiry.
		sw.Header().Set("Date", rec.at.UTC().Format(http.TimeFormat))
		if inj != nil {
			for k, vs := range inj.header {
				sw.Header()[k] = slices.Clone(vs)
			}
			if sw.Header().Get("Content-Type") == "" {
				if strings.HasPrefix(strings.TrimSpace(inj.body), "{") {
					sw.Header().Set("Content-Type", "application/json")
				} else {
					sw.Header().Set("Content-Type", "text/html; charset=utf-8")
				}
			}
			sw.WriteHeader(inj.status)
			io.WriteString(sw, inj.body)
		} else {
			next.ServeHTTP(sw, r)
		}
		s.mu.Lock()
		rec.Status = sw.status
		if rec.Status == 0 {
			rec.Status = http.StatusOK
		}
		rec.injected = inj != nil
		s.mu.Unlock()
	})
}

func grantOf(provider string, rec *Recorded) string {
	if provider != Amino {
		if rec.Form == nil {
			return ""
		}
		return rec.Form.Get("grant_type")
	}
	var req aminoRequest
	if json.Unmarshal([]byte(rec.Body), &req) != nil {
		return ""
	}
	if g := req.Data.Attributes.GrantType; g != "" {
		return g
	}
	return "password"
}
