package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkProxy compares 1,000 sequential requests through tokentop
// proxy (the real binary, on a loopback port) with 1,000 runs of
// `tokentop token NAME` each followed by the same request sent directly,
// and with 1,000 direct requests alone, to a loopback API that checks the
// bearer. The connection is an Aha! API key, so neither path waits for a
// provider. Reported: the three totals, and the proxy's overhead per
// request over a direct one (aim: under 0.3 ms).
//
//	go test -run '^$' -bench Proxy .
func BenchmarkProxy(b *testing.B) {
	const n = 1000
	const key = "aha_key_0123456789abcdef0123456789"
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+key {
			http.Error(w, "bad bearer", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer api.Close()
	dir := b.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	conf := fmt.Sprintf("[connections.aha-key]\nprovider = \"aha\"\nflow = \"api_key\"\nsubdomain = \"acme\"\napi_key = %q\napi_url = %q\n", key, api.URL)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		b.Fatal(err)
	}
	files := []string{"--config", cfg, "--state", filepath.Join(dir, "state", "tokentop.db")}
	p := startProxyArgs(b, append(files, "proxy", "aha-key", "--listen", "127.0.0.1:0")...)
	defer p.stop(syscall.SIGTERM)

	client := &http.Client{Timeout: 10 * time.Second}
	get := func(url, bearer string) {
		req, _ := http.NewRequest("GET", url, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: HTTP %d", url, resp.StatusCode)
		}
	}
	get(p.where+"/warm", "")
	get(api.URL+"/warm", key)

	var direct, proxied, tokenRuns time.Duration
	deadline := time.Now().Add(5 * time.Minute)
	for b.Loop() {
		start := time.Now()
		for range n {
			get(api.URL+"/v1/me", key)
		}
		direct += time.Since(start)
		start = time.Now()
		for range n {
			get(p.where+"/v1/me", "")
		}
		proxied += time.Since(start)
		start = time.Now()
		for range n {
			out, err := exec.Command(binPath, append(files, "token", "aha-key")...).Output()
			if err != nil {
				b.Fatalf("tokentop token: %v", err)
			}
			get(api.URL+"/v1/me", strings.TrimSpace(string(out)))
		}
		tokenRuns += time.Since(start)
		if time.Now().After(deadline) {
			b.Fatal("over five minutes: the machine is too busy to measure")
		}
	}
	loops := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / loops }
	b.ReportMetric(ms(proxied), "proxy-total-ms")
	b.ReportMetric(ms(tokenRuns), "token+direct-total-ms")
	b.ReportMetric(ms(direct), "direct-total-ms")
	b.ReportMetric(ms(proxied-direct)/n, "proxy-overhead-ms/req")
	b.ReportMetric(ms(tokenRuns-direct)/n, "token-overhead-ms/req")
}
