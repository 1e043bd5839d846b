package main

import (
	"context"
	"path/filepath"

	"tokentop/flows"
	"tokentop/store"
	"tokentop/store/keyring"
	uicli "tokentop/ui/cli" // main_test.go has a type cli
)

// withEncryption returns opts with the state file's encryption as cfg's
// encryption key asks (README, "Encryption at rest"): the keyring by
// default, where one answers; the keyring also under "none", to read the
// values sealed before; the key a secret reference gives otherwise.
func withEncryption(opts store.Options, cfg *flows.Config, path string) (store.Options, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return opts, err
	}
	switch cfg.Encryption {
	case "secret":
		key := cfg.EncryptionKey
		opts.Keys = store.SecretKeys(key.Source(), func() ([]byte, error) {
			// A cmd: secret has its own bound (flows/secret: 30 s).
			v, err := key.Resolve(context.Background())
			if err != nil {
				return nil, err
			}
			return []byte(v), nil
		})
	case "none":
		opts.Keys, opts.Plain = keyring.New(abs), true
	case "keyring":
		opts.Keys = keyring.New(abs)
	default:
		opts.Keys, opts.KeysOptional = keyring.New(abs), true
	}
	return opts, nil
}

// plainTextWarning is the dashboard's warning when tokens are stored in
// plain text; "" when they are sealed.
func plainTextWarning(e store.Encryption) string {
	switch {
	case e.Sealed():
		return ""
	case e.Note != "":
		return "tokens are stored in plain text: " + e.Note + "; set encryption = \"none\" to say so, or encryption = \"cmd:…\""
	}
	return "tokens are stored in plain text (encryption = \"none\")"
}

// encryptionStatus sets what status says of the encryption in force.
func (a *app) encryptionStatus(opts *uicli.StatusOptions) {
	if a.local == nil {
		return
	}
	e := a.local.Encryption()
	opts.Encryption, opts.EncryptionNote = e.Source, e.Note
	opts.TeamEncryption = "none"
	if a.team != nil && !a.team.Key.IsZero() {
		opts.TeamEncryption = "team_key"
	}
}
