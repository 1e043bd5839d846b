package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cli/browser"

	"tokentop/flows/providertest"
)

// openURL opens u in the person's browser, or, when none opens, with the
// fallback (the demo's fake browser).
func (a *app) openURL(u string) error {
	err := browser.OpenURL(u)
	if err != nil && a.openURLFallback != nil {
		return a.openURLFallback(u)
	}
	return err
}

// setUpDemo starts the fake providers on loopback, writes a demo config and
// an empty state file in a temporary directory, and points tokentop at them.
// Everything is removed on exit; the user's own files are never touched.
func (a *app) setUpDemo() error {
	dir, err := os.MkdirTemp("", "tokentop-demo-")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	a.cleanup = append(a.cleanup, func() { os.RemoveAll(dir) })
	srv, err := providertest.Listen(providertest.NewDemo())
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	a.cleanup = append(a.cleanup, srv.Close)
	// The demo seals its fake tokens with a key of its own, and leaves
	// nothing in the person's keyring.
	keyPath := filepath.Join(dir, "state.key")
	if err := os.WriteFile(keyPath, []byte(rand.Text()), 0o600); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	cfgPath := filepath.Join(dir, "config.toml")
	conf := fmt.Sprintf("encryption = %q\n%s", "file:"+keyPath, providertest.DemoConfig(srv))
	if err := os.WriteFile(cfgPath, []byte(conf), 0o600); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	a.configPath = cfgPath
	a.statePath = filepath.Join(dir, "tokentop.db")
	// Without a real browser, the demo's own fake browser approves sign-ins.
	a.openURLFallback = func(u string) error {
		return providertest.Browse(context.Background(), u)
	}
	return nil
}
