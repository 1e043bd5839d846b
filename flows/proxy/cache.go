package proxy

import (
	"context"
	"errors"
	"sync"
	"time"

	"tokentop/flows"
	"tokentop/flows/redact"
)

// cache keeps the token the proxy sends, so that a request reads no state
// file while the token stays valid for minValid, and makes one call to
// Tokens for all the requests that find it stale at once.
type cache struct {
	tokens   Tokens
	name     string
	minValid time.Duration
	now      func() time.Time
	red      *redact.Redactor
	warn     func(string)

	mu     sync.Mutex
	tok    *flows.Token
	flight *flight
	// refused is a token the API refused on a request that could not be
	// sent again: the next request renews rather than send it.
	refused string
}

// flight is one call to Tokens that every waiting request shares.
type flight struct {
	done chan struct{}
	// refused is the token the call replaces after a 401 (Renew), empty
	// for a plain Token call.
	refused string
	tok     *flows.Token
	err     error
}

// get returns the token to send. With refused set (the token the API
// answered 401 invalid_token to), it returns a renewed one: one renewal
// for every request the API refused that token to.
func (c *cache) get(ctx context.Context, refused string) (*flows.Token, error) {
	c.mu.Lock()
	if refused == "" {
		refused = c.refused
	}
	for {
		if t := c.tok; t != nil && (refused == "" && t.ValidFor(c.now(), c.minValid) || refused != "" && t.AccessToken != refused) {
			c.mu.Unlock()
			return t, nil
		}
		f := c.flight
		if f == nil {
			break
		}
		c.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if f.err != nil && (refused == "" || f.refused == refused) {
			return nil, f.err
		}
		c.mu.Lock()
	}
	f := &flight{done: make(chan struct{}), refused: refused}
	c.flight = f
	if refused != "" && c.tok != nil && c.tok.AccessToken == refused {
		c.tok = nil // the requests that follow wait for the renewal
	}
	c.mu.Unlock()
	// The call outlives the request that started it: the others wait on
	// it, and a renewal once sent must be answered and saved.
	go c.call(context.WithoutCancel(ctx), f)
	select {
	case <-f.done:
		return f.tok, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *cache) call(ctx context.Context, f *flight) {
	ctx, cancel := context.WithTimeout(ctx, tokenWait)
	defer cancel()
	var tok *flows.Token
	var err error
	if f.refused != "" {
		tok, err = c.tokens.Renew(ctx, c.name)
	} else {
		tok, err = c.tokens.Token(ctx, c.name, c.minValid)
	}
	if err != nil && flows.Usable(err) && tok != nil {
		// Renewed but not saved: it serves; say so once.
		c.warn(c.red.Redact(err.Error()))
		err = nil
	}
	if err == nil && (tok == nil || tok.AccessToken == "") {
		err = errNoToken
	}
	c.mu.Lock()
	if err == nil {
		c.red.Add(tok.AccessToken)
		c.tok = tok
		if tok.AccessToken != c.refused {
			c.refused = ""
		}
	}
	f.tok, f.err = tok, err
	c.flight = nil
	c.mu.Unlock()
	close(f.done)
}

var errNoToken = errors.New("no token")

// refuse records that the API refused tok on a request that could not be
// retried, so that the next request renews.
func (c *cache) refuse(tok *flows.Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok != nil && c.tok.AccessToken == tok.AccessToken {
		c.refused, c.tok = tok.AccessToken, nil
	}
}
