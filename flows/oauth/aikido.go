package oauth

import "tokentop/flows"

// clientAuthOf returns how the connection authenticates its client: the
// configured method, else the provider's documented one (Aikido: Basic on
// every token request; Aha! and Aerion: form body), else Basic, which RFC
// 6749 §2.3.1 requires every server to support.
func clientAuthOf(c *flows.Connection) flows.ClientAuth {
	if c.ClientAuth != "" {
		return c.ClientAuth
	}
	switch c.Provider {
	case flows.Aha, flows.Aerion:
		return flows.ClientAuthBody
	}
	return flows.ClientAuthBasic
}
