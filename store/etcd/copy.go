package etcd

import (
	"errors"

	"tokentop/store"
)

var _ store.CopySealer = (*Store)(nil)

// copyKey is the additional data of a sealed local copy: it differs from
// every etcd key, so a value copied between etcd and a state file opens in
// neither place.
func (s *Store) copyKey(name string) string { return "copy:" + s.stateKey(name) }

// SealCopy seals the local copy of name's state with the team key, as its
// value in etcd is sealed; without a key it returns plain as it is.
func (s *Store) SealCopy(name string, plain []byte) ([]byte, error) {
	if s.seal == nil {
		return plain, nil
	}
	return s.seal.seal(s.copyKey(name), plain)
}

// OpenCopy opens a copy SealCopy sealed. A plain copy is returned with
// sealed false, so that a key set since it was kept seals it next time; a
// sealed copy without a key here, or under another key, is an error.
func (s *Store) OpenCopy(name string, b []byte) ([]byte, bool, error) {
	env, ok := isSealed(b)
	switch {
	case !ok:
		return b, s.seal == nil, nil
	case s.seal == nil:
		return nil, false, errors.New("team store copy: sealed with key " + env.KID + ", and no key is set here")
	}
	plain, err := s.seal.open(s.copyKey(name), b)
	if err != nil {
		return nil, false, errors.New("team store copy: " + err.Error())
	}
	return plain, true, nil
}
