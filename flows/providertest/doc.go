// Package providertest provides loopback fakes of the providers tokentop speaks to, for tests and the demo.
//
// One [Server] listens on 127.0.0.1 and hosts every fake under its own path
// prefix, so `tokentop --demo` needs a single port:
//
//	/aikido           Aikido (seeds/000): client_credentials, authorization_code
//	                  and refresh_token, client id and secret only in HTTP Basic
//	/aha/{subdomain}  Aha! (seeds/001): authorization code and implicit grant,
//	                  secret in the form body, tokens without expiry, API keys,
//	                  account_subdomain when the flow starts at "secure"
//	/aerion           Aerion (seeds/002): password and refresh_token grants, a
//	                  mandatory tenant header (companyurl, origin or referer)
//	/amino            Amino (seeds/003): JSON:API sign-in and renewal
//	/oauth2           a standard OAuth 2.0 / OpenID Connect server with
//	                  discovery, PKCE, revocation (RFC 7009), the device
//	                  authorization grant (RFC 8628), token exchange (RFC
//	                  8693) and introspection (RFC 7662)
//
// Like net/http/httptest, the package is for tests and demos only: it keeps
// every token, code and recorded request in memory, it never writes to the
// terminal, and it knows nothing of tokentop's own packages, so the tests of
// package flows can use it without an import cycle.
//
// # What each fake enforces
//
// Aikido: POST /aikido/api/oauth/token, form encoded, grant_type
// client_credentials, authorization_code or refresh_token. The client
// authenticates only with HTTP Basic, id and secret form-encoded before
// base64 (RFC 6749 §2.3.1); client_id or client_secret in the body is 401
// invalid_client. GET /aikido/oauth/authorize?client_id&state[&redirect_uri]
// [&code_challenge&code_challenge_method=S256] approves at once. The answer
// is {access_token, token_type "Bearer", expires_in[, refresh_token]}.
//
// Aha!: GET /aha/{sub}/oauth/authorize?client_id&redirect_uri&response_type
// (code|token)&state, {sub} the account or "secure"; from "secure" the
// redirect adds account_subdomain and the code is only valid at the account's
// token endpoint. response_type=token puts access_token, token_type=bearer,
// state (and account_subdomain) in the redirect's fragment. POST
// /aha/{sub}/oauth/token takes client_id, client_secret, code,
// grant_type=authorization_code and redirect_uri, all in the form body (Basic
// is 401 invalid_client), and answers exactly
// {"access_token":"…","token_type":"bearer"}. GET /aha/{sub}/api/v1/me
// accepts OAuth tokens and API keys as bearer tokens.
//
// Aerion: POST /aerion/oauth2/token, form encoded, grant_type password
// (username, password) or refresh_token (refresh_token), each with client_id
// and client_secret present in the form (any values; missing is 400
// invalid_request) and a companyurl, origin or referer header naming a known
// tenant (else 400 invalid_request "unknown tenant …"). expires_in is 3600 by
// default. GET /aerion/api/v1/me is the bearer-protected user.
//
// OAuth 2.0 server: discovery at /oauth2/.well-known/openid-configuration;
// /oauth2/authorize (S256 PKCE only; public clients must use it); /oauth2/token
// with client auth by Basic or body but not both, or by a JWT client
// assertion (RFC 7523 §2.2) alone: private_key_jwt for the clients of
// Options.OAuth2ClientKeys, client_secret_jwt (HS256 under the secret) for
// the others, with iss = sub = the client id, aud = <URL>/oauth2/token, an
// exp at most five minutes after iat and a jti never seen before (a replay
// is 401 invalid_client); the same on /oauth2/revoke (RFC 7009);
// /oauth2/device (RFC 8628) and its verification page /oauth2/activate;
// /oauth2/userinfo. Its metadata announces
// authorization_response_iss_parameter_supported and every authorization
// response, success or error, carries iss=<URL>/oauth2 (RFC 9207 §2);
// [Server.IssNext] sends another iss or none, and Options.OAuth2WithoutIss
// makes a server that predates RFC 9207 (neither announced nor sent).
// Authorize, device and token requests may carry RFC 8707
// resource parameters (absolute URIs without fragment, each once, and only
// [Options.OAuth2Resources] when set; else invalid_target); a token request
// may narrow what the authorization granted, never widen it, and the token
// answer echoes the audience as aud (a string, or an array of several).
// The token endpoint also serves RFC 8693 token exchange
// (grant_type=urn:ietf:params:oauth:grant-type:token-exchange): the
// subject_token must be one [Server.AcceptSubject] registered with that
// subject_token_type, or an access token the server issued with type
// urn:ietf:params:oauth:token-type:access_token, else invalid_request; each
// audience must be in [Options.OAuth2Audiences] when set, else
// invalid_target. The answer carries issued_token_type (requested_token_type,
// access_token by default), token_type Bearer for an access token and N_A
// for any other type, and a refresh token. /oauth2/introspect is RFC 7662
// (announced as introspection_endpoint): the client authenticates as at the
// token endpoint (else 401 invalid_client), and a live access or refresh
// token gets {active, exp, scope, client_id, sub, token_type}, anything
// else {"active":false}.
// It is an OpenID Connect provider too: its metadata names jwks_uri
// (/oauth2/jwks, one ES256 key, signed with the standard library alone), and
// a token answer for a scope with openid carries an id_token for the user
// (iss <URL>/oauth2, aud the client, exp after [IDTokenLifetime], the
// authorization request's nonce in the answer to its code, none on a
// refresh). [Server.IDTokenNext] makes the next ones wrong in one way each
// (a wrong nonce, aud, iss or sub; expired; iat ahead; [BogusKid]; alg none;
// HS256; a bad signature), [Server.RotateIDKey] replaces the key under a new
// kid, and [Server.JWKSRequests] counts the JWKS reads.
//
// Everywhere: codes are single-use (a second use is invalid_grant and
// revokes what the first produced, RFC 6749 §4.1.2), a code's redirect_uri
// must come back at the token endpoint, refresh tokens rotate (a used one
// is invalid_grant afterwards), bearer endpoints answer 401 with
// WWW-Authenticate: Bearer error="invalid_token" to unknown, expired and
// revoked tokens, expiry follows Options.Now, and so does the Date header.
//
// # Amino request bodies
//
// The Amino document lost its request samples. The fake accepts, with
// Content-Type exactly application/vnd.api+json (JSON:API 1.0 answers 415 to
// any other type and to media type parameters such as charset), a password
// sign-in
//
//	{"data":{"type":"AuthenticationTokens","attributes":{"username":"…","password":"…"}}}
//
// and a renewal
//
//	{"data":{"type":"AuthenticationTokens","attributes":{"grant_type":"refresh_token","refresh_token":"…"}}}
//
// and answers 200 with the document's form:
//
//	{"data":[{"type":"AuthenticationTokens","id":"<uuid>","attributes":{
//	  "login_timestamp":…,"user_id":1234,"user_profile_id":"…",
//	  "access_token":"<JWT>","expires_at_timestamp":…,"refresh_token":"…"}}]}
//
// The access token looks like a JWT whose exp claim is years away: the
// document says not to rely on the claims, and the fake makes a client that
// does so wrong. Errors are JSON:API error documents:
//
//	{"errors":[{"status":"401","code":"invalid_grant","title":"…","detail":"…"}]}
//
// # Failure injection and assertions
//
// [Server.FailNext] makes the next token requests of a provider fail with any
// status, body and headers; [Server.FailNextPath] does the same for any path.
// [Server.Count] and [Server.Requests] expose what reached the fakes, with
// headers and decoded forms, for assertions on the wire format.
package providertest
