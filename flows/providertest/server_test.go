package providertest

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestListensOnLoopbackOnly(t *testing.T) {
	s, _ := newTest(t, Options{})
	host, _, err := net.SplitHostPort(s.Listener.Addr().String())
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("listening on %v (%v)", s.Listener.Addr(), err)
	}
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("URL %s", s.URL)
	}
}

// Many clients at once, with knobs turned meanwhile, under the race
// detector.
func TestConcurrentUse(t *testing.T) {
	s, _ := newTest(t, Options{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rt := s.SeedRefreshToken(OAuth2, oauth2User)
			for range 5 {
				// Not post: t.Fatal must not be called outside the test's goroutine.
				form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {OAuth2ClientID}, "client_secret": {oauth2ClientSecret}}
				resp, err := http.PostForm(s.URL+oauth2TokenPath, form)
				if err != nil {
					t.Errorf("worker %d: %v", i, err)
					return
				}
				var body struct {
					RefreshToken string `json:"refresh_token"`
				}
				err = json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
				if resp.StatusCode != 200 || err != nil {
					t.Errorf("worker %d: %d %v", i, resp.StatusCode, err)
					return
				}
				rt = body.RefreshToken
				_ = s.Requests(OAuth2)
				s.SetLifetime(Aikido, time.Minute)
				s.FailNextPath("/nowhere", 1, 500, "", nil)
			}
		}()
	}
	wg.Wait()
	if n := s.Count(OAuth2, "refresh_token"); n != 40 {
		t.Errorf("Count = %d, want 40", n)
	}
}
