// Package etcdtest runs a real etcd on loopback for tests: one member on
// free ports with a temporary data dir, which a test can kill and restart
// on the same data.
package etcdtest

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// startWithin bounds how long etcd may take to answer after it starts.
const startWithin = 30 * time.Second

// TLS makes etcd serve its clients over HTTPS. With ClientCAFile set it
// also asks clients for a certificate signed by that CA
// (--client-cert-auth). Probe is what the readiness poll dials with.
type TLS struct {
	CertFile, KeyFile string
	ClientCAFile      string
	Probe             *tls.Config
}

// Server is one running etcd member.
type Server struct {
	// Endpoint is its client URL, http://127.0.0.1:PORT.
	Endpoint string

	bin, dir, log string
	client, peer  int
	tls           *TLS
	mu            sync.Mutex
	cmd           *exec.Cmd
	done          chan struct{}
}

// Binary returns the etcd binary's path. Without one the test is skipped,
// or fails under CI=true (CI installs etcd).
func Binary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("etcd"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("etcd is not installed (apt-get install etcd-server)")
	}
	t.Skip("etcd is not installed")
	return ""
}

// Start runs etcd on free loopback ports with a data dir under t.TempDir
// and waits until it answers; t.Cleanup kills it.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartTLS(t, nil)
}

// StartTLS is Start serving clients over HTTPS as cfg says; nil means
// plain HTTP.
func StartTLS(t testing.TB, cfg *TLS) *Server {
	t.Helper()
	s := &Server{bin: Binary(t), dir: filepath.Join(t.TempDir(), "etcd"), client: freePort(t), peer: freePort(t), tls: cfg}
	s.log = s.dir + ".log"
	scheme := "http"
	if cfg != nil {
		scheme = "https"
	}
	s.Endpoint = scheme + "://127.0.0.1:" + strconv.Itoa(s.client)
	t.Cleanup(s.Stop)
	s.Restart(t)
	return s
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Stop kills etcd (SIGKILL, as a crash) and waits for it to exit. It may
// be called mid-test and again by the cleanup.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

// Restart starts etcd again on the same ports and data dir (Start calls
// it first) and waits until it answers.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	peer := "http://127.0.0.1:" + strconv.Itoa(s.peer)
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{
		"--name", "default",
		"--data-dir", s.dir,
		"--listen-client-urls", s.Endpoint,
		"--advertise-client-urls", s.Endpoint,
		"--listen-peer-urls", peer,
		"--initial-advertise-peer-urls", peer,
		"--initial-cluster", "default=" + peer,
	}
	if c := s.tls; c != nil {
		args = append(args, "--cert-file", c.CertFile, "--key-file", c.KeyFile)
		if c.ClientCAFile != "" {
			args = append(args, "--client-cert-auth", "--trusted-ca-file", c.ClientCAFile)
		}
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("starting etcd: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	if err := s.waitReady(done); err != nil {
		s.Stop()
		b, _ := os.ReadFile(s.log)
		if len(b) > 4000 {
			b = b[len(b)-4000:]
		}
		t.Fatalf("etcd at %s: %v\n%s", s.Endpoint, err, b)
	}
}

// waitReady polls a range until etcd answers, until startWithin.
func (s *Server) waitReady(done <-chan struct{}) error {
	c := &http.Client{Timeout: time.Second}
	if s.tls != nil {
		c.Transport = &http.Transport{TLSClientConfig: s.tls.Probe}
		defer c.CloseIdleConnections()
	}
	deadline := time.Now().Add(startWithin)
	for {
		resp, err := c.Post(s.Endpoint+"/v3/kv/range", "application/json", bytes.NewReader([]byte(`{"key":"AA=="}`)))
		if err == nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			// With auth on, an anonymous range is refused: that answer
			// also means etcd serves.
			if resp.StatusCode == http.StatusOK || bytes.Contains(b, []byte("user name is empty")) {
				return nil
			}
		}
		select {
		case <-done:
			return fmt.Errorf("etcd exited")
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer within %s", startWithin)
		}
	}
}
