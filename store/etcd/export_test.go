package etcd

// SetLeaseTTL shortens the renewal lock's lease for a test and returns the
// function that restores it. Not safe while a Lock runs.
func SetLeaseTTL(seconds int64) (restore func()) {
	old := leaseTTL
	leaseTTL = seconds
	return func() { leaseTTL = old }
}

// WatchLive reports whether s's watch stream is created and running.
func WatchLive(s *Store) bool {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	return s.w.live
}
