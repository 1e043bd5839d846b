package etcd_test

import (
	"testing"

	"tokentop/flows"
	"tokentop/store/etcd"
	"tokentop/store/etcd/etcdtest"
)

// BenchmarkLoad is one range of one state on loopback etcd, plain and
// sealed.
func BenchmarkLoad(b *testing.B) {
	srv := etcdtest.Start(b)
	for name, key := range map[string][]byte{"plain": nil, "sealed": []byte("team secret")} {
		b.Run(name, func(b *testing.B) {
			s := mustOpen(b, etcd.Options{Endpoints: []string{srv.Endpoint}, Prefix: "/bench/" + name, Key: key})
			if err := s.Update("aerion", func(st *flows.State) error { *st = tokenState("at-1"); return nil }); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Load("aerion"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkChangedNothingNew is the dashboard's once-a-second poll when
// nothing changed.
func BenchmarkChangedNothingNew(b *testing.B) {
	srv := etcdtest.Start(b)
	s := mustOpen(b, etcd.Options{Endpoints: []string{srv.Endpoint}})
	if err := s.Update("aerion", func(st *flows.State) error { *st = tokenState("at-1"); return nil }); err != nil {
		b.Fatal(err)
	}
	_, mark, err := s.Changed(0)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := s.Changed(mark); err != nil {
			b.Fatal(err)
		}
	}
}
