package providertest

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// setDevicePending sets how many polls of device authorizations started from
// now on are answered authorization_pending before approval (RFC 8628 §3.5).
func (s *Server) setDevicePending(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = max(n, 0)
}

// setDeviceSlowDown makes the next n device-code polls be answered slow_down
// (RFC 8628 §3.5); they do not count as pending polls.
func (s *Server) setDeviceSlowDown(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slowDown = max(n, 0)
}

// setDeviceInterval sets the interval announced by device authorizations
// started from now on, rounded down to whole seconds (at least one).
func (s *Server) setDeviceInterval(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.interval = max(d.Truncate(time.Second), time.Second)
}

type device struct {
	code     string
	userCode string
	client   string
	scope    string
	resource []string
	expires  time.Time
	pending  int // polls still to answer authorization_pending
	approved bool
	used     bool
}

// oauth2Device starts an RFC 8628 §3.1 device authorization.
func (s *Server) oauth2Device(w http.ResponseWriter, r *http.Request) {
	client, _, ok := s.oauth2Client(w, r)
	if !ok {
		return
	}
	if desc := s.resourceProblem(r.PostForm["resource"]); desc != "" {
		oauthError(w, http.StatusBadRequest, "invalid_target", desc)
		return
	}
	s.mu.Lock()
	d := &device{
		code: randHex(20), userCode: userCode(), client: client, scope: r.PostForm.Get("scope"), resource: r.PostForm["resource"],
		expires: s.now().Add(deviceCodeLifetime), pending: s.pending,
	}
	s.devices[d.code] = d
	s.userCodes[d.userCode] = d
	interval := s.interval
	s.mu.Unlock()
	verify := s.URL + oauth2ActivatePath
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code":               d.code,
		"user_code":                 d.userCode,
		"verification_uri":          verify,
		"verification_uri_complete": verify + "?user_code=" + url.QueryEscape(d.userCode),
		"expires_in":                seconds(deviceCodeLifetime),
		"interval":                  seconds(interval),
	})
}

// pollDevice answers a device-code poll: an OAuth error code, or the grant
// to issue tokens for.
func (s *Server) pollDevice(client, code string) (grant, string, string) {
	if c := s.takeDenial(OAuth2); c != "" {
		return grant{}, c, "the user refused"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.devices[code]
	switch {
	case d == nil || d.client != client:
		return grant{}, "invalid_grant", "unknown device_code"
	case d.used:
		return grant{}, "invalid_grant", "device_code was already used"
	case !s.now().Before(d.expires):
		return grant{}, "expired_token", "device_code expired"
	case s.slowDown > 0:
		s.slowDown--
		return grant{}, "slow_down", "polling too fast: add 5 seconds to the interval"
	case !d.approved && d.pending > 0:
		d.pending--
		return grant{}, "authorization_pending", "the user has not approved yet"
	}
	d.used = true
	return grant{provider: OAuth2, client: client, user: oauth2User, scope: d.scope, resource: d.resource}, "", ""
}

// oauth2Activate is the verification page. With a known user_code it
// approves that device at once; otherwise it shows a form.
func (s *Server) oauth2Activate(w http.ResponseWriter, r *http.Request) {
	uc := strings.ToUpper(strings.TrimSpace(r.URL.Query().Get("user_code")))
	if uc == "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>Activate a device</title><form><label>Code <input name="user_code"></label><button>Approve</button></form>` + "\n"))
		return
	}
	s.mu.Lock()
	d := s.userCodes[uc]
	found := d != nil && s.now().Before(d.expires)
	if found {
		d.approved = true
	}
	s.mu.Unlock()
	if !found {
		page(w, http.StatusNotFound, "Unknown code", "no device sign-in waits for "+uc)
		return
	}
	page(w, http.StatusOK, "Device approved", "You can return to tokentop.")
}

// userCode makes an RFC 8628 §6.1 user code: eight consonants, no vowels,
// shown as XXXX-XXXX.
func userCode() string {
	const alphabet = "BCDFGHJKLMNPQRSTVWXZ"
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	out := make([]byte, 0, 9)
	for i, c := range b {
		if i == 4 {
			out = append(out, '-')
		}
		out = append(out, alphabet[int(c)%len(alphabet)])
	}
	return string(out)
}
