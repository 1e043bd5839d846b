//go:build unix

package flows

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// secretOpenFlags open a file: secret without blocking, so that a FIFO
// with no writer is refused by the type check that follows instead of
// hanging the open.
const secretOpenFlags = os.O_RDONLY | syscall.O_NONBLOCK

// secretProcessGroup starts cmd in a process group of its own (its pgid is
// its pid) and has the context's end kill the whole group, not just sh.
func secretProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return secretKillGroup(cmd.Process) }
}

// secretKillGroup sends SIGKILL to the process group led by p. A group
// that no longer exists gives os.ErrProcessDone, which os/exec takes as
// "already finished".
func secretKillGroup(p *os.Process) error {
	if p == nil {
		return os.ErrProcessDone
	}
	err := syscall.Kill(-p.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}
