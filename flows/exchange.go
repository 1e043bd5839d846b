package flows

import (
	"time"
	"tokentop/flows/secret"
)

// Exchange is what an RFC 8693 token exchange sends (§2.1): a subject read
// afresh each time, from SubjectToken or connection SubjectConnection.
type Exchange struct {
	SubjectToken, ActorToken                    secret.Secret
	SubjectConnection                           string
	SubjectTokenType, ActorTokenType, Requested string // token type URIs (§3)
	Audience                                    []string
}

// Introspection is what an RFC 7662 §2.2 answer said of the access token.
// It is never changed once made, so copies of a Check share it.
type Introspection struct {
	Active                   bool
	Expiry                   time.Time // exp; zero when not said
	Scope, ClientID, Subject string
}
