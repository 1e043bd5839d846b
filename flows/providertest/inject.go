package providertest

import "net/http"

// failure is one scripted answer that FailNext or FailNextPath queued.
type failure struct {
	status int
	body   string
	header http.Header
}

// FailNext makes the next n requests to provider's token endpoint (Amino:
// access_tokens; the OAuth 2.0 server: /oauth2/token, device polls included)
// be answered with status, body and header instead, e.g. a 502 HTML page, a
// 429 with Retry-After or 400 {"error":"invalid_grant"}. A body that starts
// with '{' gets Content-Type application/json unless header sets one. The
// failed requests are recorded and counted like the others.
func (s *Server) FailNext(provider string, n int, status int, body string, header http.Header) {
	s.queueFail(provider, n, status, body, header)
}

// FailNextPath is FailNext for any exact request path, such as a check URL
// ("/aha/acme/api/v1/me") or an authorize endpoint.
func (s *Server) FailNextPath(path string, n int, status int, body string, header http.Header) {
	s.queueFail("path:"+path, n, status, body, header)
}

func (s *Server) queueFail(key string, n, status int, body string, header http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.fails[key] = append(s.fails[key], failure{status, body, header.Clone()})
	}
}

// DenyNext makes the next n sign-ins at provider be refused with the OAuth
// error code errCode (such as "access_denied"): an authorize request then
// redirects with error=errCode and state, and a device-code poll of the
// OAuth 2.0 server is answered with it.
func (s *Server) DenyNext(provider string, n int, errCode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.denials[provider] = append(s.denials[provider], errCode)
	}
}

func (s *Server) takeDenial(provider string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.denials[provider]
	if len(q) == 0 {
		return ""
	}
	s.denials[provider] = q[1:]
	return q[0]
}
