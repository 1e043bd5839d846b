package store

import (
	"fmt"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"tokentop/flows"
)

// seed stores n connections, each with a token and a short history, in one
// transaction (n separate Updates would mean n fsyncs).
func seed(tb testing.TB, db *DB, n int) {
	tb.Helper()
	at := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	err := db.write(func(tx *bbolt.Tx, _ *bool) error {
		meta := tx.Bucket(bucketMeta)
		for i := range n {
			gen := generation(meta) + 1
			s := fullState()
			for j := range 20 {
				s.Record(at.Add(time.Duration(j)*time.Minute), flows.EventRenewal, "renewed, valid for 1h")
			}
			s.Rev = gen
			v, err := encodeState(s)
			if err != nil {
				return err
			}
			name := []byte(fmt.Sprintf("conn-%04d", i))
			if err := tx.Bucket(bucketStates).Put(name, v); err != nil {
				return err
			}
			if err := tx.Bucket(bucketRevs).Put(name, encodeRev(gen, false)); err != nil {
				return err
			}
			if err := meta.Put(keyGen, encodeUint(gen)); err != nil {
				return err
			}
		}
		return nil
	}, nil)
	if err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkLoad is the hot path of `tokentop token NAME`: one connection out
// of 1,000, with the store lock, the meta check, bbolt's open and close.
func BenchmarkLoad(b *testing.B) {
	db := mustOpen(b)
	seed(b, db, 1000)
	b.ReportAllocs()
	defer reportCPU(b, cpuTime())
	for b.Loop() {
		s, err := db.Load("conn-0500")
		if err != nil || s.Token == nil {
			b.Fatal(s, err)
		}
	}
}

// BenchmarkChangedNothing is the dashboard's once-a-second poll when no
// other process wrote: a stat of the file.
func BenchmarkChangedNothing(b *testing.B) {
	db := mustOpen(b)
	seed(b, db, 1000)
	_, mark, err := db.Changed(0)
	if err != nil {
		b.Fatal(err)
	}
	age(b, db.Path()) // the steady state, long after the last write
	if _, _, err := db.Changed(mark); err != nil {
		b.Fatal(err)
	}
	opens := db.opens.Load()
	b.ReportAllocs()
	defer reportCPU(b, cpuTime())
	for b.Loop() {
		changed, next, err := db.Changed(mark)
		if err != nil || changed != nil || next != mark {
			b.Fatal(changed, next, err)
		}
	}
	if db.opens.Load() != opens {
		b.Fatal("Changed opened bbolt although nothing changed")
	}
}

// BenchmarkChangedRecent is the same poll within racyWindow of a write, when
// the stat cannot be trusted and Changed reads the generation.
func BenchmarkChangedRecent(b *testing.B) {
	db := mustOpen(b)
	seed(b, db, 1000)
	_, mark, err := db.Changed(0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	defer reportCPU(b, cpuTime())
	for b.Loop() {
		if _, _, err := db.Changed(mark); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdate is one renewal saved: two fsyncs dominate.
func BenchmarkUpdate(b *testing.B) {
	db := mustOpen(b)
	seed(b, db, 1000)
	b.ReportAllocs()
	defer reportCPU(b, cpuTime())
	for b.Loop() {
		if err := db.Update("conn-0500", setToken("a", "r")); err != nil {
			b.Fatal(err)
		}
	}
}

// reportCPU adds the CPU time per operation (user and system, all threads)
// since start to the benchmark's results.
func reportCPU(b *testing.B, start time.Duration) {
	if start == 0 {
		return
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}
