package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"tokentop/flows"
	"tokentop/store"
)

// etcdRefused is an etcd endpoint that did not answer, as store/etcd reports it.
type etcdRefused struct{}

func (etcdRefused) Error() string {
	return "etcd http://127.0.0.1:2379: dial: connect: connection etcdRefused"
}
func (etcdRefused) Unreachable() bool { return true }

// A poll that brings the local changes with a team store failure applies
// them, says once that the team rows show the last read, and says nothing
// more once the team store answers again.
func TestPollWhileTeamStoreUnreachable(t *testing.T) {
	h := newHarness(t, 120, 30)
	warn := &store.TeamError{Err: errors.Join(errors.New("store: changes"), etcdRefused{})}
	if !errors.As(error(warn), new(*store.TeamError)) {
		t.Fatal("not a TeamError")
	}
	amino := flows.State{Token: &flows.Token{AccessToken: "amino-2-" + sentinel, Expiry: t0.Add(time.Hour)}}
	logged := func() int {
		n := 0
		for _, e := range h.m.log {
			if strings.Contains(e.text, "team store unreachable (etcd http://127.0.0.1:2379: dial: connect: connection etcdRefused): showing the last read") {
				n++
			}
		}
		return n
	}
	for range 3 {
		h.m.polling = false
		h.send(changedMsg{states: map[string]flows.State{"amino": amino}, next: h.m.mark, warn: warn})
	}
	if got := h.m.byName["amino"].st.Token.AccessToken; got != amino.Token.AccessToken {
		t.Fatal("the local change was not applied")
	}
	if n := logged(); n != 1 {
		t.Fatalf("the team store's failure was logged %d times, want once", n)
	}
	if f := h.frame(); !strings.Contains(f, "team store unreachable") {
		t.Fatalf("the status line does not say the team store is unreachable:\n%s", f)
	}
	h.poll()
	if h.m.pollErr != "" {
		t.Fatalf("pollErr = %q after a poll without failure", h.m.pollErr)
	}
}
