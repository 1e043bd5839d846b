package providertest

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestLogLimit(t *testing.T) {
	s, _ := newTest(t, Options{logLimit: 3})
	for range 5 {
		get(t, s.AikidoCheckURL())
	}
	post(t, s.AikidoTokenURL(), url.Values{"grant_type": {"client_credentials"}})
	recs := s.Requests(Aikido)
	if len(recs) != 3 || recs[2].Grant != "client_credentials" || s.Count(Aikido, "") != 1 {
		t.Fatalf("%d kept: %+v", len(recs), recs)
	}
}

func TestDateHeaderFollowsTheClock(t *testing.T) {
	s, clk := newTest(t, Options{})
	clk.Add(-48 * time.Hour)
	a := get(t, s.URL+oauth2IssuerPath+"/.well-known/openid-configuration")
	if d, err := http.ParseTime(a.Header.Get("Date")); err != nil || !d.Equal(clk.Now().Truncate(time.Second)) {
		t.Fatalf("Date %q, clock %v", a.Header.Get("Date"), clk.Now())
	}
}
