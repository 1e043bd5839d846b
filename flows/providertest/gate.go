package providertest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Gate is a TCP forwarder on 127.0.0.1 in front of a server, that can be
// shut for a while: while it is down, connections to its port are refused,
// as when a laptop's network is gone or a VPN drops, and connections it had
// are cut. Requests through it never reach the server then.
type Gate struct {
	addr   string // host:port it listens on, kept across Down and Up
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// NewGate starts a Gate forwarding to target (host:port) on an ephemeral
// port of 127.0.0.1.
func NewGate(target string) (*Gate, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("providertest: gate: %w", err)
	}
	g := &Gate{addr: ln.Addr().String(), target: target, conns: map[net.Conn]struct{}{}}
	g.serve(ln)
	return g, nil
}

// Addr returns the host:port the gate listens on.
func (g *Gate) Addr() string { return g.addr }

// Down refuses new connections and cuts the open ones.
func (g *Gate) Down() {
	g.mu.Lock()
	ln := g.ln
	g.ln = nil
	for c := range g.conns {
		c.Close()
	}
	g.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
}

// Up listens again on the same port. The port was free while the gate was
// down; another process may have taken it, which Up reports.
func (g *Gate) Up() error {
	g.mu.Lock()
	up := g.ln != nil
	g.mu.Unlock()
	if up {
		return nil
	}
	var ln net.Listener
	var err error
	// A port just closed can take a moment to be free again.
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if ln, err = net.Listen("tcp", g.addr); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("providertest: gate: %w", err)
	}
	g.serve(ln)
	return nil
}

// Close shuts the gate for good and waits for its goroutines.
func (g *Gate) Close() {
	g.Down()
	g.wg.Wait()
}

func (g *Gate) serve(ln net.Listener) {
	g.mu.Lock()
	g.ln = ln
	g.mu.Unlock()
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			g.wg.Add(1)
			go func() {
				defer g.wg.Done()
				g.forward(c)
			}()
		}
	}()
}

func (g *Gate) track(c net.Conn, on bool) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if on {
		if g.ln == nil {
			return false
		}
		g.conns[c] = struct{}{}
	} else {
		delete(g.conns, c)
	}
	return true
}

func (g *Gate) forward(c net.Conn) {
	defer c.Close()
	if !g.track(c, true) {
		return
	}
	defer g.track(c, false)
	up, err := net.DialTimeout("tcp", g.target, 5*time.Second)
	if err != nil {
		return
	}
	defer up.Close()
	if !g.track(up, true) {
		return
	}
	defer g.track(up, false)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, err := io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok && (err == nil || errors.Is(err, net.ErrClosed)) {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(up, c)
	go pipe(c, up)
	<-done
	<-done
}
