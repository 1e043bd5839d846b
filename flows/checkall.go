package flows

import (
	"context"
	"sync"
)

// checksAtOnce bounds CheckAll: a long list is checked quickly without
// opening dozens of connections to one provider at the same moment.
const checksAtOnce = 8

// CheckResult is the outcome of one connection's health check in CheckAll.
type CheckResult struct {
	Name string
	// Check is what the check measured; nil when it could not be made
	// (an unknown connection, no check_url, no token to send).
	Check *Check
	// Err says why the check failed; nil when it was made and answered.
	Err error
}

// OK reports whether the check was made and got a 2xx answer.
func (r CheckResult) OK() bool { return r.Err == nil && r.Check.OK() }

// CheckAll runs the health checks of the connections names, a few at a time,
// and returns one result per name, in the order of names. Each check is
// recorded in its connection's state, as Check records it.
func (s *Service) CheckAll(ctx context.Context, names []string) []CheckResult {
	results := make([]CheckResult, len(names))
	sem := make(chan struct{}, checksAtOnce)
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			chk, err := s.Check(ctx, name)
			results[i] = CheckResult{Name: name, Check: chk, Err: err}
		}()
	}
	wg.Wait()
	return results
}
