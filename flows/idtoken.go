package flows

import "fmt"

// IDClaimPrefix starts the Token.Extra keys that hold the claims of a
// verified OpenID Connect ID token ("id_token.sub", "id_token.email", …).
// Only a Client that checked the token's signature, iss, aud, exp and
// nonce sets them (OIDC Core §3.1.3.7); the raw ID token is never kept.
const IDClaimPrefix = "id_token."

// sameIdentity refuses a renewal whose ID token names another issuer,
// subject or audience than the one of the sign-in (OIDC Core §12.2).
func sameIdentity(old, tok *Token) error {
	for _, k := range []string{"iss", "sub", "aud"} {
		o, n := old.Extra[IDClaimPrefix+k], tok.Extra[IDClaimPrefix+k]
		if o != "" && n != "" && o != n {
			return fmt.Errorf("renewal refused: the new id_token's %s is not the sign-in's: %w", k, ErrSignInRequired)
		}
	}
	return nil
}
