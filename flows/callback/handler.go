package callback

import (
	"crypto/subtle"
	"errors"
	"io"
	"log"
	"mime"
	"net/http"
	"net/url"
	"sync"
	"unicode"
	"unicode/utf8"

	"tokentop/flows/redact"
)

// handler answers the browser's requests to the redirect URI. It is an
// http.Handler of its own so that it can be tested and fuzzed without a
// listener.
type handler struct {
	path  string
	state string
	mode  Mode
	// iss is the RFC 9207 check of the response's issuer; the zero
	// value checks nothing.
	iss Issuer
	// log notes each refused request by its method and kind, never its
	// path, query or body.
	log *log.Logger

	mu   sync.Mutex
	done bool // a redirect ended the sign-in: the state is spent
	// results receives the one redirect that ends the sign-in.
	results chan outcome
}

// outcome is what Wait returns.
type outcome struct {
	vals url.Values
	err  error
}

func newHandler(path, state string, mode Mode, iss Issuer) *handler {
	return &handler{
		path:    path,
		state:   state,
		mode:    mode,
		iss:     iss,
		log:     log.New(io.Discard, "", 0),
		results: make(chan outcome, 1),
	}
}

// kind is what one redirect amounts to.
type kind int

const (
	accepted     kind = iota // right state and a code or token: the sign-in succeeded
	denied                   // error=access_denied
	failed                   // another error=…
	noCredential             // right state but no code or token
	wrongIssuer              // right state, but iss is not the issuer (or missing): RFC 9207
	mismatch                 // state missing or wrong: not this sign-in's redirect
	malformed                // repeated parameters, control characters, bad encoding
	replayed                 // right state, but a redirect already ended the sign-in
)

// final reports whether the redirect ends the sign-in. Only a redirect that
// carries the state can: one stray or forged request cannot (RFC 6749 §10.12).
func (k kind) final() bool { return k <= wrongIssuer }

// messages are the sentences the browser shows. None of them quotes the
// request.
var messages = map[kind]string{
	accepted:     "Signed in. You can close this tab and return to tokentop.",
	denied:       "Sign-in failed: you declined access.",
	failed:       "Sign-in failed: the provider reported an error.",
	noCredential: "Sign-in failed: the provider's answer holds no code or token.",
	wrongIssuer:  "Sign-in refused: this answer did not come from the expected authorization server (RFC 9207).",
	mismatch:     "This sign-in link is not valid (state mismatch).",
	malformed:    "This sign-in link is not valid (malformed parameters).",
	replayed:     "This sign-in link was already used.",
}

func (k kind) pasteError() error {
	switch k {
	case mismatch:
		return errors.New("the pasted URL belongs to another sign-in (state mismatch)")
	case malformed:
		return errors.New("the pasted URL has malformed parameters")
	case replayed:
		return errors.New("this sign-in already finished")
	}
	return nil
}

// verdict is the listener's decision on one redirect.
type verdict struct {
	kind   kind
	detail string // the provider's error, made safe; empty otherwise
	err    error  // what Wait returns when kind is final
}

var (
	errMalformed = errors.New("malformed parameters")
	errNoCode    = errors.New("authorization failed: the redirect has no code")
	errNoToken   = errors.New("authorization failed: the redirect has no access token")
)

// parseParams parses a query or a relayed fragment strictly: a parameter
// given twice is refused rather than guessed at (RFC 6749 §3.1: parameters
// must not be included more than once), and so is a name or value with a
// control character, a NUL or invalid UTF-8, which no provider sends and
// which could confuse what the values are later written to.
func parseParams(raw string) (url.Values, error) {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return nil, errMalformed
	}
	for k, vs := range vals {
		if len(vs) != 1 || !clean(k) || !clean(vs[0]) {
			return nil, errMalformed
		}
	}
	return vals, nil
}

// clean reports whether s is valid UTF-8 without control characters.
func clean(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// consider decides on one redirect's parameters and, when they end the
// sign-in, hands the result to Wait. The state is single-use: after one
// redirect ended the sign-in, a replay is refused.
func (h *handler) consider(vals url.Values, parseErr error) verdict {
	if parseErr != nil {
		return verdict{kind: malformed}
	}
	// Constant time: the answer must not tell a guesser how much of the
	// state was right.
	if got := vals.Get("state"); got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(h.state)) != 1 {
		return verdict{kind: mismatch}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done {
		return verdict{kind: replayed}
	}
	v := judge(vals, h.mode)
	if ie := h.iss.check(vals); ie != nil {
		// RFC 9207 §2.4: a response from another issuer is rejected
		// whatever it says, before any code is exchanged.
		v = verdict{kind: wrongIssuer, err: ie}
	}
	h.done = true
	res := outcome{err: v.err}
	if v.kind == accepted {
		res.vals = vals
	}
	select {
	case h.results <- res: // done makes this the only send
	default:
	}
	return v
}

// judge reads a redirect whose state is right.
func judge(vals url.Values, mode Mode) verdict {
	if code, ok := vals["error"]; ok {
		// RFC 6749 §4.1.2.1 and §4.2.2.1.
		if code[0] == "access_denied" {
			return verdict{kind: denied, err: ErrAccessDenied}
		}
		detail := redact.Sanitize(code[0])
		if desc := redact.Sanitize(vals.Get("error_description")); desc != "" {
			detail += ": " + desc
		}
		return verdict{kind: failed, detail: detail, err: errors.New("authorization failed: " + detail)}
	}
	if mode == Fragment {
		if vals.Get("access_token") == "" {
			return verdict{kind: noCredential, err: errNoToken}
		}
		return verdict{kind: accepted}
	}
	if vals.Get("code") == "" {
		return verdict{kind: noCredential, err: errNoCode}
	}
	return verdict{kind: accepted}
}

func (v verdict) status() int {
	if v.kind == accepted {
		return http.StatusOK
	}
	return http.StatusBadRequest
}

// ServeHTTP serves only the redirect URI's path. In Code mode that is
// GET ?code=…&state=…. In Fragment mode a GET without the token serves the
// relay page, whose script POSTs the fragment to the same path as an
// application/x-www-form-urlencoded body; the answer is plain text the page
// shows.
//
// In Fragment mode a GET whose query carries access_token or error is judged
// like a fragment: RFC 6749 §4.2.2 puts the token in the fragment, but Aha!'s
// document only says the redirect "will include a parameter named
// access_token". Accepting it costs nothing: the same state check applies,
// nothing of it is logged, and the page never shows it.
//
// It never redirects, and no answer quotes the request.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	if !loopbackHost(r.Host) {
		h.refuse(r, "foreign Host")
		writePage(w, http.StatusMisdirectedRequest, pageData{Message: "Not found."})
		return
	}
	if r.URL.Path != h.path {
		h.refuse(r, "not the redirect path")
		writePage(w, http.StatusNotFound, pageData{Message: "Not found."})
		return
	}
	switch {
	case r.Method == http.MethodGet && h.mode == Code:
		h.serveRedirect(w, r)
	case r.Method == http.MethodGet:
		vals, err := parseParams(r.URL.RawQuery)
		if err != nil || vals.Has("access_token") || vals.Has("error") {
			h.serveRedirect(w, r)
			return
		}
		writePage(w, http.StatusOK, pageData{Message: "Finishing sign-in…", Relay: true})
	case r.Method == http.MethodPost && h.mode == Fragment:
		h.serveRelay(w, r)
	default:
		h.refuse(r, "method not allowed")
		if h.mode == Fragment {
			w.Header().Set("Allow", "GET, POST")
		} else {
			w.Header().Set("Allow", "GET")
		}
		writePage(w, http.StatusMethodNotAllowed, pageData{Message: "Method not allowed."})
	}
}

// refuse logs a request that did not end the sign-in. why is one of the
// listener's fixed words: the request's path, query and body hold a code, a
// token or a state, and are never logged.
func (h *handler) refuse(r *http.Request, why string) {
	h.log.Printf("refused a %s request: %s", r.Method, why)
}

// reasons are what refuse logs for each kind that does not end the sign-in.
var reasons = map[kind]string{
	mismatch:  "state mismatch",
	malformed: "malformed parameters",
	replayed:  "state already used",
}

// serveRedirect judges a redirect that carries its parameters in the query.
func (h *handler) serveRedirect(w http.ResponseWriter, r *http.Request) {
	v := h.consider(parseParams(r.URL.RawQuery))
	if !v.kind.final() {
		h.refuse(r, reasons[v.kind])
	}
	writePage(w, v.status(), pageData{Message: messages[v.kind], Detail: v.detail})
}

// serveRelay judges the fragment the relay page posts.
func (h *handler) serveRelay(w http.ResponseWriter, r *http.Request) {
	// Only the relay page of this listener posts here: a page of another
	// origin (which would still need the state) is turned away.
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Scheme != "http" || !loopbackHost(u.Host) {
			h.refuse(r, "foreign Origin")
			writeText(w, http.StatusForbidden, "Forbidden.")
			return
		}
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		h.refuse(r, "unsupported content type")
		writeText(w, http.StatusUnsupportedMediaType, "Unsupported content type.")
		return
	}
	if r.URL.RawQuery != "" {
		h.refuse(r, "a query on the relay")
		writeText(w, http.StatusBadRequest, messages[malformed])
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.refuse(r, "body too large")
			writeText(w, http.StatusRequestEntityTooLarge, "Request too large.")
			return
		}
		h.refuse(r, "unreadable body")
		writeText(w, http.StatusBadRequest, messages[malformed])
		return
	}
	v := h.consider(parseParams(string(body)))
	if !v.kind.final() {
		h.refuse(r, reasons[v.kind])
	}
	writeText(w, v.status(), messages[v.kind])
}
