package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"tokentop/flows"
	"tokentop/flows/fault"
	"tokentop/flows/redact"
)

// Device flow defaults and bounds (RFC 8628 §3.2: interval defaults to 5 s).
const (
	deviceDefaultInterval = 5 * time.Second
	deviceMaxInterval     = 60 * time.Second
	deviceDefaultLife     = 10 * time.Minute
	deviceGrantType       = "urn:ietf:params:oauth:grant-type:device_code"
)

// DeviceAuth starts the device flow (RFC 8628 §3.1, §3.2) at device_url.
// The verification URI is shown to a person, so it must be https (or a
// loopback URL) and is cleaned of anything that is not printable.
func (e *endpoint) DeviceAuth(ctx context.Context) (*flows.DeviceAuth, error) {
	if err := e.Discover(ctx); err != nil {
		return nil, err
	}
	c := e.Connection()
	form := url.Values{}
	if len(c.Scopes) > 0 {
		form.Set("scope", strings.Join(c.Scopes, " "))
	}
	r, err := e.formRequest(ctx, "device authorization endpoint", "device_url", c.DeviceURL, form, true)
	if err != nil {
		return nil, err
	}
	resp, err := e.do(ctx, noRetry, r)
	if err != nil {
		return nil, err
	}
	return parseDeviceAuth(resp, e.red)
}

func parseDeviceAuth(resp *response, red *redact.Redactor) (*flows.DeviceAuth, error) {
	f, err := decodeAnswer("device authorization endpoint", "device_url", resp.status, resp.header, resp.body, red)
	if err != nil {
		return nil, err
	}
	if pe := oauthError(resp.status, f, red); pe != nil {
		return nil, pe
	}
	if resp.status < 200 || resp.status > 299 {
		return nil, fmt.Errorf("device authorization endpoint answered HTTP %d%s", resp.status, excerpt(red, resp.body))
	}
	da := &flows.DeviceAuth{Interval: deviceDefaultInterval}
	for _, m := range []struct {
		key string
		dst *string
	}{
		{"device_code", &da.DeviceCode},
		{"user_code", &da.UserCode},
		{"verification_uri", &da.VerificationURI},
		{"verification_uri_complete", &da.VerificationURIComplete},
	} {
		s, err := stringField(f, m.key)
		if err != nil {
			return nil, fmt.Errorf("device authorization: %w", err)
		}
		*m.dst = s
	}
	if da.VerificationURI == "" {
		// Early Google servers said verification_url.
		da.VerificationURI, _ = stringField(f, "verification_url")
	}
	switch {
	case da.DeviceCode == "":
		return nil, errors.New("device authorization: missing device_code")
	case da.UserCode == "":
		return nil, errors.New("device authorization: missing user_code")
	case da.VerificationURI == "":
		return nil, errors.New("device authorization: missing verification_uri")
	}
	red.Add(da.DeviceCode)
	da.UserCode = redact.Clean(nil, da.UserCode, 64)
	for _, p := range []*string{&da.VerificationURI, &da.VerificationURIComplete} {
		if *p == "" {
			continue
		}
		u, err := url.Parse(*p)
		if err != nil || checkWireURL("verification_uri", u) != nil || redact.Sanitize(*p) != *p {
			if p == &da.VerificationURIComplete {
				*p = "" // optional: drop it, show the plain URI and code
				continue
			}
			return nil, errors.New("device authorization: verification_uri is not an https URL")
		}
	}
	life, _, err := parseExpiresIn(f["expires_in"])
	if err != nil {
		return nil, fmt.Errorf("device authorization: %w", err)
	}
	if life == 0 {
		life = deviceDefaultLife
	}
	da.ExpiresAt = resp.sentAt.Add(life)
	if raw, ok := f["interval"]; ok && string(raw) != "null" {
		v, err := jsonNumber(raw)
		if err != nil || v < 0 {
			return nil, errors.New("device authorization: interval is not a number of seconds")
		}
		if v >= 1 {
			da.Interval = min(time.Duration(v)*time.Second, deviceMaxInterval)
		}
	}
	return da, nil
}

// DevicePoll polls the token endpoint until the person approves, refuses or
// the code expires (RFC 8628 §3.4, §3.5): it waits Interval between
// requests, adds 5 s on slow_down, keeps waiting on authorization_pending,
// and backs off (doubling, up to a minute) when no answer comes. ctx ends it.
func (e *endpoint) DevicePoll(ctx context.Context, da *flows.DeviceAuth) (*flows.Token, error) {
	if da == nil || da.DeviceCode == "" {
		return nil, errors.New("no device authorization")
	}
	e.red.Add(da.DeviceCode)
	c := e.Connection()
	interval := max(da.Interval, time.Second)
	for {
		if err := e.sleep(ctx, interval); err != nil {
			return nil, err
		}
		if !da.ExpiresAt.IsZero() && !e.now().Before(da.ExpiresAt) {
			return nil, &fault.ProviderError{Code: "expired_token", Description: "the code was not entered in time", Hint: hints["expired_token"]}
		}
		form := url.Values{"grant_type": {deviceGrantType}, "device_code": {da.DeviceCode}}
		tok, err := e.tokenGrant(ctx, noRetry, c.TokenURL, form)
		if err == nil {
			return tok, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		var pe *fault.ProviderError
		var na *fault.NoAnswerError
		switch {
		case errors.As(err, &pe) && pe.Code == "authorization_pending":
		case errors.As(err, &pe) && pe.Code == "slow_down":
			interval = min(interval+5*time.Second, deviceMaxInterval)
		case errors.As(err, &na):
			interval = min(interval*2, deviceMaxInterval)
		default:
			return nil, err
		}
	}
}
