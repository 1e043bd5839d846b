package providertest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestFailNext(t *testing.T) {
	s, _ := newTest(t, Options{})
	cc := url.Values{"grant_type": {"client_credentials"}}
	auth := []string{"Authorization", basicHeader(AikidoClientID, AikidoClientSecret)}

	s.FailNext(Aikido, 1, 502, "<html><body>Bad Gateway</body></html>", nil)
	s.FailNext(Aikido, 1, 429, `{"error":"rate_limited"}`, http.Header{"Retry-After": {"7"}})
	s.FailNext(Aikido, 1, 400, `{"error":"invalid_grant"}`, nil)

	// Failures queue on the token endpoint only: other paths are untouched.
	if a := get(t, s.AikidoCheckURL()); a.Status != 401 {
		t.Fatalf("check URL: %d", a.Status)
	}
	a := post(t, s.AikidoTokenURL(), cc, auth...)
	if a.Status != 502 || !strings.HasPrefix(a.Header.Get("Content-Type"), "text/html") || !strings.Contains(a.Body, "Bad Gateway") {
		t.Fatalf("first: %d %v %s", a.Status, a.Header, a.Body)
	}
	a = post(t, s.AikidoTokenURL(), cc, auth...)
	if a.Status != 429 || a.Header.Get("Retry-After") != "7" || !strings.HasPrefix(a.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("second: %d %v", a.Status, a.Header)
	}
	wantOAuthError(t, post(t, s.AikidoTokenURL(), cc, auth...), 400, "invalid_grant")
	if a := post(t, s.AikidoTokenURL(), cc, auth...); a.Status != 200 {
		t.Fatalf("fourth: %d %s", a.Status, a.Body)
	}
	if n := s.Count(Aikido, "client_credentials"); n != 4 {
		t.Errorf("Count = %d, want 4", n)
	}
	if n := s.Count(Aikido, ""); n != 4 {
		t.Errorf("Count all = %d, want 4", n)
	}
	recs := s.Requests(Aikido)
	if len(recs) != 5 {
		t.Fatalf("%d requests recorded", len(recs))
	}
	if r := recs[1]; !r.injected || r.Status != 502 || r.Grant != "client_credentials" || r.Form.Get("grant_type") != "client_credentials" ||
		r.BasicUser != AikidoClientID || r.BasicPassword != AikidoClientSecret || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("recorded %+v", r)
	}
	if r := recs[4]; r.injected || r.Status != 200 || r.method != http.MethodPost || r.Path != "/aikido/api/oauth/token" {
		t.Errorf("recorded %+v", r)
	}
	if recs[0].Grant != "" || recs[0].Status != 401 {
		t.Errorf("check request recorded %+v", recs[0])
	}
	recs[4].Header.Set("X-Mutated", "1")
	if s.Requests(Aikido)[4].Header.Get("X-Mutated") != "" {
		t.Error("Requests shares its headers")
	}
	s.resetLog()
	if len(s.Requests(Aikido)) != 0 || s.Count(Aikido, "") != 0 {
		t.Error("resetLog kept requests")
	}
}

func TestFailNextPath(t *testing.T) {
	s, _ := newTest(t, Options{})
	path := "/aha/" + AhaAccount + "/api/v1/me"
	s.FailNextPath(path, 2, 503, "down for maintenance", http.Header{"Retry-After": {"30"}})
	for range 2 {
		if a := bearerGet(t, s.URL+path, AhaAPIKey); a.Status != 503 || a.Header.Get("Retry-After") != "30" {
			t.Fatalf("got %d", a.Status)
		}
	}
	if a := bearerGet(t, s.URL+path, AhaAPIKey); a.Status != 200 {
		t.Fatalf("got %d", a.Status)
	}
}
