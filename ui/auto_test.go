package ui

import (
	"testing"

	"tokentop/flows"
)

// TestAliveFromTheFirstPoll: on open, a connection that can get a token
// without a person (client credentials here) gets one and is then checked,
// with no key pressed; one that needs a person (a device sign-in), or that
// says auto = false, is left alone.
func TestAliveFromTheFirstPoll(t *testing.T) {
	clock := &fakeClock{t: t0}
	b := newFakeBackend(clock,
		&flows.Connection{Name: "svc", Provider: flows.Aikido, Flow: flows.ClientCredentials, CheckURL: "https://example.com/me"},
		&flows.Connection{Name: "quiet", Provider: flows.Aikido, Flow: flows.ClientCredentials, CheckURL: "https://example.com/me", Manual: true},
		&flows.Connection{Name: "person", Provider: flows.OAuth2, Flow: flows.DeviceCode, CheckURL: "https://example.com/me"},
	)
	h := newHarnessWith(t, b, clock, 120, 35)
	j := h.m.busy["svc"]
	if j == nil || j.kind != jobRenew || !j.auto {
		t.Fatalf("svc: job %+v at open, want an automatic renewal", j)
	}
	for _, name := range []string{"quiet", "person"} {
		if h.m.busy[name] != nil || h.m.queued[name] {
			t.Errorf("%s: work started at open", name)
		}
	}
	// The renewal's result plans the first check.
	res := run(renewCmd(h.b, j.ctx, jobRef{"svc", j.id}))
	h.send(await[renewedMsg](t, res))
	if !h.m.queued["svc"] {
		h.send(tickMsg{})
	}
	if j := h.m.busy["svc"]; j == nil || j.kind != jobCheck {
		t.Fatalf("svc: job %+v after its first token, want its check", j)
	}
}
