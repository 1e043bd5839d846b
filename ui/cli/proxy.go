package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"time"

	"tokentop/flows"
	"tokentop/flows/proxy"
)

// ProxyOptions are the inputs of tokentop proxy.
type ProxyOptions struct {
	Service *flows.Service
	Name    string
	// Listen is a loopback TCP address; empty listens on the Unix socket
	// proxy-NAME.sock in SocketDir (the state file's directory).
	Listen    string
	SocketDir string
	ErrOut    io.Writer
	// Until, when set, is called once the proxy listens, before it says
	// so, and returns the
	// context whose end stops it (main takes SIGINT and SIGTERM over from
	// there, so that they end the proxy with status 0).
	Until func(ctx context.Context) (context.Context, context.CancelFunc)
}

// Limits of the proxy's server: a slow or hostile client holds no
// goroutine forever, and a request's headers stay small.
const (
	proxyReadHeaderTimeout = 10 * time.Second
	proxyIdleTimeout       = 2 * time.Minute
	proxyMaxHeaderBytes    = 64 << 10
	proxyShutdownWait      = 5 * time.Second
)

// RunProxy serves the reverse proxy of one connection until ctx ends,
// then finishes the requests under way (for up to five seconds) and
// removes its socket.
func RunProxy(ctx context.Context, opts ProxyOptions) error {
	svc := opts.Service
	c := svc.Config().Connection(opts.Name)
	if c == nil {
		return usageErr(fmt.Errorf("%s: %w", opts.Name, flows.ErrUnknownConnection))
	}
	target, err := proxyTarget(c)
	if err != nil {
		return usageErr(fmt.Errorf("%s: %w", c.Name, err))
	}
	var tcp string
	if opts.Listen != "" {
		if tcp, err = proxy.LoopbackAddr(opts.Listen); err != nil {
			return usageErr(fmt.Errorf("proxy --listen %w", err))
		}
	}
	var logMu sync.Mutex
	logf := func(line string) {
		logMu.Lock()
		defer logMu.Unlock()
		fmt.Fprintln(opts.ErrOut, "tokentop: "+oneLine(line))
	}
	h, err := proxy.New(proxy.Options{
		Name: c.Name, Target: target, Tokens: svc, MinValid: c.RefreshBefore,
		Now: svc.Now, Redactor: svc.Redactor(), Log: logf, Conn: c,
	})
	if err != nil {
		return attentionErr(fmt.Errorf("%s: %w", c.Name, err))
	}
	if err := h.Prime(ctx); err != nil {
		return failed(forPeople(err, c.Name))
	}

	var l net.Listener
	var where, try string
	if tcp != "" {
		if l, err = net.Listen("tcp", tcp); err != nil {
			return attentionErr(fmt.Errorf("proxy: %w", err))
		}
		where = "http://" + l.Addr().String()
		try = "curl " + where + "/…"
		Warn(opts.ErrOut, "listening on TCP "+l.Addr().String()+": every local user can reach it and use "+c.Name+"'s token")
	} else {
		path := filepath.Join(opts.SocketDir, "proxy-"+c.Name+".sock")
		if len(path) > 107 {
			return attentionErr(fmt.Errorf("proxy: the socket path %s is too long for a Unix socket: use --listen 127.0.0.1:PORT", path))
		}
		ul, err := proxy.ListenUnix(path)
		if err != nil {
			return attentionErr(fmt.Errorf("proxy: %w", err))
		}
		l, where = ul, path
		try = "curl --unix-socket " + path + " http://" + c.Name + "/…"
	}
	if opts.Until != nil {
		var stop context.CancelFunc
		ctx, stop = opts.Until(ctx)
		defer stop()
	}
	fmt.Fprintf(opts.ErrOut, "tokentop: proxying %s (%s) on %s; %s\n", c.Name, target, where, try)

	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: proxyReadHeaderTimeout,
		IdleTimeout:       proxyIdleTimeout,
		MaxHeaderBytes:    proxyMaxHeaderBytes,
		ErrorLog:          proxy.LineLogger(svc.Redactor(), logf),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	select {
	case err := <-served:
		l.Close()
		return attentionErr(fmt.Errorf("proxy: %w", err))
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), proxyShutdownWait)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		logf("stopped with requests still under way")
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return attentionErr(fmt.Errorf("proxy: %w", err))
	}
	l.Close() // removes the socket (Shutdown has closed it already)
	fmt.Fprintf(opts.ErrOut, "tokentop: proxy of %s stopped\n", c.Name)
	return nil
}

// proxyTarget is where the proxy sends requests: api_url, else the origin
// (scheme://host[:port]) of check_url.
func proxyTarget(c *flows.Connection) (*url.URL, error) {
	raw := c.APIURL
	if raw == "" {
		if c.CheckURL == "" {
			return nil, errors.New("no api_url (nor check_url) to proxy to: set api_url in the config")
		}
		u, err := url.Parse(c.CheckURL)
		if err != nil {
			return nil, fmt.Errorf("check_url: %w", err)
		}
		return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("api_url %q is not an absolute URL", raw)
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}
