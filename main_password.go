package main

import (
	"os"
	"os/signal"
	"time"

	"golang.org/x/term"
)

// readPasswordOrSignal reads a password from the terminal fd without echo,
// as term.ReadPassword does, but one of endSignals ends the read at once,
// with the terminal as it was (echo on) and the signal returned. Without
// this, ReadPassword blocks in read(2) with echo off: a signal the process
// catches (run's context) leaves the prompt hanging, and one it does not
// kills it with echo still off.
func readPasswordOrSignal(fd int) ([]byte, os.Signal, error) {
	state, err := term.GetState(fd)
	if err != nil {
		return nil, nil, err
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, endSignals...)
	defer signal.Stop(sigs)
	type read struct {
		b   []byte
		err error
	}
	done := make(chan read, 1)
	// The read goroutine stays blocked after a signal: the process ends.
	go func() {
		b, err := term.ReadPassword(fd)
		done <- read{b, err}
	}()
	select {
	case r := <-done:
		select {
		case sig := <-sigs: // the terminal hung up: the read failed, SIGHUP came
			return nil, sig, nil
		default:
		}
		return r.b, nil, r.err
	case sig := <-sigs:
		// ReadPassword turns echo off on its own goroutine: let it have
		// done so (or failed) before restoring, so that restoring comes
		// last.
		for deadline := time.Now().Add(100 * time.Millisecond); time.Now().Before(deadline) && len(done) == 0; time.Sleep(time.Millisecond) {
			if st, err := term.GetState(fd); err != nil || *st != *state {
				break
			}
		}
		_ = term.Restore(fd, state)
		return nil, sig, nil
	}
}
