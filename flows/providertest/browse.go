package providertest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Browse is a tiny fake browser for tests and no-browser demos: it plays the
// part of the person who opens authorizeURL and approves.
//
// It GETs authorizeURL without following redirects to other hosts (redirects
// within the authorization server's own host are followed, at most ten) and
// takes the Location of the redirect that leaves it:
//
//   - Location without a fragment (authorization code: ?code=…&state=… or
//     ?error=…): Browse GETs it, which reaches tokentop's loopback listener.
//   - Location with a fragment (implicit grant: #access_token=…): the
//     fragment never reaches a server, so Browse does what the callback
//     page's script does. This is the relay protocol the callback listener
//     implements:
//     1. GET the redirect URL without its fragment (the page is served);
//     2. POST the raw fragment, exactly as it appeared after '#', as the
//     request body with Content-Type application/x-www-form-urlencoded to
//     the same scheme, host and path, without the query.
//
// A final answer of 2xx that is not a redirect (such as a device
// verification page) ends Browse with no error. Any answer of 400 or more,
// from the authorization server or from the listener, is an error naming the
// status and the start of the body.
func Browse(ctx context.Context, authorizeURL string) error {
	tr := &http.Transport{Proxy: nil}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	start, err := url.Parse(authorizeURL)
	if err != nil {
		return fmt.Errorf("browse: %w", err)
	}
	cur := start
	var loc *url.URL
	var rawLoc string
	for range 10 {
		resp, body, err := browseGet(ctx, c, cur.String())
		if err != nil {
			return err
		}
		if resp.StatusCode < 300 {
			return nil
		}
		if resp.StatusCode >= 400 || resp.Header.Get("Location") == "" {
			return fmt.Errorf("browse: %s answered %s: %s", cur.Redacted(), resp.Status, snippet(body))
		}
		rawLoc = resp.Header.Get("Location")
		if loc, err = cur.Parse(rawLoc); err != nil {
			return fmt.Errorf("browse: bad Location %q: %w", rawLoc, err)
		}
		if loc.Scheme != start.Scheme || loc.Host != start.Host {
			break
		}
		cur, loc = loc, nil
	}
	if loc == nil {
		return errors.New("browse: too many redirects within the authorization server")
	}
	if loc.Scheme != "http" && loc.Scheme != "https" {
		return fmt.Errorf("browse: cannot open redirect %s", loc.Redacted())
	}
	_, frag, hasFrag := strings.Cut(rawLoc, "#")
	if !hasFrag || frag == "" {
		return visit(ctx, c, http.MethodGet, loc.String(), "")
	}
	loc.Fragment, loc.RawFragment = "", ""
	if err := visit(ctx, c, http.MethodGet, loc.String(), ""); err != nil {
		return err
	}
	loc.RawQuery = ""
	return visit(ctx, c, http.MethodPost, loc.String(), frag)
}

func browseGet(ctx context.Context, c *http.Client, u string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("browse: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("browse: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp, body, nil
}

func visit(ctx context.Context, c *http.Client, method, u, body string) error {
	req, err := http.NewRequestWithContext(ctx, method, u, strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("browse: %w", err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("browse: %s %s: %w", method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 400 {
		return fmt.Errorf("browse: %s %s answered %s: %s", method, req.URL.Redacted(), resp.Status, snippet(b))
	}
	return nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
