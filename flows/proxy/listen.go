package proxy

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"
	"time"
)

// ErrAddress is a listen address other than a loopback one.
var ErrAddress = errors.New("not a loopback address")

// LoopbackAddr checks a --listen address: 127.0.0.1:PORT, [::1]:PORT or
// localhost:PORT (taken as 127.0.0.1). Anything else, a wildcard or a
// host's own address among them, would hand the token to the network.
func LoopbackAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%q: %w (want 127.0.0.1:PORT, [::1]:PORT or localhost:PORT)", addr, err)
	}
	if _, err := net.LookupPort("tcp", port); err != nil || port == "" {
		return "", fmt.Errorf("%q: bad port (want 127.0.0.1:PORT, [::1]:PORT or localhost:PORT)", addr)
	}
	switch host {
	case "127.0.0.1", "::1":
		return net.JoinHostPort(host, port), nil
	case "localhost":
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	return "", fmt.Errorf("%q: %w: only 127.0.0.1, [::1] or localhost may be listened on", addr, ErrAddress)
}

// ListenUnix listens on a Unix socket at path, mode 0600, created so that
// no other user can connect in between. A file in the way is refused unless
// it is a socket of ours nobody answers on (a proxy that was killed), which
// is removed. Closing the listener removes the socket.
func ListenUnix(path string) (*net.UnixListener, error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	case fi.Mode().Type() != fs.ModeSocket:
		return nil, fmt.Errorf("%s is in the way and is not a socket: remove it", path)
	case !ours(fi):
		return nil, fmt.Errorf("%s is another user's socket", path)
	default:
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("%s is in use: another tokentop proxy runs there", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("removing the stale socket: %w", err)
		}
	}
	// The socket is born 0600: a umask of 0177 while it is bound (nothing
	// else creates files at this point of tokentop proxy).
	old := syscall.Umask(0o177)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	syscall.Umask(old)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

func ours(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || int(st.Uid) == os.Getuid()
}
