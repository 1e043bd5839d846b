package config

import (
	"context"
	"fmt"
	"tokentop/flows"
	"tokentop/flows/oauth/clientauth"
)

// clientAuths are the values of client_auth, as error messages list them.
const clientAuths = "basic, body, private_key_jwt, client_secret_jwt"

// knownClientAuth reports whether m is a client_auth tokentop speaks.
func knownClientAuth(m flows.ClientAuth) bool {
	switch m {
	case "", flows.ClientAuthBasic, flows.ClientAuthBody, flows.ClientAuthPrivateKeyJWT, flows.ClientAuthClientSecretJWT:
		return true
	}
	return false
}

// jwtClientAuth reports whether m authenticates with a JWT assertion.
func jwtClientAuth(m flows.ClientAuth) bool {
	return m == flows.ClientAuthPrivateKeyJWT || m == flows.ClientAuthClientSecretJWT
}

// clientAuthProblems checks the keys of JWT client authentication (RFC
// 7523 §2.2; OpenID Connect Core 1.0 §9) after the preset was applied. A
// private key written in the file is parsed now; one behind a file:, env:
// or cmd: reference is parsed when the secret is read, at the first request
// that needs it, as every secret is (Load never resolves one).
func clientAuthProblems(c *flows.Connection) []problem {
	var probs []problem
	add := func(key, msg string) { probs = append(probs, problem{key, msg}) }
	m := c.ClientAuth
	jwt := jwtClientAuth(m)
	if m != flows.ClientAuthPrivateKeyJWT {
		if !c.PrivateKey.IsZero() {
			add("private_key", `is used only with client_auth = "private_key_jwt"`)
		}
		if c.KeyID != "" {
			add("key_id", `is used only with client_auth = "private_key_jwt"`)
		}
	}
	if !jwt {
		return probs
	}
	if c.Provider != flows.OAuth2 || c.Flow == flows.APIKey {
		add("client_auth", fmt.Sprintf("%s is for provider \"oauth2\" flows with a token endpoint, not the %s %s flow", m, c.Provider, c.Flow))
		return probs
	}
	if c.ClientID == "" {
		add("", "missing client_id (the iss and sub of the "+string(m)+" assertion)")
	}
	switch m {
	case flows.ClientAuthPrivateKeyJWT:
		if c.PrivateKey.IsZero() {
			add("", `missing private_key (client_auth = "private_key_jwt" signs with it: private_key = "file:/path/key.pem")`)
		} else if c.PrivateKey.IsLiteral() {
			pem, _ := c.PrivateKey.Resolve(context.Background()) // a literal: no I/O
			if _, err := clientauth.ParsePrivateKey([]byte(pem)); err != nil {
				add("private_key", err.Error())
			}
		}
		if !c.ClientSecret.IsZero() {
			add("client_secret", "is never sent with private_key_jwt: remove it")
		}
	case flows.ClientAuthClientSecretJWT:
		if c.ClientSecret.IsZero() {
			add("", `missing client_secret (client_auth = "client_secret_jwt" signs with it)`)
		} else if c.ClientSecret.IsLiteral() {
			s, _ := c.ClientSecret.Resolve(context.Background())
			if len(s) < clientauth.MinSecretBytes {
				add("client_secret", fmt.Sprintf("is shorter than the %d bytes HS256 needs (RFC 7518 §3.2)", clientauth.MinSecretBytes))
			}
		}
	}
	return probs
}
