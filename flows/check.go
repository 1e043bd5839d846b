package flows

import (
	"context"
	"errors"
	"fmt"
	"time"
	"tokentop/flows/fanout"
	"tokentop/flows/fault"
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
	fanout.Each(len(names), checksAtOnce, func(i int) {
		chk, err := s.Check(ctx, names[i])
		results[i] = CheckResult{Name: names[i], Check: chk, Err: err}
	})
	return results
}

// Check runs the connection's health check: GET check_url with the bearer.
// An answer of 401 invalid_token renews the token once and checks once more.
func (s *Service) Check(ctx context.Context, name string) (*Check, error) {
	c, err := s.conn(name)
	if err != nil {
		return nil, err
	}
	if c.CheckURL == "" && c.Issuer == "" && c.IntrospectURL == "" {
		return nil, &ConnError{name, errors.New("no check_url configured")}
	}
	tok, err := s.Token(ctx, name, 0)
	if err != nil && tok == nil {
		return nil, err
	}
	e, err := s.endpoint(c)
	if err != nil {
		return nil, &ConnError{name, err}
	}
	chk, err := e.Check(ctx, tok)
	if errors.Is(err, fault.ErrInvalidToken) && c.Renewable(State{Token: tok}) {
		s.log.Debug("check said invalid_token: renewing once")
		if tok, err = s.renew(ctx, c, 0, true, tok.AccessToken); err == nil {
			chk, err = e.Check(ctx, tok)
		}
	}
	if chk == nil {
		chk = &Check{At: s.now()}
		if err != nil {
			chk.Err = s.red.Redact(bare(err).Error())
		}
	}
	s.recordCheck(name, chk)
	if err != nil {
		return chk, inConn(name, err)
	}
	return chk, nil
}

func (s *Service) recordCheck(name string, chk *Check) {
	took := chk.Latency.Round(time.Millisecond).String()
	if chk.Latency < time.Millisecond {
		took = "<1ms"
	}
	detail := fmt.Sprintf("HTTP %d in %s", chk.Status, took)
	if chk.Err != "" {
		detail = chk.Err
	}
	c := *chk
	err := s.store.Update(name, func(st *State) error {
		// Periodic checks would push every other event out of the log:
		// it records a check when its outcome changes, the history keeps
		// them all.
		if prev := st.LastCheck; prev == nil || prev.OK() != c.OK() || prev.Err != c.Err {
			st.Record(c.At, EventCheck, detail)
		}
		st.LastCheck = &c
		if in := c.Introspection; in != nil && !in.Active {
			st.Refused = st.Token != nil // inactive: renewed before it is handed out again
		}
		st.Checks = append(st.Checks, c)
		if n := len(st.Checks); n > MaxChecks {
			st.Checks = append([]Check(nil), st.Checks[n-MaxChecks:]...)
		}
		return nil
	})
	if err != nil {
		s.log.Warn("check not recorded", "err", err)
	}
}
