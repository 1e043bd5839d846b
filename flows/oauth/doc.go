// Package oauth is the HTTP client of one connection's provider: token
// requests for every grant (RFC 6749, RFC 8628, RFC 8693 token exchange,
// Amino's JSON:API), token parsing, OIDC discovery, revocation (RFC 7009)
// and health checks (check_url, or RFC 7662 introspection), with each
// provider's quirks.
package oauth
