//go:build !unix

package flows

import (
	"os"
	"os/exec"
)

// secretOpenFlags: the systems without FIFOs need no non-blocking open.
const secretOpenFlags = os.O_RDONLY

// secretProcessGroup leaves cmd as it is: without process groups, the
// context's end kills sh alone (os/exec's default Cancel), and WaitDelay
// still bounds the wait for pipes its children hold.
func secretProcessGroup(*exec.Cmd) {}

// secretKillGroup kills p alone.
func secretKillGroup(p *os.Process) error {
	if p == nil {
		return os.ErrProcessDone
	}
	return p.Kill()
}
