package oauth

// Token requests are tokentop's own small client rather than
// golang.org/x/oauth2's Exchange, Token and PasswordCredentialsToken. We use
// x/oauth2 where it fits (authorize URLs: Config.AuthCodeURL,
// S256ChallengeOption, SetAuthURLParam), but its token path
// (internal/token.go in v0.37.0) does not fit a client that must be exact:
//
//   - a missing expires_in reads as "valid forever" (Expiry zero, which its
//     Token.Valid treats as never expiring) and nothing records that the
//     provider said nothing (here: a Note, and renewal on a refused check);
//   - expires_in 3600.0 fails the whole request (its expirationTime reads a
//     json.Number with Int64, which rejects the fraction), so a provider's
//     harmless float costs the user their token;
//   - the expiry is time.Now() after the answer arrived: no injected clock,
//     no send time, no use of the server's Date for an absolute expiry;
//   - with AuthStyleAutoDetect any error sends the request a second time
//     with the other client authentication, so a password or a one-time code
//     goes out twice and a bad secret is tried both ways (RFC 6749 §2.3:
//     one authentication method per request);
//   - it cannot express Amino's JSON:API body or send Aerion's companyurl
//     tenant header on the refresh made by its TokenSource.
//
// So here: RFC 6749 §4 and §6 form requests with exactly one client
// authentication method, a response parser that is fuzzed, and expiry from
// the time the request was sent (RFC 6749 §5.1: expires_in counts from the
// response's generation, which is after our send, so sentAt is the
// conservative choice).

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"time"
	"tokentop/flows"
	"tokentop/flows/redact"
)

// maxLifetime caps an expiry a provider announces, so that a nonsense
// expires_in (1e300) cannot overflow a time.Time or make a token look good
// for a century.
const maxLifetime = 10 * 365 * 24 * time.Hour

// addClientAuth authenticates the client on a token-endpoint request with
// exactly one method (RFC 6749 §2.3.1). The secret is resolved now, when a
// request needs it, and registered with the Redactor. With no secret the
// client is public and sends client_id in the body (RFC 6749 §3.2.1).
func (e *endpoint) addClientAuth(ctx context.Context, form url.Values, h http.Header) error {
	c := e.Connection()
	secret := ""
	if !c.ClientSecret.IsZero() {
		s, err := c.ClientSecret.Resolve(ctx)
		if err != nil {
			return fmt.Errorf("client_secret: %w", err)
		}
		// A secret equal to the public client id is no secret (Aerion's
		// arbitrary "tokentop"/"tokentop" default): hiding it would blank
		// the word out of every log line.
		if s != c.ClientID {
			e.red.Add(s)
		}
		secret = s
	}
	if c.ClientID == "" && secret == "" {
		return nil
	}
	if secret == "" || clientAuthOf(c) == flows.ClientAuthBody {
		form.Set("client_id", c.ClientID)
		if secret != "" {
			form.Set("client_secret", secret)
		}
		return nil
	}
	// RFC 6749 §2.3.1: id and secret are form-encoded (Appendix B) before
	// base64, so a ':' or '%' in either survives the trip.
	enc := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(c.ClientID) + ":" + url.QueryEscape(secret)))
	e.red.AddBasic(enc)
	h.Set("Authorization", "Basic "+enc)
	return nil
}

// formRequest builds a POST of form to the endpoint at key/rawURL with the
// connection's extra headers (Aerion's companyurl tenant header among them)
// and, for grants, its resource indicators and extra params, which never
// replace a field tokentop sets.
func (e *endpoint) formRequest(ctx context.Context, what, key, rawURL string, form url.Values, grant bool) (*request, error) {
	c := e.Connection()
	u, err := e.expand(key, rawURL)
	if err != nil {
		return nil, err
	}
	h := tokenHeader(c)
	var sign func() error
	if jwtAuth(c) {
		sign, err = e.addAssertion(ctx, key, u, form)
	} else {
		err = e.addClientAuth(ctx, form, h)
	}
	if err != nil {
		return nil, err
	}
	if grant {
		// RFC 8707 §2: one resource parameter per indicator, on the
		// device authorization, token and refresh requests alike; nothing
		// is added unless the connection names resources.
		if len(c.Resource) > 0 {
			form["resource"] = append([]string(nil), c.Resource...)
		}
		for k, v := range c.Params {
			if _, set := form[k]; !set {
				form.Set(k, v)
			}
		}
	}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set("Accept", "application/json")
	r := &request{what: what, key: key, method: http.MethodPost, url: u, header: h, body: []byte(form.Encode())}
	if sign != nil {
		r.rebuild = func() ([]byte, error) {
			if err := sign(); err != nil {
				return nil, err
			}
			return []byte(form.Encode()), nil
		}
	}
	return r, nil
}

// tokenParser reads a token endpoint's answer (parseTokenResponse).
type tokenParser func(status int, header http.Header, body []byte, sentAt time.Time, red *redact.Redactor) (*flows.Token, error)

// tokenGrant runs one grant at the token endpoint under policy p and parses
// the answer.
func (e *endpoint) tokenGrant(ctx context.Context, p retryPolicy, tokenURL string, form url.Values) (*flows.Token, error) {
	return e.grant(ctx, p, tokenURL, form, parseTokenResponse, "")
}

// grant is tokenGrant with the answer read by parse, and the id_token of
// the answer, if any, checked against nonce ("": none was sent).
func (e *endpoint) grant(ctx context.Context, p retryPolicy, tokenURL string, form url.Values, parse tokenParser, nonce string) (*flows.Token, error) {
	r, err := e.formRequest(ctx, "token endpoint", "token_url", tokenURL, form, true)
	if err != nil {
		return nil, err
	}
	r.finish = true
	resp, err := e.do(ctx, p, r)
	if err != nil {
		return nil, err
	}
	tok, err := parse(resp.status, resp.header, resp.body, resp.sentAt, e.red)
	if err != nil {
		return nil, err
	}
	e.red.Add(tok.AccessToken, tok.RefreshToken)
	// What the answer adds for the detail pane (aud, issued_token_type) is
	// the provider's text: it must not quote a secret of the request.
	for k, v := range tok.Extra {
		tok.Extra[k] = e.red.Redact(v)
	}
	raw, err := idTokenOf(resp, e.red)
	if err != nil {
		return nil, err
	}
	if err := e.checkIDToken(ctx, tok, raw, nonce, form.Get("grant_type") == "refresh_token"); err != nil {
		return nil, err
	}
	return tok, nil
}
