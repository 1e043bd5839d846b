package config

import "tokentop/flows"

// encryptionHint is what the encryption key may hold.
const encryptionHint = `must be "keyring", "none", or a secret reference whose value is the key (env:NAME, cmd:COMMAND or file:PATH)`

// encryption reads the top-level encryption key: how the state file keeps
// tokens at rest (store.Options.Keys). A literal key is refused, and never
// quoted: the file is no place for the key of the tokens.
func (p *parser) encryption(raw map[string]any, cfg *flows.Config) {
	v, ok := raw["encryption"]
	if !ok {
		return
	}
	line := p.lines.line("encryption")
	spec, isString := v.(string)
	switch {
	case !isString:
		p.fail(line, "", "encryption", encryptionHint)
	case spec == "keyring" || spec == "none":
		cfg.Encryption = spec
	default:
		s, problem := secretRef(spec, p.localPath, "TOKENTOP_STATE_KEY")
		switch {
		case problem != "":
			p.fail(line, "", "encryption", problem)
		case s.Source() == "literal":
			p.fail(line, "", "encryption", encryptionHint)
		default:
			cfg.Encryption, cfg.EncryptionKey = "secret", s
		}
	}
}
