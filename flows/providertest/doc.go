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
//	                  discovery, PKCE, revocation (RFC 7009) and the device
//	                  authorization grant (RFC 8628)
//
// Like net/http/httptest, the package is for tests and demos only: it keeps
// every token, code and recorded request in memory, it never writes to the
// terminal, and it knows nothing of tokentop's own packages, so the tests of
// package flows can use it without an import cycle.
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
