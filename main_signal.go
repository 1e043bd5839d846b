package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// endSignals end the dashboard and a password prompt the way q and enter
// do, terminal restored and clean-up run: the terminal closing (SIGHUP),
// kill (SIGTERM), kill -INT, and SIGQUIT, whose Go default (a dump of every
// goroutine, exit 2) would leave the terminal raw and the demo's files
// behind.
var endSignals = []os.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM}

// signalStatus is the exit status for a process a signal ended: 128 + its
// number, as shells report it ($? is 130 after ctrl+c).
func signalStatus(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return exitSignal + int(s)
	}
	return exitAttention
}

// catchSignals returns a copy of parent that is cancelled when one of sigs
// arrives, and caught, which stops watching and says which signal arrived
// (nil for none): call it once the work ctx bounds has returned.
//
// A signal can also end the work through parent (run's
// signal.NotifyContext, which gets the same signals) before it reaches
// this function's own channel: the signal package hands a signal to one
// channel after another. When parent has ended, caught waits a moment for
// it.
//
// Unlike signal.NotifyContext's, the signals stay caught after caught
// returns, until the process exits: what follows is clean-up (the demo's
// directory), which a second signal (a terminal sends SIGHUP again, a
// person presses ctrl+c twice) must not cut short.
func catchSignals(parent context.Context, sigs ...os.Signal) (ctx context.Context, caught func() os.Signal) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	ctx, cancel := context.WithCancel(parent)
	var got os.Signal
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case got = <-ch:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, sync.OnceValue(func() os.Signal {
		cancel()
		<-done
		if got != nil {
			return got
		}
		if parent.Err() == nil {
			select {
			case got = <-ch: // came as the work ended another way (q)
			default:
			}
			return got
		}
		select {
		case got = <-ch:
		case <-time.After(250 * time.Millisecond):
		}
		return got
	})
}

// exitBySignal ends the process as sig would have: by sig itself, so that
// a shell running a loop of logins stops at ctrl+c as it does for sudo and
// ssh (a child that exits 130 instead makes bash go on), else with
// signalStatus(sig): for SIGQUIT, whose Go default dumps every goroutine,
// and for a signal the process inherited as ignored.
func exitBySignal(sig os.Signal) {
	if p, err := os.FindProcess(os.Getpid()); err == nil && sig != syscall.SIGQUIT {
		signal.Reset(sig)
		if p.Signal(sig) == nil {
			// Delivery to another thread of this process takes
			// microseconds; a second means the signal is ignored.
			time.Sleep(time.Second)
		}
	}
	os.Exit(signalStatus(sig))
}
