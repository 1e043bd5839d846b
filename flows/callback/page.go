package callback

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"sync"
)

// relayScript runs in the browser on the implicit grant's redirect page.
// The access token of the implicit grant comes in the URL fragment (RFC 6749
// §4.2.2), which a browser never sends to a server, so the page posts the
// fragment, as it is, as a form body to its own path and shows the answer.
// Once the listener has answered, it removes the fragment from the address
// bar and the history entry. If the listener is gone, the fragment is left in
// place so the person can paste the whole address into tokentop.
//
// Its text is hashed into the Content-Security-Policy: change it only here.
const relayScript = `(function () {
  var m = document.getElementById("m");
  fetch(location.pathname, {
    method: "POST",
    headers: {"Content-Type": "application/x-www-form-urlencoded"},
    body: location.hash.substring(1),
    credentials: "omit",
    cache: "no-store",
    redirect: "error"
  }).then(function (r) { return r.text(); }).then(function (t) {
    history.replaceState(null, "", location.pathname);
    m.textContent = t;
  }, function () {
    m.textContent = "tokentop is not listening any more. Copy this page's whole address, including the part after #, and paste it into tokentop.";
  });
})();`

// pageStyle is the pages' only styling, inline and hashed like the script,
// so that the pages load nothing from anywhere.
const pageStyle = `body{font-family:system-ui,sans-serif;margin:3em auto;max-width:36em;padding:0 1em;line-height:1.5}h1{font-size:1.2em}.d{color:#555;overflow-wrap:anywhere}`

// pageTemplate is the one page every answer of the listener uses. Message
// comes from a fixed set of sentences; Detail is a provider's error code and
// description, which html/template escapes. Nothing else of a request is
// ever shown: no code, state or token appears on any page. It is parsed on
// first use, so commands that never sign in do not pay for it.
var pageTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("callback").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer"><title>tokentop sign-in</title><style>` + pageStyle + `</style></head>
<body><h1>tokentop</h1><p id="m">{{.Message}}</p>{{if .Detail}}<p class="d">{{.Detail}}</p>{{end}}{{if .Relay}}<noscript><p>JavaScript is off: copy this page's whole address, including the part after #, and paste it into tokentop.</p></noscript><script>` + relayScript + `</script>{{end}}</body></html>
`))
})

// csp allows the one inline script and the one inline style by hash (CSP
// Level 2), a fetch to the listener itself, and nothing else: no external
// resource, no form target, no framing.
var csp = "default-src 'none'; script-src " + hashSource(relayScript) +
	"; style-src " + hashSource(pageStyle) +
	"; connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func hashSource(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// setSecurityHeaders puts the headers every answer carries. The redirect
// URL holds a code or token, so the page must not leak it through a Referer
// (RFC 9700 §4.2.4), be kept in a cache, be framed (RFC 6749 §10.13) or have
// its type guessed.
func setSecurityHeaders(h http.Header) {
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

// pageData fills pageTemplate.
type pageData struct {
	Message string
	Detail  string
	Relay   bool
}

// writePage answers with an HTML page.
func writePage(w http.ResponseWriter, status int, d pageData) {
	var buf bytes.Buffer
	if err := pageTemplate().Execute(&buf, d); err != nil {
		// The template is fixed and its data are strings: this cannot
		// happen, but never answer with half a page.
		writeText(w, http.StatusInternalServerError, "tokentop could not show this page.")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeText answers with plain text, which the relay script shows with
// textContent. It only ever carries one of the listener's fixed sentences.
func writeText(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg + "\n"))
}
