package oauth

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
	"tokentop/flows"

	"golang.org/x/oauth2"
)

// ClientCredentials runs the client credentials grant (RFC 6749 §4.4; Aikido
// for its own workspace, with HTTP Basic client auth). It is idempotent, so
// it is retried on no answer, 5xx and 429 (at most maxAttempts).
func (e *endpoint) ClientCredentials(ctx context.Context) (*flows.Token, error) {
	if err := e.Discover(ctx); err != nil {
		return nil, err
	}
	c := e.Connection()
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(c.Scopes) > 0 {
		form.Set("scope", strings.Join(c.Scopes, " "))
	}
	return e.tokenGrant(ctx, retryIdempotent, c.TokenURL, form)
}

// Password runs the resource owner Password grant (RFC 6749 §4.3): the
// Aerion form with its companyurl tenant header, or Amino's JSON:API
// request. Never retried: a second attempt could count twice against an
// account lockout.
func (e *endpoint) Password(ctx context.Context, username, password string) (*flows.Token, error) {
	if err := e.Discover(ctx); err != nil {
		return nil, err
	}
	e.red.Add(password)
	c := e.Connection()
	if c.Provider == flows.Amino {
		return e.aminoPassword(ctx, username, password)
	}
	form := url.Values{
		"grant_type": {"password"},
		"username":   {username},
		"password":   {password},
	}
	if len(c.Scopes) > 0 {
		form.Set("scope", strings.Join(c.Scopes, " "))
	}
	return e.tokenGrant(ctx, noRetry, c.TokenURL, form)
}

// Refresh renews with a Refresh token (RFC 6749 §6; Amino's JSON:API
// variant). When the answer carries no Refresh token the old one stays
// (RFC 6749 §6: the server may keep it). It is sent again once, only when no
// answer came; a second silence means the server may have rotated the
// Refresh token while we could not hear it (RFC 9700 §4.14.2), so the
// error wraps ErrSignInRequired. invalid_grant is never retried.
func (e *endpoint) Refresh(ctx context.Context, refreshToken string) (*flows.Token, error) {
	if refreshToken == "" {
		return nil, fmt.Errorf("no refresh token: %w", flows.ErrSignInRequired)
	}
	if err := e.Discover(ctx); err != nil {
		return nil, err
	}
	e.red.Add(refreshToken)
	c := e.Connection()
	var tok *flows.Token
	var err error
	if c.Provider == flows.Amino {
		tok, err = e.aminoRefresh(ctx, refreshToken)
	} else {
		form := url.Values{
			"grant_type":    {"refresh_token"},
			"refresh_token": {refreshToken},
		}
		tok, err = e.tokenGrant(ctx, retryNoAnswer, c.TokenURL, form)
	}
	if err != nil {
		return nil, err
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = refreshToken
	}
	return tok, nil
}

// ExchangeCode redeems an authorization code (RFC 6749 §4.1.3) at tokenURL,
// already expanded by the caller (Aha!'s per-account host). verifier is the
// PKCE code_verifier (RFC 7636 §4.5), "" when PKCE is off. Aha! gets exactly
// client_id, client_secret, code, grant_type and redirect_uri in the body;
// Aikido gets Basic auth. nonce is the one the authorization request sent,
// which the answer's id_token must carry (OIDC Core §3.1.3.7 step 11).
// Never retried: a code is single-use (RFC 6749
// §4.1.2), and a second use may revoke what the first one issued.
func (e *endpoint) ExchangeCode(ctx context.Context, tokenURL, code, redirectURI, verifier, nonce string) (*flows.Token, error) {
	e.red.Add(code, verifier, nonce)
	form := url.Values{
		"grant_type":   {"authorization_code"},
		"code":         {code},
		"redirect_uri": {redirectURI},
	}
	if redirectURI == "" {
		form.Del("redirect_uri")
	}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	return e.grant(ctx, noRetry, tokenURL, form, parseTokenResponse, nonce)
}

// AuthorizeURL builds the authorization request (RFC 6749 §4.1.1 with
// responseType "code", §4.2.1 with "token") with x/oauth2. authURL is
// already expanded. A non-empty verifier adds the S256 challenge (RFC 7636
// §4.3; RFC 9700 §2.1.1 recommends PKCE for every code flow); the implicit
// grant has no code and so no PKCE. The connection's resource indicators
// (RFC 8707 §2) are added only when it names some, and so is a nonce (OIDC
// Core §3.1.2.1).
func (e *endpoint) AuthorizeURL(authURL, responseType, redirectURI, state, verifier, nonce string) string {
	c := e.Connection()
	e.red.Add(verifier, nonce)
	cfg := oauth2.Config{
		ClientID:    c.ClientID,
		Endpoint:    oauth2.Endpoint{AuthURL: authURL},
		RedirectURL: redirectURI,
		Scopes:      c.Scopes,
	}
	var opts []oauth2.AuthCodeOption
	if responseType != "" && responseType != "code" {
		opts = append(opts, oauth2.SetAuthURLParam("response_type", responseType))
	}
	if verifier != "" && responseType != "token" {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	if nonce != "" {
		opts = append(opts, oauth2.SetAuthURLParam("nonce", nonce))
	}
	u := cfg.AuthCodeURL(state, opts...)
	if len(c.Resource) > 0 {
		// RFC 8707 §2: one resource parameter per indicator, in the
		// configured order. x/oauth2's SetAuthURLParam sets a single value,
		// so they are appended to the query it built.
		u += "&" + url.Values{"resource": c.Resource}.Encode()
	}
	return u
}

// tokenFromFragment reads the token of an implicit-grant redirect (RFC 6749
// §4.2.2; Aha!'s response_type=token), whose state the caller has checked.
// An error redirect (§4.2.2.1) becomes a ProviderError. Aha!'s
// account_subdomain goes to Extra. now stands for the send time: the
// redirect is read as it arrives.
func tokenFromFragment(v url.Values, now time.Time) (*flows.Token, error) {
	return implicitToken(v, now)
}

// ImplicitToken reads the token of an implicit-grant redirect, as
// tokenFromFragment does, at the client's clock, and verifies the id_token
// it may carry against nonce.
func (e *endpoint) ImplicitToken(ctx context.Context, v url.Values, nonce string) (*flows.Token, error) {
	tok, err := tokenFromFragment(v, e.now())
	if err != nil {
		return nil, err
	}
	e.red.Add(tok.AccessToken)
	if err := e.checkIDToken(ctx, tok, v.Get("id_token"), nonce, false); err != nil {
		return nil, err
	}
	return tok, nil
}

func implicitToken(v url.Values, now time.Time) (*flows.Token, error) {
	if code := v.Get("error"); code != "" {
		return nil, newProviderError(0, code, v.Get("error_description"), nil)
	}
	return tokenFromFields(valuesToFields(v), now)
}

// Discover runs OpenID Connect discovery first when a generic
// provider names an issuer and its token_url is still unknown.
func (e *endpoint) Discover(ctx context.Context) error {
	c := e.Connection()
	if c.Provider == flows.OAuth2 && c.Issuer != "" && c.TokenURL == "" {
		return e.discover(ctx)
	}
	return nil
}
