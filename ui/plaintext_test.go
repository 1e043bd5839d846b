package ui

import (
	"strings"
	"testing"
)

// A state file that keeps tokens unsealed is named in the top bar for as
// long as the dashboard runs, whatever the status line says meanwhile.
func TestTopBarSaysPlainText(t *testing.T) {
	h := newHarness(t, 120, 30)
	if top := strings.SplitN(h.frame(), "\n", 2)[0]; strings.Contains(top, "plain text") {
		t.Fatalf("sealed tokens, yet the top bar says %q", top)
	}
	h.m.opts.PlainText = true
	h.m.setStatus("", levelError, "aikido: renewal failing")
	if top := strings.SplitN(h.frame(), "\n", 2)[0]; !strings.Contains(top, "· tokens in plain text") {
		t.Fatalf("the top bar does not say the tokens are in plain text: %q", top)
	}
}
