package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"
)

// The layout of a bbolt meta page (go.etcd.io/bbolt internal/common: Page,
// Meta): a 16-byte page header, then magic, version, pageSize, flags (uint32
// each), root bucket (pgid, sequence), freelist pgid, high-water pgid, txid,
// and an FNV-64a checksum of everything from magic to txid. Fields are in the
// machine's byte order because bbolt writes the struct's memory as is.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	pageHeaderSize = 16
	metaChecksumAt = 56 // offset of checksum within the meta
	metaLen        = metaChecksumAt + 8
	noFreelist     = ^uint64(0)
	maxPageSize    = 1 << 24 // bbolt looks for the second meta page up to 16 MiB
)

// boltMeta is what checkFile needs from a valid meta page.
type boltMeta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	pgid     uint64 // high-water mark: pages 0..pgid-1 exist
	txid     uint64
}

// parseMeta reads the meta page at the start of b and reports whether bbolt
// would accept it (common.Meta.Validate: magic, version, checksum).
func parseMeta(b []byte) (boltMeta, bool) {
	if len(b) < pageHeaderSize+metaLen {
		return boltMeta{}, false
	}
	m := b[pageHeaderSize : pageHeaderSize+metaLen]
	ne := binary.NativeEndian
	if ne.Uint32(m[0:]) != boltMagic || ne.Uint32(m[4:]) != boltVersion {
		return boltMeta{}, false
	}
	h := fnv.New64a()
	h.Write(m[:metaChecksumAt])
	if h.Sum64() != ne.Uint64(m[metaChecksumAt:]) {
		return boltMeta{}, false
	}
	return boltMeta{
		pageSize: ne.Uint32(m[8:]),
		root:     ne.Uint64(m[16:]),
		freelist: ne.Uint64(m[32:]),
		pgid:     ne.Uint64(m[40:]),
		txid:     ne.Uint64(m[48:]),
	}, true
}

// errEmptyFile means the state file exists but has no bytes at all: a first
// write died before bbolt wrote its meta pages. There is nothing to keep, so
// readers treat it as a missing file and the next write initialises it.
var errEmptyFile = errors.New("state file is empty")

// corruptError means the state file cannot be used safely. It records which
// file (by stamp) was found bad, so that only that file is moved aside even
// if another process replaced it meanwhile.
type corruptError struct {
	path   string
	stamp  stamp
	reason string
}

func (e *corruptError) Error() string {
	return fmt.Sprintf("store: state file %s is damaged: %s", e.path, e.reason)
}

// checkFile validates the meta pages of the state file with plain reads,
// before bbolt maps it: bbolt trusts the meta page, and a file shorter than
// the meta's high-water mark makes reads of the mapping fault with SIGBUS,
// which no recover catches by default. It returns the file's stamp, an error
// wrapping fs.ErrNotExist, errEmptyFile, or a *corruptError.
//
// A link, a directory or device in the file's place, or another user's
// file, is no damaged file to move aside but a mistake (or an attack) for a
// person to see to: that error wraps ErrUnsafe.
func checkFile(path string) (stamp, error) {
	f, err := openChecked(path, "state file", os.O_RDONLY, 0)
	if err != nil {
		return stamp{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return stamp{}, err
	}
	st := stampOf(fi)
	size := fi.Size()
	if size == 0 {
		return st, errEmptyFile
	}
	bad := func(format string, args ...any) (stamp, error) {
		return st, &corruptError{path: path, stamp: st, reason: fmt.Sprintf(format, args...)}
	}

	// Mirror bbolt's own search (DB.getPageSize): the page size comes from
	// meta page 0 if it is valid, else from meta page 1, looked for at every
	// power of two from 1 KiB.
	buf := make([]byte, pageHeaderSize+metaLen)
	readAt := func(off int64) ([]byte, bool) {
		n, err := f.ReadAt(buf, off)
		if err != nil && !(errors.Is(err, io.EOF) && n == len(buf)) {
			return nil, false
		}
		return buf, true
	}
	var metas []boltMeta
	var pageSize uint32
	if b, ok := readAt(0); ok {
		if m, ok := parseMeta(b); ok {
			metas = append(metas, m)
			pageSize = m.pageSize
		}
	}
	if pageSize != 0 {
		if b, ok := readAt(int64(pageSize)); ok {
			if m, ok := parseMeta(b); ok {
				metas = append(metas, m)
			}
		}
	} else {
		for off := int64(1024); off <= maxPageSize && off < size-1024; off <<= 1 {
			if b, ok := readAt(off); ok {
				if m, ok := parseMeta(b); ok {
					metas = append(metas, m)
					pageSize = m.pageSize
					break
				}
			}
		}
	}
	if len(metas) == 0 {
		return bad("no valid bbolt meta page (not a tokentop state file, or overwritten)")
	}
	// bbolt uses the valid meta with the highest transaction id.
	m := metas[0]
	if len(metas) == 2 && metas[1].txid > m.txid {
		m = metas[1]
	}
	switch ps := int64(m.pageSize); {
	case ps < 1024 || ps > maxPageSize || ps&(ps-1) != 0 || m.pageSize != pageSize:
		return bad("meta page has an impossible page size %d", m.pageSize)
	case m.pgid < 4 || m.root < 2 || m.root >= m.pgid || (m.freelist != noFreelist && m.freelist >= m.pgid):
		return bad("meta page points outside the file's pages")
	case m.pgid > uint64(size)/uint64(ps) || size < 2*ps:
		return bad("file is truncated: %d bytes, meta page needs %d pages of %d bytes", size, m.pgid, ps)
	}
	return st, nil
}

// guarded runs fn, which works on a mapped state file, and turns a panic into
// a *corruptError: bbolt panics on pages it cannot make sense of, and with
// SetPanicOnFault a fault on the mapping (SIGBUS on a file truncated behind
// bbolt's back) is a panic too instead of a crash. A panic while *user is
// true came from the caller's function, not the file, and goes on.
func guarded(path string, st stamp, user *bool, fn func() error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if user != nil && *user {
			panic(r)
		}
		err = &corruptError{path: path, stamp: st, reason: fmt.Sprintf("reading it failed: %v", r)}
	}()
	return fn()
}
