package etcd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"tokentop/flows"
)

// leaseTTL (seconds) is how long a dead holder keeps a renewal lock: its
// lease is kept alive every third of it while it lives, and etcd drops the
// lock key once the lease expires. A variable so tests can shorten it.
var leaseTTL int64 = 15

// maxLockWait bounds a wait whose ctx has no deadline.
const maxLockWait = 5 * time.Minute

type leaseGrant struct {
	TTL int64 `json:"TTL,string"`
	ID  int64 `json:"ID,string,omitempty"`
}

type leaseID struct {
	ID int64 `json:"ID,string"`
}

type lockRequest struct {
	Name  []byte `json:"name"`
	Lease int64  `json:"lease,string"`
}

type lockResponse struct {
	Key []byte `json:"key"`
}

type unlockRequest struct {
	Key []byte `json:"key"`
}

// Lock takes the renewal lock of one connection with etcd's lock service
// (v3/lock/lock, which blocks until the lock is held) under a lease that a
// goroutine keeps alive until unlock. A holder that dies stops keeping it
// alive, so another machine gets the lock within leaseTTL seconds. A wait
// that ctx's deadline ends returns an error wrapping a *flows.LockHeldError
// (the holder unnamed: it may be on another machine) and ctx.Err().
func (s *Store) Lock(ctx context.Context, name string) (unlock func(), err error) {
	start := s.now()
	ttl := leaseTTL
	var grant leaseGrant
	gctx, gcancel := context.WithTimeout(ctx, s.c.timeout)
	err = s.c.callCtx(gctx, "/v3/lease/grant", leaseGrant{TTL: ttl}, &grant)
	gcancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("team store: waiting for the renewal lock: %w", ctx.Err())
		}
		return nil, teamErr(fmt.Errorf("renewal lock: lease: %w", err))
	}
	if grant.ID == 0 {
		return nil, errors.New("team store: renewal lock: lease: no lease in the answer")
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.keepAlive(name, grant.ID, ttl, stop)
	}()
	release := func() {
		close(stop)
		wg.Wait()
		if err := s.c.call("/v3/lease/revoke", leaseID{ID: grant.ID}, nil); err != nil {
			// The lease still expires by itself within leaseTTL.
			s.log.Warn("etcd: revoking a lock's lease", slog.String("conn", name), slog.String("err", err.Error()))
		}
	}

	wctx := ctx
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(ctx, maxLockWait)
		defer cancel()
	}
	var out lockResponse
	err = s.c.callCtx(wctx, "/v3/lock/lock", lockRequest{Name: []byte(s.lockKey(name)), Lease: grant.ID}, &out)
	if err != nil {
		release()
		if ctx.Err() != nil || wctx.Err() != nil {
			cause := ctx.Err()
			if cause == nil {
				cause = wctx.Err()
			}
			if errors.Is(cause, context.DeadlineExceeded) {
				return nil, &lockHeldError{held: &flows.LockHeldError{Waited: s.now().Sub(start)}, cause: cause}
			}
			return nil, fmt.Errorf("team store: waiting for the renewal lock: %w", cause)
		}
		return nil, teamErr(fmt.Errorf("renewal lock: %w", err))
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			if err := s.c.call("/v3/lock/unlock", unlockRequest{Key: out.Key}, nil); err != nil {
				s.log.Warn("etcd: unlocking", slog.String("conn", name), slog.String("err", err.Error()))
			}
			release()
		})
	}, nil
}

// keepAlive refreshes the lease every third of its TTL until stop closes. A
// lease etcd no longer knows (TTL 0) is logged and given up: the lock is
// gone, and the Update's compare still keeps the state whole.
func (s *Store) keepAlive(name string, id, ttl int64, stop <-chan struct{}) {
	t := time.NewTicker(time.Duration(ttl) * time.Second / 3)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		var out leaseGrant
		err := s.c.call("/v3/lease/keepalive", leaseID{ID: id}, &out)
		switch {
		case err != nil:
			s.log.Warn("etcd: keeping a lock's lease alive", slog.String("conn", name), slog.String("err", err.Error()))
		case out.TTL <= 0:
			s.log.Warn("etcd: a lock's lease expired", slog.String("conn", name), slog.String("lease", strconv.FormatInt(id, 16)))
			return
		}
	}
}

// lockHeldError is the *flows.LockHeldError of a wait that ran out, which
// also wraps the context's error. Its message is the LockHeldError's alone.
type lockHeldError struct {
	held  *flows.LockHeldError
	cause error
}

func (e *lockHeldError) Error() string   { return e.held.Error() }
func (e *lockHeldError) Unwrap() []error { return []error{e.held, e.cause} }
