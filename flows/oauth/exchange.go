package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"tokentop/flows"
	"tokentop/flows/fault"
	"tokentop/flows/redact"
)

// ExtraIssuedTokenType is the Token.Extra key of an exchange's
// issued_token_type (RFC 8693 §2.2.1).
const ExtraIssuedTokenType = "issued_token_type"

// RFC 8693 identifiers: the grant type (§2.1) and the token types of §3
// that tokentop names itself.
const (
	TokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange"
	TokenTypeAccess    = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeJWT       = "urn:ietf:params:oauth:token-type:jwt"
)

// maxSubjectChain bounds how many exchanges may wait on one another through
// subject_connection: config loading refuses cycles, and this is the guard
// at run time, so that a chain never waits on itself.
const maxSubjectChain = 4

// subjectChain is the context key of the connections whose exchanges are
// waiting for a subject_connection's token, outermost first. The Service
// carries context values into the renewals it starts, so the chain follows
// the lookups from one connection to the next.
type subjectChain struct{}

// TokenExchange runs the RFC 8693 §2.1 grant: the subject token, read
// afresh (a projected service-account token or a CI OIDC token changes
// under us), is traded for a token of the requested type, audience, scope
// and resource. The client authenticates as on its other grants. Nothing is
// sent when the subject cannot be had. Like client credentials it consumes
// nothing, so it is retried on no answer, 5xx and 429; a refresh token in
// the answer is kept, but renewal is always a new exchange.
func (e *endpoint) TokenExchange(ctx context.Context) (*flows.Token, error) {
	if err := e.Discover(ctx); err != nil {
		return nil, err
	}
	c := e.Connection()
	x := c.Exchange
	subject, err := e.subjectToken(ctx, c)
	if err != nil {
		return nil, err
	}
	form := url.Values{
		"grant_type":         {TokenExchangeGrant},
		"subject_token":      {subject},
		"subject_token_type": {x.SubjectTokenType},
	}
	if !x.ActorToken.IsZero() {
		actor, err := x.ActorToken.Resolve(ctx)
		if err != nil {
			return nil, fmt.Errorf("actor_token: %w", err)
		}
		e.red.Add(actor)
		form.Set("actor_token", actor)
		form.Set("actor_token_type", x.ActorTokenType)
	}
	if x.Requested != "" {
		form.Set("requested_token_type", x.Requested)
	}
	if len(x.Audience) > 0 {
		form["audience"] = slices.Clone(x.Audience) // §2.1: one parameter per value
	}
	if len(c.Scopes) > 0 {
		form.Set("scope", strings.Join(c.Scopes, " "))
	}
	tok, err := e.grant(ctx, retryIdempotent, c.TokenURL, form, parseExchangeResponse, "")
	var pe *fault.ProviderError
	if errors.As(err, &pe) && exchangeHints[pe.Code] != "" {
		pe.Hint = exchangeHints[pe.Code]
	}
	return tok, err
}

// exchangeHints replace the hints of the errors RFC 8693 §2.2.2 gives a
// meaning of its own.
var exchangeHints = map[string]string{
	"invalid_request": "check subject_token and subject_token_type (RFC 8693 §2.2.2)",
	"invalid_target":  "check audience and resource (RFC 8693 §2.2.2)",
}

// subjectToken returns the subject of an exchange: subject_token's secret
// reference resolved now, or subject_connection's current access token,
// which the Service renews first when it must.
func (e *endpoint) subjectToken(ctx context.Context, c *flows.Connection) (string, error) {
	x := c.Exchange
	if x.SubjectConnection == "" {
		v, err := x.SubjectToken.Resolve(ctx)
		if err != nil {
			return "", fmt.Errorf("subject_token: %w", err)
		}
		e.red.Add(v)
		return v, nil
	}
	name := x.SubjectConnection
	if e.subject == nil {
		return "", fmt.Errorf("subject_connection %s: no service to ask for its token", name)
	}
	seen, _ := ctx.Value(subjectChain{}).([]string)
	chain := append(slices.Clone(seen), c.Name)
	if slices.Contains(chain, name) || len(chain) > maxSubjectChain {
		return "", fmt.Errorf("subject_connection %s: refused, the exchanges %s would wait on one another", name, strings.Join(append(chain, name), " → "))
	}
	// Bounded: the renewal that waits here runs without its caller's deadline.
	sctx, cancel := context.WithTimeout(context.WithValue(ctx, subjectChain{}, chain), e.timeout)
	defer cancel()
	tok, err := e.subject(sctx, name)
	if tok == nil || tok.AccessToken == "" {
		if err == nil {
			err = errors.New("no token")
		}
		return "", fmt.Errorf("subject_connection: %w", err)
	}
	e.red.Add(tok.AccessToken)
	return tok.AccessToken, nil
}

// parseExchangeResponse reads a token exchange answer (RFC 8693 §2.2): the
// RFC 6749 §5.1 answer with issued_token_type, which is required and kept in
// Extra. token_type may be "N_A" when the issued token is not an access
// token (§2.2.1); tokentop then hands the token out as it is, with a Note,
// and refuses N_A for an access token, which must be usable as a bearer.
// Errors (§2.2.2: invalid_request, invalid_target) are ProviderErrors.
func parseExchangeResponse(status int, header http.Header, body []byte, sentAt time.Time, red *redact.Redactor) (*flows.Token, error) {
	fields, err := tokenAnswer(status, header, body, red)
	if err != nil {
		return nil, err
	}
	issued, err := stringField(fields, "issued_token_type")
	if err != nil {
		return nil, err
	}
	if issued = redact.Clean(red, issued, 200); issued == "" {
		return nil, errors.New("token response: missing issued_token_type (RFC 8693 §2.2.1)")
	}
	tt, err := stringField(fields, "token_type")
	if err != nil {
		return nil, err
	}
	notApplicable := tt == "N_A"
	if notApplicable {
		if issued == TokenTypeAccess {
			return nil, errors.New("token response: token_type N_A for an access token (RFC 8693 §2.2.1 allows it only for other token types)")
		}
		fields = maps.Clone(fields)
		fields["token_type"] = json.RawMessage(`"Bearer"`)
	}
	tok, err := tokenFromFields(fields, sentAt)
	if err != nil {
		return nil, err
	}
	if notApplicable {
		tok.TokenType = "N_A"
		tok.Notes = append(tok.Notes, "token_type N_A: the issued token ("+issued+") is not an access token; it is handed out as it is")
	}
	if tok.Extra == nil {
		tok.Extra = map[string]string{}
	}
	tok.Extra[ExtraIssuedTokenType] = issued
	return tok, nil
}
