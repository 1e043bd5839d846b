package etcd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// watchRecheck bounds how long Changed trusts a quiet watch: a stream
// whose connection died without a word (a dropped route) stops delivering
// events, so Changed ranges at least this often regardless.
const watchRecheck = 10 * time.Second

// watcher keeps one /v3/watch stream open on the team's prefix for a
// Store whose Changed is called again and again (a dashboard), so that a
// Changed with nothing new answers without a request: etcd tells of a
// change as it happens instead of being asked every second.
type watcher struct {
	mu      sync.Mutex
	running bool      // a stream is being opened or is open
	live    bool      // the stream was created and has not failed since
	from    int64     // the stream's start_revision
	dirty   bool      // an event, or a failure, since Changed last ranged
	ranged  time.Time // when Changed last ranged
	last    uint64    // the revision Changed's last range read up to
	stop    context.CancelFunc
	closed  bool // Close was called: no stream starts again
}

// quiet reports whether Changed(mark) can answer "nothing new" without a
// request: mark is where the last range read up to, and a live stream that
// started no later than the revision after it reported nothing since that
// range, which was less than watchRecheck ago. An older mark (a caller
// reading again what it was told) always ranges.
func (w *watcher) quiet(mark uint64, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return mark > 0 && mark == w.last && w.live && !w.dirty && w.from <= int64(mark)+1 && now.Sub(w.ranged) < watchRecheck
}

// read records where a range read up to.
func (w *watcher) read(next uint64) {
	w.mu.Lock()
	w.last = next
	w.mu.Unlock()
}

// ranging records that Changed reads etcd now: what the stream reports
// from here on is news to the next call.
func (w *watcher) ranging(now time.Time) {
	w.mu.Lock()
	w.dirty, w.ranged = false, now
	w.mu.Unlock()
}

// failed makes the next Changed range.
func (w *watcher) failed() {
	w.mu.Lock()
	w.dirty = true
	w.mu.Unlock()
}

// watch starts the stream from revision next+1, unless one runs.
func (s *Store) watch(next uint64) {
	w := &s.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.running || w.closed {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.running, w.live, w.from, w.stop = true, false, int64(next)+1, cancel
	go func() {
		defer cancel()
		s.stream(ctx, cancel, int64(next)+1)
		w.mu.Lock()
		w.running, w.live, w.dirty = false, false, true
		w.mu.Unlock()
	}()
}

// close stops the stream for good.
func (w *watcher) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	if w.stop != nil {
		w.stop()
	}
}

type watchCreate struct {
	Key           []byte `json:"key"`
	RangeEnd      []byte `json:"range_end"`
	StartRevision int64  `json:"start_revision,string"`
}

type watchMessage struct {
	Result *struct {
		Created  bool              `json:"created"`
		Canceled bool              `json:"canceled"`
		Events   []json.RawMessage `json:"events"`
	} `json:"result"`
	Error json.RawMessage `json:"error"`
}

// stream runs one watch of the prefix from revision from at the endpoint
// that answered last, until it fails, etcd cancels it or ctx ends. The
// stream must be created within the call timeout; after that it is bounded
// by the connection's keep-alive and by watchRecheck's ranges. Each
// message is capped at maxResponse.
func (s *Store) stream(ctx context.Context, cancel context.CancelFunc, from int64) {
	c := s.c
	var token string
	if c.user != "" {
		tctx, cancel := context.WithTimeout(ctx, c.timeout)
		t, err := c.authToken(tctx)
		cancel()
		if err != nil {
			return
		}
		token = t
	}
	c.mu.Lock()
	ep := c.endpoints[c.first]
	c.mu.Unlock()
	if c.isDown(ep) != nil {
		return
	}
	body, err := json.Marshal(struct {
		Create watchCreate `json:"create_request"`
	}{watchCreate{Key: []byte(s.prefix + "/"), RangeEnd: prefixEnd(s.prefix + "/"), StartRevision: from}})
	if err != nil {
		return
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep+"/v3/watch", bytes.NewReader(body))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	// Not created within the timeout: given up. Under the lock, so that a
	// stream is either created in time and live, or cancelled and never.
	created := time.AfterFunc(c.timeout, func() {
		s.w.mu.Lock()
		defer s.w.mu.Unlock()
		if !s.w.live {
			cancel()
		}
	})
	defer created.Stop()
	resp, err := c.http.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return
	}
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(make([]byte, 0, 64<<10), maxResponse)
	for lines.Scan() {
		var m watchMessage
		if json.Unmarshal(lines.Bytes(), &m) != nil || m.Result == nil || len(m.Error) > 0 || m.Result.Canceled {
			return
		}
		s.w.mu.Lock()
		if ctx.Err() != nil {
			s.w.mu.Unlock()
			return
		}
		if m.Result.Created {
			s.w.live = true
		}
		if len(m.Result.Events) > 0 {
			s.w.dirty = true
		}
		s.w.mu.Unlock()
	}
}
