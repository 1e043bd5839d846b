//go:build unix

package secret

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// openFlags open a file: secret without blocking, so that a FIFO
// with no writer is refused by the type check that follows instead of
// hanging the open.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK

// setProcessGroup starts cmd in a process group of its own (its pgid is
// its pid) and has the context's end kill the whole group, not just sh.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd.Process) }
}

// killGroup sends SIGKILL to the process group led by p. A group
// that no longer exists gives os.ErrProcessDone, which os/exec takes as
// "already finished".
func killGroup(p *os.Process) error {
	if p == nil {
		return os.ErrProcessDone
	}
	err := syscall.Kill(-p.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}
