package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"tokentop/flows"
)

// The errors of Starter and WriteStarter, for errors.Is.
var (
	// ErrExists: something is at the path already.
	ErrExists = errors.New("already exists")
	// ErrUnknownProvider: a provider tokentop has no starter for.
	ErrUnknownProvider = errors.New("unknown provider")
)

// WriteStarter writes the starter configuration of providers (Starter) to
// path, mode 0600, creating its directory (0700) if missing, and returns
// what it holds. It never writes over a file or through a symbolic link:
// the file must not exist (O_EXCL), and a link at path is refused
// (O_NOFOLLOW); either is an error wrapping ErrExists. What it writes is
// parsed first, so it is known to load.
func WriteStarter(path string, providers []string) (*flows.Config, error) {
	data, err := Starter(providers)
	if err != nil {
		return nil, err
	}
	cfg, err := Parse(path, data)
	if err != nil {
		return nil, fmt.Errorf("the starter file does not load: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%s %w; edit it, or remove it first", path, ErrExists)
	}
	if err != nil {
		return nil, err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o600) // whatever the umask made of it
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	return cfg, nil
}
