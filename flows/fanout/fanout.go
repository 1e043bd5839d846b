// Package fanout runs work over a list a bounded number at a time: checks
// and renewals of many connections, without opening dozens of connections
// to one provider at once.
package fanout

import "sync"

// Each calls fn(i) for every i in [0, n), at most limit at a time, and
// returns when all have returned. fn writes its result by index, so the
// results keep the order of the list.
func Each(n, limit int, fn func(i int)) {
	sem := make(chan struct{}, max(limit, 1))
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			fn(i)
		}()
	}
	wg.Wait()
}
