package flows

import "context"

// Store keeps connection states between runs and between processes. The
// bbolt implementation is store.DB; tests may use an in-memory one.
//
// Several processes share one Store: implementations must not hold it
// between calls, so that neither the dashboard nor a script waits for the
// other for longer than one transaction.
type Store interface {
	// Load returns the state of one connection; a connection never saved has
	// the zero State and no error.
	Load(name string) (State, error)
	// Update applies fn to the state of one connection inside one write
	// transaction: the new access token and a rotated refresh token are saved
	// together or not at all. If fn returns an error nothing is written.
	Update(name string, fn func(*State) error) error
	// Forget deletes everything stored for one connection, so that its
	// tokens cannot be read back from the file afterwards.
	Forget(name string) error
	// Lock takes the cross-process renewal lock of one connection, waiting
	// until ctx is done. The returned func releases it.
	Lock(ctx context.Context, name string) (unlock func(), err error)
	// Changed returns the states written since mark (a value an earlier call
	// returned; 0 for everything) and the mark to pass next time. A forgotten
	// connection comes back as a zero State. When nothing changed it must be
	// cheap (a stat of the file, no decoding), because the dashboard asks
	// every second.
	Changed(mark uint64) (changed map[string]State, next uint64, err error)
}
