package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"time"
	"tokentop/flows"
	"tokentop/flows/fault"
	"tokentop/flows/redact"
)

// CheckIntrospect is the Connection.CheckMethod of the RFC 7662 health check.
const CheckIntrospect = "introspect"

// maxIntrospectionField bounds each string an introspection answer puts on
// the detail pane.
const maxIntrospectionField = 200

// inactiveError is the check's error when the provider says the token is
// not active (RFC 7662 §2.2): like a 401 invalid_token at check_url, it
// matches fault.ErrInvalidToken, so the caller renews once and checks again.
type inactiveError struct{}

func (inactiveError) Error() string {
	return "token inactive at the provider (introspection: active false)"
}
func (inactiveError) Is(target error) bool { return target == fault.ErrInvalidToken }

// introspect is the health check of check = "introspect": it POSTs
// token=<access token>&token_type_hint=access_token to the introspection
// endpoint with the connection's client authentication (RFC 7662 §2.1) and
// records the answer in the Check. An inactive token is a failed Check with
// an error matching ErrInvalidToken; a 401 is the client's fault
// (invalid_client), a failed Check with no error, since renewing the token
// would not help. Introspection changes nothing at the provider, so it is
// retried like other idempotent calls.
func (e *endpoint) introspect(ctx context.Context, tok *flows.Token) (*flows.Check, error) {
	c := e.Connection()
	if c.IntrospectURL == "" {
		return nil, errors.New("no introspection_url configured, and the issuer's metadata names no introspection_endpoint")
	}
	form := url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}}
	r, err := e.formRequest(ctx, "introspection endpoint", "introspection_url", c.IntrospectURL, form, false)
	if err != nil {
		return nil, err
	}
	at := e.now()
	resp, err := e.do(ctx, retryIdempotent, r)
	if err != nil {
		return &flows.Check{At: at, Err: redact.Clean(e.red, err.Error(), redact.MaxLine)}, err
	}
	ck := &flows.Check{At: resp.sentAt, Status: resp.status, Latency: resp.latency}
	in, err := parseIntrospection(resp.status, resp.header, resp.body, e.red)
	if err != nil {
		ck.Err = redact.Clean(e.red, err.Error(), redact.MaxLine)
		return ck, nil
	}
	ck.Introspection = in
	if !in.Active {
		ck.Err = inactiveError{}.Error()
		return ck, inactiveError{}
	}
	return ck, nil
}

// parseIntrospection reads an introspection answer (RFC 7662 §2.2): a JSON
// object whose active member is required and a boolean; exp (a NumericDate),
// scope, client_id and sub are kept when they have the right type and
// dropped otherwise, as they only inform. An error status is a
// ProviderError: 401 without an OAuth error is invalid_client (§2.1: the
// endpoint authenticates its callers). Quoted text goes through red.
func parseIntrospection(status int, header http.Header, body []byte, red *redact.Redactor) (*flows.Introspection, error) {
	if status == http.StatusUnauthorized {
		pe := challengeError(status, header, red)
		if f, err := decodeAnswer("introspection endpoint", "introspection_url", status, header, body, red); err == nil {
			if oe := oauthError(status, f, red); oe != nil {
				pe = oe
			}
		}
		desc := "the introspection endpoint refused the client"
		if pe != nil && pe.Description != "" && pe.Description != "unauthorized" {
			desc = pe.Description
		}
		return nil, newProviderError(status, "invalid_client", desc, red)
	}
	fields, err := decodeAnswer("introspection endpoint", "introspection_url", status, header, body, red)
	if err != nil {
		return nil, err
	}
	if pe := oauthError(status, fields, red); pe != nil {
		return nil, pe
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("introspection endpoint answered HTTP %d%s", status, excerpt(red, body))
	}
	raw, ok := fields["active"]
	if !ok {
		return nil, errors.New("introspection answer: missing active (RFC 7662 §2.2)")
	}
	in := &flows.Introspection{}
	if err := json.Unmarshal(raw, &in.Active); err != nil || string(raw) == "null" {
		return nil, errors.New("introspection answer: active is not a boolean (RFC 7662 §2.2)")
	}
	if v, err := jsonNumber(fields["exp"]); err == nil && v > 0 && v < math.MaxInt32*4 {
		in.Expiry = time.Unix(int64(v), 0).UTC()
	}
	for _, f := range []struct {
		key string
		dst *string
	}{{"scope", &in.Scope}, {"client_id", &in.ClientID}, {"sub", &in.Subject}} {
		if s, err := stringField(fields, f.key); err == nil {
			*f.dst = redact.Clean(red, s, maxIntrospectionField)
		}
	}
	return in, nil
}
