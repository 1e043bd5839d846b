package flows

import (
	"log/slog"
	"time"
	"tokentop/flows/redact"
)

// Token is the credential set a provider handed out for one connection.
//
// Token redacts itself when formatted with %v or logged with slog, so a token
// value can never leak through a log line or an error message by accident.
type Token struct {
	AccessToken  string
	RefreshToken string
	// TokenType is the scheme of Authorization headers; tokentop only
	// accepts bearer tokens, so it is "Bearer" unless a provider said
	// otherwise in a case that was accepted.
	TokenType string
	// Expiry is when the access token stops working. The zero time means no
	// expiry was given (Aha! tokens, API keys): such a token is never
	// reported as expired.
	Expiry time.Time
	// ObtainedAt is when tokentop sent the request that produced this token.
	ObtainedAt time.Time
	Scopes     []string
	// Extra holds provider-specific values worth keeping: Aha!'s
	// account_subdomain, Amino's user_id, user_profile_id and
	// login_timestamp.
	Extra map[string]string
	// Notes are remarks made while reading the token response, such as
	// "token_type missing: assumed Bearer".
	Notes []string
	// Origin is where the token was issued. Its refresh token is only ever
	// sent back there.
	Origin Origin
}

// Origin names the issuer of a token: the token endpoint (or the OIDC
// issuer it was discovered from) and the client it was issued to.
type Origin struct {
	TokenURL string
	Issuer   string
	ClientID string
}

// IsZero reports whether nothing is known of the origin (a token saved by
// an older tokentop).
func (o Origin) IsZero() bool { return o == Origin{} }

// HasExpiry reports whether the token has a known expiry.
func (t *Token) HasExpiry() bool { return t != nil && !t.Expiry.IsZero() }

// Left returns how long the access token stays valid at now. It is
// meaningless when HasExpiry is false.
func (t *Token) Left(now time.Time) time.Duration { return t.Expiry.Sub(now) }

// ValidFor reports whether the token exists and stays valid for at least d
// after now. A token without expiry is always valid.
//
// A token whose whole lifetime is shorter than twice d counts as valid until
// half of its life has passed: otherwise every request for a 90-second token
// with a 5-minute margin would renew it, forever.
func (t *Token) ValidFor(now time.Time, d time.Duration) bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	if !t.HasExpiry() {
		return true
	}
	if !t.ObtainedAt.IsZero() {
		if life := t.Expiry.Sub(t.ObtainedAt); life > 0 && life < 2*d {
			d = life / 2
		}
	}
	return t.Expiry.Sub(now) >= d
}

// Clone returns a deep copy of t.
func (t *Token) Clone() *Token {
	if t == nil {
		return nil
	}
	c := *t
	c.Scopes = append([]string(nil), t.Scopes...)
	c.Notes = append([]string(nil), t.Notes...)
	if t.Extra != nil {
		c.Extra = make(map[string]string, len(t.Extra))
		for k, v := range t.Extra {
			c.Extra[k] = v
		}
	}
	return &c
}

// String describes the token without revealing it.
func (t Token) String() string {
	s := "token " + redact.Mask(t.AccessToken)
	if t.RefreshToken != "" {
		s += " (refresh token " + redact.Mask(t.RefreshToken) + ")"
	}
	if !t.Expiry.IsZero() {
		s += " expires " + t.Expiry.UTC().Format(time.RFC3339)
	}
	return s
}

// LogValue implements slog.LogValuer with the secrets masked.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("access_token", redact.Mask(t.AccessToken)),
		slog.Bool("refresh_token", t.RefreshToken != ""),
		slog.Time("expiry", t.Expiry),
	)
}
