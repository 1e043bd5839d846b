// Package etcd is a flows.Store kept in etcd, for a team whose machines
// share connections: states, renewal locks and change marks live under one
// key prefix, reached over etcd's v3 JSON gateway with net/http alone.
//
// Keys, under Options.Prefix:
//
//	PREFIX/state/NAME  the state, encoded as package store encodes it
//	                   (sealed with AES-256-GCM when Options.Key is set)
//	PREFIX/lock/NAME   the renewal lock's prefix (etcd's lock service)
//	PREFIX/gone/NAME   a tombstone Forget leaves, so Changed can report a
//	                   forgotten connection (etcd's ranges skip deleted keys)
//
// A state's Rev is its key's mod_revision; Changed's mark is an etcd
// revision.
package etcd

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"tokentop/flows"
	"tokentop/store"
)

// Options configures Open.
type Options struct {
	// Endpoints are the client URLs of the cluster, http:// or https://,
	// tried in order when a connection fails.
	Endpoints []string
	// Prefix is where this team's keys live, e.g. "/tokentop/team-a".
	Prefix string
	// CAFile verifies the server; CertFile and KeyFile are a client
	// certificate. All optional.
	CAFile, CertFile, KeyFile string
	// Username and Password sign in when etcd auth is on.
	Username, Password string
	// Key, when set, is the team secret every value is sealed with.
	Key []byte
	// Timeout bounds each call; 0 means 5 s. Lock is bounded by its ctx.
	Timeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives warnings (a lost lease); nil discards them.
	Logger *slog.Logger
}

// Store is a flows.Store in etcd. Its methods are safe for concurrent use;
// it holds nothing between calls but an auth token and idle connections.
type Store struct {
	c      *client
	prefix string
	seal   *sealer
	now    func() time.Time
	log    *slog.Logger
	w      watcher // Changed's watch of the prefix (watch.go)
}

var _ flows.Store = (*Store)(nil)

// teamErr is a failure of the team store in one line: "team store
// unreachable: etcd http://…: no answer in time" when etcd could not be
// reached, "team store: etcd http://…: …" for an answer of etcd. The
// caller names the connection.
func teamErr(err error) error {
	if store.Unreachable(err) != nil {
		return fmt.Errorf("team store unreachable: %w", err)
	}
	return fmt.Errorf("team store: %w", err)
}

// maxUpdateTries bounds Update's compare-and-swap loop.
const maxUpdateTries = 10

// Open returns a Store for opts. It does not reach etcd: the first call
// does, so a dashboard starts while the cluster is away.
func Open(opts Options) (*Store, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c, err := newClient(opts)
	if err != nil {
		return nil, err
	}
	s := &Store{c: c, prefix: strings.TrimRight(opts.Prefix, "/"), now: opts.Now, log: opts.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if len(opts.Key) > 0 {
		if s.seal, err = newSealer(opts.Key); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Close stops the watch, if one runs, and releases idle connections.
func (s *Store) Close() error {
	s.w.close()
	s.c.http.CloseIdleConnections()
	return nil
}

func (s *Store) stateKey(name string) string { return s.prefix + "/state/" + name }
func (s *Store) goneKey(name string) string  { return s.prefix + "/gone/" + name }
func (s *Store) lockKey(name string) string  { return s.prefix + "/lock/" + name }

// The gateway's JSON: bytes are base64 (encoding/json's []byte), int64s
// are strings.
type header struct {
	Revision int64 `json:"revision,string"`
}

type keyValue struct {
	Key         []byte `json:"key"`
	Value       []byte `json:"value"`
	ModRevision int64  `json:"mod_revision,string"`
}

type rangeRequest struct {
	Key            []byte `json:"key"`
	RangeEnd       []byte `json:"range_end,omitempty"`
	KeysOnly       bool   `json:"keys_only,omitempty"`
	MinModRevision int64  `json:"min_mod_revision,string,omitempty"`
}

type rangeResponse struct {
	Header header     `json:"header"`
	KVs    []keyValue `json:"kvs"`
}

type putRequest struct {
	Key   []byte `json:"key"`
	Value []byte `json:"value"`
	Lease int64  `json:"lease,string,omitempty"`
}

type deleteRequest struct {
	Key []byte `json:"key"`
}

type compare struct {
	Target         string `json:"target"`
	Key            []byte `json:"key"`
	Result         string `json:"result"`
	ModRevision    int64  `json:"mod_revision,string,omitempty"`
	CreateRevision int64  `json:"create_revision,string,omitempty"`
}

type op struct {
	Put    *putRequest    `json:"request_put,omitempty"`
	Delete *deleteRequest `json:"request_delete_range,omitempty"`
}

type txnRequest struct {
	Compare []compare `json:"compare"`
	Success []op      `json:"success"`
}

type txnResponse struct {
	Header    header `json:"header"`
	Succeeded bool   `json:"succeeded"`
}

// prefixEnd is the range_end that makes a range cover every key starting
// with p (etcd's clientv3.GetPrefixRangeEnd).
func prefixEnd(p string) []byte {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return b[:i+1]
		}
	}
	return []byte{0}
}

// get returns the state key's value and mod_revision; 0 when absent.
func (s *Store) get(name string) ([]byte, int64, error) {
	var out rangeResponse
	if err := s.c.call("/v3/kv/range", rangeRequest{Key: []byte(s.stateKey(name))}, &out); err != nil {
		return nil, 0, teamErr(err)
	}
	if len(out.KVs) == 0 {
		return nil, 0, nil
	}
	return out.KVs[0].Value, out.KVs[0].ModRevision, nil
}

// decode opens (when sealed) and decodes the value stored for name.
func (s *Store) decode(name string, v []byte, rev int64) (flows.State, error) {
	if len(v) == 0 {
		return flows.State{}, nil
	}
	key := s.stateKey(name)
	if env, ok := isSealed(v); ok {
		if s.seal == nil {
			return flows.State{}, fmt.Errorf("team store: sealed with key %s, and no key is set here", env.KID)
		}
		plain, err := s.seal.open(key, v)
		if err != nil {
			return flows.State{}, teamErr(err)
		}
		v = plain
	}
	// A plain value under a Key is read (a team turning encryption on keeps
	// its connections); the next Update seals it.
	st, err := store.DecodeState(name, v)
	if err != nil {
		return flows.State{}, err
	}
	st.Rev = uint64(rev)
	return st, nil
}

// encode returns the stored form of st under name's key.
func (s *Store) encode(name string, st flows.State) ([]byte, error) {
	st.Rev = 0 // the key's mod_revision is the revision
	b, err := store.EncodeState(st)
	if err != nil {
		return nil, teamErr(err)
	}
	if s.seal == nil {
		return b, nil
	}
	return s.seal.seal(s.stateKey(name), b)
}

// Load returns the state of one connection; a connection never saved has
// the zero State.
func (s *Store) Load(name string) (flows.State, error) {
	v, rev, err := s.get(name)
	if err != nil {
		return flows.State{}, err
	}
	return s.decode(name, v, rev)
}

// Update applies fn to a copy of the state and writes the result only if
// the key has not changed since it was read (a txn comparing mod_revision,
// or create_revision 0 for a new key); otherwise it reads again and
// re-applies fn, after a random pause, up to maxUpdateTries times. One put carries the whole
// state, so a new access token and a rotated refresh token land together.
func (s *Store) Update(name string, fn func(*flows.State) error) error {
	key := []byte(s.stateKey(name))
	for try := range maxUpdateTries {
		if try > 0 {
			// Writers that collided would collide again in step: wait a
			// random while, up to 1 ms doubling to 64 ms, before reading
			// again.
			time.Sleep(rand.N(time.Millisecond << min(try, 6)))
		}
		v, rev, err := s.get(name)
		if err != nil {
			return err
		}
		st, err := s.decode(name, v, rev)
		if err != nil {
			return err
		}
		if err := fn(&st); err != nil {
			return err
		}
		b, err := s.encode(name, st)
		if err != nil {
			return err
		}
		cmp := compare{Target: "MOD", Key: key, Result: "EQUAL", ModRevision: rev}
		if rev == 0 {
			cmp = compare{Target: "CREATE", Key: key, Result: "EQUAL"}
		}
		var out txnResponse
		req := txnRequest{Compare: []compare{cmp}, Success: []op{
			{Put: &putRequest{Key: key, Value: b}},
			{Delete: &deleteRequest{Key: []byte(s.goneKey(name))}},
		}}
		if err := s.c.call("/v3/kv/txn", req, &out); err != nil {
			return teamErr(err)
		}
		if out.Succeeded {
			return nil
		}
	}
	return fmt.Errorf("team store: changed by others %d times in a row; not saved", maxUpdateTries)
}

// Forget deletes the state and leaves a tombstone, in one txn, so that
// Changed reports the connection as a zero State.
func (s *Store) Forget(name string) error {
	req := txnRequest{Success: []op{
		{Delete: &deleteRequest{Key: []byte(s.stateKey(name))}},
		{Put: &putRequest{Key: []byte(s.goneKey(name)), Value: []byte{}}},
	}}
	if err := s.c.call("/v3/kv/txn", req, &txnResponse{}); err != nil {
		return teamErr(err)
	}
	return nil
}

// Changed returns the states written since mark, an etcd revision, with
// one range of the prefix filtered by min_mod_revision: when nothing
// changed etcd answers with no keys. A tombstone newer than mark reports a
// forgotten connection as a zero State; mark 0 returns every state.
//
// Called again with a mark (a dashboard), Changed opens a watch of the
// prefix (watch.go) and from then on answers "nothing new" without a
// request while the watch is live and has reported nothing, ranging at
// least every watchRecheck all the same.
func (s *Store) Changed(mark uint64) (map[string]flows.State, uint64, error) {
	if s.w.quiet(mark, s.now()) {
		return nil, mark, nil
	}
	s.w.ranging(s.now())
	changed, next, err := s.changed(mark)
	switch {
	case err != nil:
		s.w.failed()
	case mark > 0 && next > 0:
		s.w.read(next)
		s.watch(next)
	default:
		s.w.read(next)
	}
	return changed, next, err
}

// changed is Changed's range.
func (s *Store) changed(mark uint64) (map[string]flows.State, uint64, error) {
	req := rangeRequest{Key: []byte(s.prefix + "/"), RangeEnd: prefixEnd(s.prefix + "/")}
	if mark > 0 {
		req.MinModRevision = int64(mark) + 1
	} else {
		req.Key, req.RangeEnd = []byte(s.stateKey("")), prefixEnd(s.stateKey(""))
	}
	var out rangeResponse
	if err := s.c.call("/v3/kv/range", req, &out); err != nil {
		return nil, mark, teamErr(err)
	}
	next := uint64(out.Header.Revision)
	if next < mark {
		// A cluster restored from an older snapshot: start over.
		next = 0
	}
	var changed map[string]flows.State
	put := func(name string, st flows.State) {
		if changed == nil {
			changed = map[string]flows.State{}
		}
		changed[name] = st
	}
	state, gone := s.stateKey(""), s.goneKey("")
	// Tombstones first: a state written after a tombstone (its txn deletes
	// the tombstone, but a range may see both) wins.
	for _, kv := range out.KVs {
		if name, ok := strings.CutPrefix(string(kv.Key), gone); ok {
			put(name, flows.State{})
		}
	}
	var first error
	for _, kv := range out.KVs {
		name, ok := strings.CutPrefix(string(kv.Key), state)
		if !ok {
			continue
		}
		st, err := s.decode(name, kv.Value, kv.ModRevision)
		if err != nil {
			// The others still count; the broken one shows at its Load.
			s.log.Warn("etcd: a changed state is unreadable", slog.String("conn", name), slog.String("err", err.Error()))
			if first == nil {
				first = err
			}
			continue
		}
		put(name, st)
	}
	if first != nil && changed == nil {
		return nil, mark, first
	}
	return changed, next, nil
}
