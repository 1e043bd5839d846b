//go:build !unix

package secret

import (
	"os"
	"os/exec"
)

// openFlags: the systems without FIFOs need no non-blocking open.
const openFlags = os.O_RDONLY

// setProcessGroup leaves cmd as it is: without process groups, the
// context's end kills sh alone (os/exec's default Cancel), and WaitDelay
// still bounds the wait for pipes its children hold.
func setProcessGroup(*exec.Cmd) {}

// killGroup kills p alone.
func killGroup(p *os.Process) error {
	if p == nil {
		return os.ErrProcessDone
	}
	return p.Kill()
}
