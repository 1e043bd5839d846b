package fanout

import (
	"sync/atomic"
	"testing"
)

// TestEach: every index once, never more than the limit at a time.
func TestEach(t *testing.T) {
	const n, limit = 50, 4
	var running, most atomic.Int32
	seen := make([]int32, n)
	release := make(chan struct{})
	started := make(chan struct{}, n)
	go func() {
		// Let the first batch pile up against the limit, then let all go.
		for range limit {
			<-started
		}
		close(release)
	}()
	Each(n, limit, func(i int) {
		r := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if r <= m || most.CompareAndSwap(m, r) {
				break
			}
		}
		atomic.AddInt32(&seen[i], 1)
		started <- struct{}{}
		<-release
	})
	for i, c := range seen {
		if c != 1 {
			t.Errorf("index %d ran %d times", i, c)
		}
	}
	if m := most.Load(); m != limit {
		t.Errorf("%d at once, want %d", m, limit)
	}
}
