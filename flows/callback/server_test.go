package callback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestCodeAccepted(t *testing.T) {
	base := runtime.NumGoroutine()
	s := start(t, Code)
	if !strings.HasPrefix(s.RedirectURI(), "http://127.0.0.1:") || !strings.HasSuffix(s.RedirectURI(), "/callback") {
		t.Fatalf("RedirectURI() = %q, want http://127.0.0.1:<port>/callback", s.RedirectURI())
	}
	q := url.Values{"code": {testCode}, "state": {testState}, "account_subdomain": {"acme"}}
	r := get(t, redirectURL(s, q.Encode()))
	if r.status != http.StatusOK || !strings.Contains(r.body, "Signed in. You can close this tab and return to tokentop.") {
		t.Fatalf("got %d %q", r.status, r.body)
	}
	assertNoSecrets(t, "success page", r.body)

	vals, err := waitNow(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if vals.Get("code") != testCode || vals.Get("state") != testState || vals.Get("account_subdomain") != "acme" {
		t.Fatalf("Wait = %v", vals)
	}
	// The listener is gone: a replay cannot even connect.
	assertRefused(t, hostport(s))
	assertGoroutines(t, base)
}

func TestListenAddress(t *testing.T) {
	tests := map[string]struct {
		redirect string
		bindIP   string
		uri      string // RedirectURI with PORT for the bound port
	}{
		"default":       {redirect: "", bindIP: "127.0.0.1", uri: "http://127.0.0.1:PORT/callback"},
		"ipv4 no port":  {redirect: "http://127.0.0.1/cb", bindIP: "127.0.0.1", uri: "http://127.0.0.1:PORT/cb"},
		"ipv4 port 0":   {redirect: "http://127.0.0.1:0/oauth/cb", bindIP: "127.0.0.1", uri: "http://127.0.0.1:PORT/oauth/cb"},
		"localhost":     {redirect: "http://localhost/callback", bindIP: "127.0.0.1", uri: "http://localhost:PORT/callback"},
		"ipv6":          {redirect: "http://[::1]:0/callback", bindIP: "::1", uri: "http://[::1]:PORT/callback"},
		"no path":       {redirect: "http://127.0.0.1:0", bindIP: "127.0.0.1", uri: "http://127.0.0.1:PORT/"},
		"upper-case IP": {redirect: "http://LOCALHOST:0/x", bindIP: "127.0.0.1", uri: "http://LOCALHOST:PORT/x"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if tc.bindIP == "::1" {
				l, err := net.Listen("tcp", "[::1]:0")
				if err != nil {
					t.Skip("no IPv6 loopback here")
				}
				l.Close()
			}
			s, err := Listen(tc.redirect, testState, Code, Issuer{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			addr := s.bound
			if !addr.IP.Equal(net.ParseIP(tc.bindIP)) {
				t.Fatalf("bound to %s, want %s", addr.IP, tc.bindIP)
			}
			if want := strings.Replace(tc.uri, "PORT", fmt.Sprint(addr.Port), 1); s.RedirectURI() != want {
				t.Fatalf("RedirectURI() = %q, want %q", s.RedirectURI(), want)
			}
			r := get(t, s.RedirectURI()+"?code=a&state="+testState)
			if r.status != http.StatusOK {
				t.Fatalf("redirect to %s: %d", s.RedirectURI(), r.status)
			}
		})
	}
}

func TestPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	for _, host := range []string{"127.0.0.1", "localhost"} {
		start := time.Now()
		s, err := Listen(fmt.Sprintf("http://%s:%d/callback", host, port), testState, Code, Issuer{})
		if err == nil {
			s.Close()
			t.Fatalf("%s: listening on a taken port", host)
		}
		if want := fmt.Sprintf("127.0.0.1:%d is in use by another program", port); err.Error() != want {
			t.Fatalf("error %q, want %q", err, want)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("took %s to fail", d)
		}
	}
}

// TestLocalhostBothAddresses: a localhost redirect URI is listened
// on at 127.0.0.1 and at ::1 on the same port, ephemeral or fixed, so the
// redirect reaches the sign-in whichever address the browser tries (RFC
// 8252 §8.3), and Close stops both.
func TestLocalhostBothAddresses(t *testing.T) {
	needIPv6(t)
	hosts := []string{"127.0.0.1", "[::1]"}
	fixed := 0
	for _, port := range []string{"0", "fixed"} {
		for i, carrier := range hosts {
			t.Run(port+" "+carrier, func(t *testing.T) {
				redirect := "http://localhost:0/callback"
				if port == "fixed" {
					redirect = fmt.Sprintf("http://localhost:%d/callback", fixed)
				}
				s, err := Listen(redirect, testState, Code, Issuer{})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				p := s.bound.Port
				if port == "0" {
					fixed = p // free on both a moment ago: the fixed runs reuse it
				} else if p != fixed {
					t.Fatalf("listening on port %d, want %d", p, fixed)
				}
				if want := fmt.Sprintf("http://localhost:%d/callback", p); s.RedirectURI() != want {
					t.Fatalf("RedirectURI() = %q, want %q", s.RedirectURI(), want)
				}
				// The other address answers too: the sign-in's own handler,
				// which refuses a wrong state.
				other := hosts[1-i]
				if r := get(t, fmt.Sprintf("http://%s:%d/callback?code=a&state=wrong", other, p)); r.status != http.StatusBadRequest || !strings.Contains(r.body, "state mismatch") {
					t.Fatalf("%s: %d %q", other, r.status, r.body)
				}
				if r := get(t, fmt.Sprintf("http://%s:%d/callback?code=a&state=%s", carrier, p, testState)); r.status != http.StatusOK {
					t.Fatalf("%s: %d %q", carrier, r.status, r.body)
				}
				if vals, err := waitNow(t, s); err != nil || vals.Get("code") != "a" {
					t.Fatalf("Wait = %v, %v", vals, err)
				}
				for _, h := range hosts {
					assertRefused(t, fmt.Sprintf("%s:%d", h, p))
				}
			})
		}
	}
}

// TestLocalhostAddressTaken: for a localhost redirect URI, another
// program on either loopback address at that port is an error that names
// the address, and the address that was free is let go again.
func TestLocalhostAddressTaken(t *testing.T) {
	needIPv6(t)
	for _, taken := range []string{"[::1]", "127.0.0.1"} {
		t.Run(taken, func(t *testing.T) {
			l, err := net.Listen("tcp", taken+":0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			port := l.Addr().(*net.TCPAddr).Port
			free := "127.0.0.1"
			if taken == free {
				free = "[::1]"
			}
			if probe, err := net.Listen("tcp", fmt.Sprintf("%s:%d", free, port)); err != nil {
				t.Skipf("%s:%d is taken by someone else too", free, port)
			} else {
				probe.Close()
			}
			s, err := Listen(fmt.Sprintf("http://localhost:%d/callback", port), testState, Code, Issuer{})
			if err == nil {
				s.Close()
				t.Fatalf("listening although %s:%d is taken", taken, port)
			}
			if want := fmt.Sprintf("%s:%d is in use by another program", taken, port); err.Error() != want {
				t.Fatalf("error %q, want %q", err, want)
			}
			again, err := net.Listen("tcp", fmt.Sprintf("%s:%d", free, port))
			if err != nil {
				t.Fatalf("the failed sign-in still holds %s:%d: %v", free, port, err)
			}
			again.Close()
		})
	}
}

// TestEnds checks every way Wait ends: each closes the listener and
// leaves no goroutine behind.
func TestEnds(t *testing.T) {
	tests := map[string]struct {
		act  func(t *testing.T, s *Server) context.Context
		want func(vals url.Values, err error) bool
	}{
		"success": {
			act: func(t *testing.T, s *Server) context.Context {
				get(t, redirectURL(s, "code=a&state="+testState))
				return context.Background()
			},
			want: func(v url.Values, err error) bool { return err == nil && v.Get("code") == "a" },
		},
		"provider error": {
			act: func(t *testing.T, s *Server) context.Context {
				get(t, redirectURL(s, "error=access_denied&state="+testState))
				return context.Background()
			},
			want: func(_ url.Values, err error) bool { return errors.Is(err, ErrAccessDenied) },
		},
		"timeout": {
			act: func(t *testing.T, s *Server) context.Context {
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				t.Cleanup(cancel)
				return ctx
			},
			want: func(_ url.Values, err error) bool { return errors.Is(err, context.DeadlineExceeded) },
		},
		"cancel": {
			act: func(t *testing.T, s *Server) context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			},
			want: func(_ url.Values, err error) bool { return errors.Is(err, context.Canceled) },
		},
		"Close during Wait": {
			act: func(t *testing.T, s *Server) context.Context {
				go s.Close()
				return context.Background()
			},
			want: func(_ url.Values, err error) bool { return errors.Is(err, context.Canceled) },
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			base := runtime.NumGoroutine()
			s, err := Listen("", testState, Code, Issuer{})
			if err != nil {
				t.Fatal(err)
			}
			ctx := tc.act(t, s)
			vals, err := s.Wait(ctx)
			if !tc.want(vals, err) {
				t.Fatalf("Wait = %v, %v", vals, err)
			}
			if err != nil {
				assertNoSecrets(t, "error", err.Error())
			}
			assertRefused(t, hostport(s))
			if err := s.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			assertGoroutines(t, base)
		})
	}
}

// TestSlowClient: a client that never finishes its request is cut
// off by ReadHeaderTimeout, and cannot hold Close up either.
func TestSlowClient(t *testing.T) {
	base := runtime.NumGoroutine()
	lim := defaultLimits
	lim.readHeader, lim.grace = 200*time.Millisecond, 200*time.Millisecond
	s, err := listen("", testState, Code, Issuer{}, lim, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	slow, err := net.Dial("tcp", hostport(s))
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if _, err := io.WriteString(slow, "GET /callback?state=x HTTP/1.1\r\nHost: 127.0.0.1\r\n"); err != nil {
		t.Fatal(err)
	}
	slow.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, slow); err != nil {
		t.Fatalf("the server did not cut the slow client off: %v", err)
	}

	// A second one, silent, open while Close runs.
	idle, err := net.Dial("tcp", hostport(s))
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	start := time.Now()
	s.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Close took %s", d)
	}
	assertRefused(t, hostport(s))
	idle.Close()
	assertGoroutines(t, base)
}

func TestLimitsSet(t *testing.T) {
	s := start(t, Code)
	if s.srv.ReadHeaderTimeout <= 0 || s.srv.ReadTimeout <= 0 || s.srv.WriteTimeout <= 0 || s.srv.MaxHeaderBytes <= 0 || s.srv.IdleTimeout <= 0 {
		t.Fatalf("unbounded server: %+v", s.srv)
	}
	// A request line past MaxHeaderBytes is refused before the handler.
	r := get(t, redirectURL(s, "state="+testState+"&code="+strings.Repeat("a", 2*maxHeaderBytes)))
	if r.status != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("huge request: %d", r.status)
	}
	assertNoResult(t, s.handler)
}

func TestPaste(t *testing.T) {
	s := start(t, Code)
	other := *s.redirect
	other.Host = "127.0.0.1:1"
	refused := map[string]string{
		"not a URL":     "%%%",
		"relative":      "/callback?code=a&state=" + testState,
		"foreign host":  "http://evil.example" + s.redirect.Path + "?code=" + testCode + "&state=" + testState,
		"wrong port":    other.String() + "?code=" + testCode + "&state=" + testState,
		"wrong path":    "http://" + hostport(s) + "/other?code=" + testCode + "&state=" + testState,
		"https":         "https://" + hostport(s) + "/callback?code=" + testCode + "&state=" + testState,
		"wrong state":   redirectURL(s, "code="+testCode+"&state=STATE-other"),
		"no state":      redirectURL(s, "code="+testCode),
		"no parameters": redirectURL(s, ""),
		"two codes":     redirectURL(s, "code="+testCode+"&code=b&state="+testState),
		"NUL":           redirectURL(s, "code=a%00&state="+testState),
	}
	for name, raw := range refused {
		err := s.Paste(raw)
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		assertNoSecrets(t, name, err.Error())
		assertNoResult(t, s.handler)
	}
	if err := s.Paste("  " + redirectURL(s, "code="+testCode+"&state="+testState+"&account_subdomain=acme") + "\n"); err != nil {
		t.Fatal(err)
	}
	vals, err := waitNow(t, s)
	if err != nil || vals.Get("code") != testCode || vals.Get("account_subdomain") != "acme" {
		t.Fatalf("Wait = %v, %v", vals, err)
	}
	if err := s.Paste(redirectURL(s, "code="+testCode+"&state="+testState)); err == nil {
		t.Fatal("Paste after the end accepted")
	}
}

func TestPasteImplicit(t *testing.T) {
	s := start(t, Fragment)
	if err := s.Paste(s.RedirectURI() + "#access_token=" + testToken + "&state=wrong"); err == nil {
		t.Fatal("wrong state accepted")
	}
	if err := s.Paste(s.RedirectURI()); err == nil {
		t.Fatal("URL without fragment accepted")
	}
	assertNoResult(t, s.handler)
	if err := s.Paste(s.RedirectURI() + "#access_token=" + testToken + "&token_type=bearer&state=" + testState); err != nil {
		t.Fatal(err)
	}
	vals, err := waitNow(t, s)
	if err != nil || vals.Get("access_token") != testToken || vals.Get("token_type") != "bearer" {
		t.Fatalf("Wait = %v, %v", vals, err)
	}
}

func TestPasteDenied(t *testing.T) {
	s := start(t, Code)
	if err := s.Paste(redirectURL(s, "error=access_denied&state="+testState)); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("Paste = %v", err)
	}
	if _, err := waitNow(t, s); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("Wait = %v", err)
	}
}

// TestLog: the listener notes each request it refuses in the server's log,
// which is also where net/http puts its own complaints. What it notes names
// the refusal and never a code, a token or the state; and with Listen the
// log goes nowhere, least of all to the standard logger, which writes on the
// terminal the dashboard draws on.
func TestLog(t *testing.T) {
	for name, mode := range map[string]Mode{"code": Code, "fragment": Fragment} {
		t.Run(name, func(t *testing.T) {
			var logged syncBuffer
			s, err := listen("", testState, mode, Issuer{}, defaultLimits, &logged)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			refuseSecrets(t, s)
			got := logged.String()
			for _, want := range []string{"refused a GET request: state mismatch", "refused a GET request: malformed parameters", "refused a GET request: not the redirect path", "refused a GET request: foreign Host"} {
				if !strings.Contains(got, want) {
					t.Errorf("the log lacks %q:\n%s", want, got)
				}
			}
			if mode == Fragment && !strings.Contains(got, "refused a POST request: foreign Origin") {
				t.Errorf("the log lacks the relay from a foreign origin:\n%s", got)
			}
			assertNoSecrets(t, "the log", got)
		})
	}
	t.Run("Listen", func(t *testing.T) {
		var std syncBuffer
		prev := log.Writer()
		log.SetOutput(&std)
		defer log.SetOutput(prev)
		s := start(t, Code)
		if s.srv.ErrorLog == nil {
			t.Fatal("no ErrorLog: net/http would write on the standard logger")
		}
		refuseSecrets(t, s)
		if std.Len() > 0 {
			t.Fatalf("the standard logger got %q", std.String())
		}
	})
}

// refuseSecrets sends the listener requests that carry the secrets and that
// it refuses, logging each: garbage on the wire, a wrong state, malformed
// parameters, another path, another Host, a relay from another origin.
func refuseSecrets(t *testing.T, s *Server) {
	t.Helper()
	c, err := net.Dial("tcp", hostport(s))
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "\x16\x03\x01 not http at all "+testCode+"\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	io.Copy(io.Discard, c)
	c.Close()
	get(t, redirectURL(s, "code="+testCode+"&access_token="+testToken+"&state=x"+testState))
	get(t, redirectURL(s, "code="+testCode+"&access_token="+testToken+"&state="+testState+"&state="+testState))
	get(t, "http://"+hostport(s)+"/"+testCode+"?state="+testState)
	req, err := http.NewRequest(http.MethodGet, redirectURL(s, "code="+testCode+"&state="+testState), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = testState + ".example"
	do(t, req)
	req, err = http.NewRequest(http.MethodPost, redirectURL(s, ""), strings.NewReader("access_token="+testToken+"&state="+testState))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://"+testCode+".example")
	do(t, req)
	assertNoResult(t, s.handler)
}
