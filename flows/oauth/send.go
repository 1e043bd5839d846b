package oauth

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"tokentop/flows/fault"
	"tokentop/flows/redact"
)

// trace follows one request: whether it got a connection (after which
// a finish request is committed) and whether its headers were written.
type trace struct {
	mu        sync.Mutex
	committed bool
	abandoned bool // the caller gave up before the commit
	sent      atomic.Bool
}

// commit marks the request committed unless the caller gave up first, and
// reports whether it did.
func (w *trace) commit() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.abandoned {
		w.committed = true
	}
	return w.committed
}

// abandon marks the request given up unless it is committed, and reports
// whether it was.
func (w *trace) abandon() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.committed {
		w.abandoned = true
	}
	return w.abandoned
}

// send sends r once. It bounds the call by e.timeout when ctx has no
// deadline, reads at most maxBody bytes, and logs method, URL without query,
// status and latency at debug level, never a body or a header.
func (e *endpoint) send(ctx context.Context, r *request) (*response, error) {
	u, err := url.Parse(r.url)
	if err != nil {
		return nil, fmt.Errorf("%s is not a URL", r.key)
	}
	if err := checkWireURL(r.key, u); err != nil {
		return nil, err
	}
	wt := &trace{}
	callerCtx := ctx
	if r.finish {
		// Its own deadline, and the caller's cancellation only until the
		// request has a connection.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), e.timeout)
		defer cancel()
		stop := context.AfterFunc(callerCtx, func() {
			if wt.abandon() {
				cancel()
			}
		})
		defer stop()
	} else if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.timeout)
		defer cancel()
	}
	onCommit := fault.Committed(callerCtx)
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) {
			if wt.commit() && r.finish && onCommit != nil {
				onCommit()
			}
		},
		WroteHeaders: func() { wt.sent.Store(true) },
	})
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.what, err)
	}
	for k, vs := range r.header {
		req.Header[k] = append([]string(nil), vs...)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "tokentop")
	}
	logURL := u.Scheme + "://" + u.Host + u.EscapedPath()
	sentAt := e.now()
	start := time.Now()
	resp, err := e.http.Do(req)
	if err != nil {
		e.log.Debug("http", "method", r.method, "url", logURL, "err", "no answer", "sent", wt.sent.Load(), "latency", time.Since(start))
		return nil, e.transportError(ctx, callerCtx, r.what, err, wt.sent.Load())
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	lat := time.Since(start)
	e.log.Debug("http", "method", r.method, "url", logURL, "status", resp.StatusCode, "latency", lat)
	if err != nil {
		return nil, e.transportError(ctx, callerCtx, r.what, err, true)
	}
	if len(b) > maxBody {
		return nil, fmt.Errorf("%s: response too large (over %d bytes, HTTP %d)", r.what, maxBody, resp.StatusCode)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b, sentAt: sentAt, latency: lat}, nil
}

// transportError turns a failure to get an answer into one readable line.
// ctx is the request's context, callerCtx the caller's (the same unless the
// request is a finish one). A cancelled or expired ctx keeps its identity
// (errors.Is context.Canceled). sent says whether the request was written.
func (e *endpoint) transportError(ctx, callerCtx context.Context, what string, err error, sent bool) error {
	if ue, ok := err.(*url.Error); ok {
		err = ue.Err // its message repeats the URL, query included
	}
	msg := readableNetError(err)
	// Before the request was written, the caller giving up (or its
	// deadline) is the cause; after, only the request's own deadline is.
	cerr := callerCtx.Err()
	if cerr == nil || sent {
		cerr = ctx.Err()
	}
	if cerr != nil {
		if errors.Is(cerr, context.DeadlineExceeded) {
			msg = "timed out"
		} else {
			msg = "cancelled"
		}
		if sent && errors.Is(cerr, context.Canceled) {
			// Given up on after it was written: not a harmless
			// cancellation, the provider may have acted on it.
			return &fault.NoAnswerError{What: what, Msg: "abandoned after it was sent", Err: err, Sent: true}
		}
		return &fault.NoAnswerError{What: what, Msg: msg, Err: errors.Join(cerr, err), Sent: sent}
	}
	return &fault.NoAnswerError{What: what, Msg: msg, Err: err, Certificate: isCertificateError(err), Sent: sent}
}

// isCertificateError reports whether err is a failure to verify the
// server's certificate.
func isCertificateError(err error) bool {
	var ve *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &ve) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci)
}

// readableNetError names the usual TLS and network failures in words that
// say what to change.
func readableNetError(err error) string {
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	var ve *tls.CertificateVerificationError
	switch {
	case errors.As(err, &ua):
		return "certificate signed by unknown authority: set ca_file to the CA that signed it"
	case errors.As(err, &hn):
		return "certificate is not valid for this host name: check the URL (" + redact.Sanitize(hn.Error()) + ")"
	case errors.As(err, &ci):
		if ci.Reason == x509.Expired {
			return "certificate has expired or is not yet valid: check the server's certificate and this machine's clock"
		}
		return "invalid certificate: " + redact.Sanitize(ci.Error())
	case errors.As(err, &ve):
		return "certificate verification failed: " + redact.Sanitize(ve.Err.Error())
	case errors.Is(err, context.DeadlineExceeded), os.IsTimeout(err):
		return "timed out"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "connection closed before an answer"
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return "cannot connect: " + redact.Sanitize(oe.Err.Error())
	}
	return redact.Sanitize(err.Error())
}
