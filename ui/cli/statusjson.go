package cli

import (
	"encoding/json"
	"io"
	"strings"
	"time"

	"tokentop/flows"
	"tokentop/flows/redact"
)

// conditionWords are the machine words of the conditions in status --json
// and check --json: stable, one token each, never translated or reworded
// as the words for people (Condition.String) may be. A condition without
// a word here is a test failure (TestConditionWords).
var conditionWords = map[flows.Condition]string{
	flows.Valid:          "valid",
	flows.NoExpiry:       "no_expiry",
	flows.NoToken:        "no_token",
	flows.Renewing:       "renewing",
	flows.Expiring:       "expiring",
	flows.Failing:        "failing",
	flows.SignedOut:      "signed_out",
	flows.SignInRequired: "sign_in_required",
	flows.Misconfigured:  "config_error",
}

// ConditionWord is the machine word of condition c, as status --json
// prints it: "valid", "sign_in_required"; "unknown" for a condition this
// build does not know.
func ConditionWord(c flows.Condition) string {
	if w, ok := conditionWords[c]; ok {
		return w
	}
	return "unknown"
}

// connectionJSON is one connection in status --json and check --json: data
// only, no sentence for people. The README's "status --json" table
// documents it; change both together.
type connectionJSON struct {
	Name           string `json:"name"`
	Provider       string `json:"provider"`
	Flow           string `json:"flow"`
	Condition      string `json:"condition"`
	NeedsAttention bool   `json:"needs_attention"`
	// ExpiresAt is RFC 3339 in UTC; null for no token or no expiry.
	ExpiresAt *string `json:"expires_at"`
	// SecondsLeft is whole seconds until ExpiresAt, negative once expired.
	SecondsLeft *int64     `json:"seconds_left"`
	Renewable   bool       `json:"renewable"`
	LastError   *string    `json:"last_error"`
	LastCheck   *checkJSON `json:"last_check"`
	// Store is where the connection's state is: "team" or "local".
	Store string `json:"store"`
	// CopyReadAt (RFC 3339, UTC) is set when the team store could not be
	// reached and the row is the copy read then.
	CopyReadAt *string `json:"copy_read_at,omitempty"`
	// Audience is what the token was issued for (RFC 8707), as the token
	// answer or a JWT access token's aud said; left out when unknown.
	Audience []string `json:"audience,omitempty"`
	// Encryption is how that store keeps its tokens: "keyring", "cmd",
	// "env", "file", "team_key" or "none"; null when not known.
	Encryption *string `json:"encryption"`
}

// checkJSON is a connection's last health check.
type checkJSON struct {
	At        string  `json:"at"`     // RFC 3339, UTC
	Status    int     `json:"status"` // 0: no answer
	LatencyMS float64 `json:"latency_ms"`
	OK        bool    `json:"ok"`
	// Introspection is what check = "introspect" learnt (RFC 7662 §2.2).
	Introspection *introspectionJSON `json:"introspection,omitempty"`
}

// introspectionJSON is an introspection answer; absent members are "".
type introspectionJSON struct {
	Active    bool    `json:"active"`
	ExpiresAt *string `json:"exp"` // RFC 3339, UTC; null when not said
	Scope     string  `json:"scope"`
	ClientID  string  `json:"client_id"`
	Subject   string  `json:"sub"`
}

// statusJSON is rows in their JSON form, at the service's clock.
func statusJSON(svc *flows.Service, rows []statusRow) []connectionJSON {
	now := svc.Now()
	out := make([]connectionJSON, 0, len(rows))
	for _, r := range rows {
		j := connectionJSON{
			Name: r.Name, Provider: r.Provider, Flow: r.Flow,
			Condition:      ConditionWord(r.condition),
			NeedsAttention: r.Attention,
			Renewable:      r.conn.Renewable(r.st),
			Store:          r.Store,
		}
		if tok := r.st.Token; tok != nil && tok.AccessToken != "" && tok.HasExpiry() {
			at := tok.Expiry.UTC().Format(time.RFC3339)
			left := int64(tok.Expiry.Sub(now).Truncate(time.Second) / time.Second)
			j.ExpiresAt, j.SecondsLeft = &at, &left
		}
		if !r.CopyReadAt.IsZero() {
			at := r.CopyReadAt.UTC().Format(time.RFC3339)
			j.CopyReadAt = &at
		}
		if tok := r.st.Token; tok != nil && tok.AccessToken != "" && tok.Extra["audience"] != "" {
			// flows/oauth keeps the audiences joined with ", ".
			j.Audience = strings.Split(redact.Sanitize(tok.Extra["audience"]), ", ")
		}
		if e := r.st.LastError; e != "" {
			e = redact.Sanitize(e)
			j.LastError = &e
		}
		if lc := r.st.LastCheck; lc != nil {
			j.LastCheck = &checkJSON{
				At:        lc.At.UTC().Format(time.RFC3339),
				Status:    lc.Status,
				LatencyMS: float64(lc.Latency.Microseconds()) / 1000,
				OK:        lc.OK(),
			}
			if in := lc.Introspection; in != nil {
				ij := &introspectionJSON{Active: in.Active, Scope: in.Scope, ClientID: in.ClientID, Subject: in.Subject}
				if !in.Expiry.IsZero() {
					exp := in.Expiry.UTC().Format(time.RFC3339)
					ij.ExpiresAt = &exp
				}
				j.LastCheck.Introspection = ij
			}
		}
		out = append(out, j)
	}
	return out
}

// fillEncryption sets each row's encryption: local's for a local
// connection, team's for a team one; left null when unknown.
func fillEncryption(out []connectionJSON, rows []statusRow, local, team string) {
	for i := range out {
		e := local
		if rows[i].Store == storeTeam {
			e = team
		}
		if e != "" {
			out[i].Encryption = &e
		}
	}
}

// writeJSON prints v indented, as every --json does.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
