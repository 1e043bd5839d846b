package providertest

import (
	"errors"
	"net/url"
)

// authorizePKCE reads the PKCE parameters of an authorize request (RFC 7636
// §4.3). Only S256 is accepted: a challenge without a method means "plain",
// which is refused like an explicit "plain".
func authorizePKCE(q url.Values) (challenge string, err error) {
	challenge = q.Get("code_challenge")
	method := q.Get("code_challenge_method")
	if challenge == "" {
		if method != "" {
			return "", errors.New("code_challenge_method without code_challenge")
		}
		return "", nil
	}
	if method != "S256" {
		return "", errors.New("code_challenge_method must be S256; plain is refused")
	}
	if len(challenge) != 43 {
		return "", errors.New("an S256 code_challenge is 43 base64url characters")
	}
	return challenge, nil
}

// checkVerifier checks a token request's code_verifier against the code's
// challenge (RFC 7636 §4.6). A verifier for a code issued without a
// challenge is refused too (RFC 9700 §2.1.1), so a client that lost its
// challenge on the way is noticed.
func checkVerifier(challenge, verifier string) error {
	switch {
	case challenge == "" && verifier == "":
		return nil
	case challenge == "":
		return errors.New("code_verifier sent but the authorization request had no code_challenge")
	case verifier == "":
		return errors.New("code_verifier required: the authorization request had a code_challenge")
	case len(verifier) < 43 || len(verifier) > 128:
		return errors.New("code_verifier must be 43 to 128 characters")
	case s256(verifier) != challenge:
		return errors.New("code_verifier does not match code_challenge")
	}
	return nil
}
