package etcd

// SetLeaseTTL shortens the renewal lock's lease for a test and returns the
// function that restores it. Not safe while a Lock runs.
func SetLeaseTTL(seconds int64) (restore func()) {
	old := leaseTTL
	leaseTTL = seconds
	return func() { leaseTTL = old }
}
