// Package keyring keeps the state file's key material in the operating
// system's keyring (the Secret Service over D-Bus on Linux and the BSDs,
// the Keychain on macOS, the Credential Manager on Windows) through
// github.com/zalando/go-keyring, every call bounded in time: a
// store.Keys.
package keyring

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	gokeyring "github.com/zalando/go-keyring"

	"tokentop/store"
)

// Service is the keyring service name of tokentop's entries; the user name
// is the state file's absolute path (see New).
const Service = "tokentop"

// DefaultTimeout bounds each call to the keyring when Keys.Timeout is
// zero. The Secret Service answers in milliseconds; a session bus with no
// Secret Service behind it, or a keyring waiting for a person to unlock
// it, may never answer.
const DefaultTimeout = 2 * time.Second

// keyLen is the key material's size: a 256-bit random key.
const keyLen = 32

// Keys is the key material of one state file in the keyring: service
// "tokentop", user the file's absolute path, the value 32 random bytes in
// base64. The path keeps two state files from sharing a key by accident;
// a file moved elsewhere leaves its key behind (its tokens then read as
// signed out: the encryption key is gone). It is safe for concurrent use.
type Keys struct {
	// User is the entry's user name: the state file's absolute path.
	User string
	// Timeout bounds each call; zero means DefaultTimeout.
	Timeout time.Duration
}

// The keyring's calls; tests stand a keyring that never answers in their
// place.
var (
	get = gokeyring.Get
	set = gokeyring.Set
	del = gokeyring.Delete
)

// one lets one call at a time reach the keyring: a call that never
// returns holds it, and the callers after it wait out their own deadline
// instead of piling up goroutines.
var one = make(chan struct{}, 1)

var _ store.Keys = (*Keys)(nil)

// New returns the Keys of the state file at path (absolute, as
// store.DB.Path returns it).
func New(path string) *Keys {
	return &Keys{User: path}
}

// Source is "keyring".
func (k *Keys) Source() string { return "keyring" }

// Key returns the key material kept for the state file; an error wrapping
// store.ErrKeyGone when the keyring holds none (or holds what is not a key
// tokentop made).
func (k *Keys) Key() ([]byte, error) {
	var v string
	get := get // read here: the call's goroutine may outlive the caller
	err := k.call(func() (err error) { v, err = get(Service, k.User); return err })
	if errors.Is(err, gokeyring.ErrNotFound) {
		return nil, store.ErrKeyGone
	}
	if err != nil {
		return nil, err
	}
	m, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(m) != keyLen {
		return nil, fmt.Errorf("%w (the keyring's entry is not a key tokentop made)", store.ErrKeyGone)
	}
	return m, nil
}

// NewKey makes 32 random bytes and keeps them in the keyring in place of
// any earlier entry.
func (k *Keys) NewKey() ([]byte, error) {
	m := make([]byte, keyLen)
	if _, err := rand.Read(m); err != nil {
		return nil, err
	}
	set := set
	if err := k.call(func() error { return set(Service, k.User, base64.StdEncoding.EncodeToString(m)) }); err != nil {
		return nil, err
	}
	return m, nil
}

// Delete removes the state file's entry; no entry is no error.
func (k *Keys) Delete() error {
	del := del
	err := k.call(func() error { return del(Service, k.User) })
	if errors.Is(err, gokeyring.ErrNotFound) {
		return nil
	}
	return err
}

// errNoSession is the keyring's error where no D-Bus session bus is named:
// godbus would otherwise try $XDG_RUNTIME_DIR/bus and then start
// dbus-launch, which on a headless machine may hang or leave a daemon.
var errNoSession = errors.New("keyring: no D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set)")

// call runs f, which talks to the keyring, within the deadline. A call
// that times out goes on in its goroutine until the keyring answers; the
// next waits for it, within its own deadline.
func (k *Keys) call(f func() error) error {
	if usesDBus() && os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return errNoSession
	}
	timeout := k.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	noAnswer := fmt.Errorf("keyring: no answer in %s", timeout)
	select {
	case one <- struct{}{}:
	case <-deadline.C:
		return noAnswer
	}
	done := make(chan error, 1)
	go func() {
		defer func() { <-one }()
		done <- f()
	}()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, gokeyring.ErrNotFound) {
			// go-keyring's errors are D-Bus's or the OS's: they name
			// services and paths, never the secret.
			return fmt.Errorf("keyring: %w", err)
		}
		return err
	case <-deadline.C:
		return noAnswer
	}
}

// usesDBus reports whether go-keyring speaks to the Secret Service here.
func usesDBus() bool { return runtime.GOOS != "darwin" && runtime.GOOS != "windows" }
