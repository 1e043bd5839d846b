package redact

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// secretForms lists the forms of s the Redactor must hide, with a Basic pair
// made with id.
func secretForms(id, s string) []string {
	pair := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(s)))
	return []string{s, url.QueryEscape(s), url.PathEscape(s), jsonEscape(s), pair,
		base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte("x" + s))}
}

func TestRedactorHidesEveryForm(t *testing.T) {
	tests := map[string]struct{ id, secret string }{
		"plain":             {"client", "s3cr3t-value"},
		"reserved chars":    {"id:with%colon", "p@ss:w%rd+with space/and?&="},
		"unicode":           {"tokentop", "pässwörd-ünïcode"},
		"json specials":     {"x", `quote"back\slash<tag>&`},
		"long token":        {"", strings.Repeat("eyJhbGciOiJIUzI1NiJ9.", 10)},
		"basic pair only 6": {"a", "abcdef"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := New()
			r.Add(tc.secret)
			pair := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(tc.id) + ":" + url.QueryEscape(tc.secret)))
			r.AddBasic(pair)
			for _, f := range secretForms(tc.id, tc.secret) {
				in := "before " + f + " after"
				out := r.Redact(in)
				if strings.Contains(out, f) {
					t.Errorf("form %q survived: %q", f, out)
				}
				if !strings.Contains(out, Placeholder) {
					t.Errorf("no marker in %q", out)
				}
				if !strings.HasPrefix(out, "before ") {
					t.Errorf("surrounding text lost: %q", out)
				}
			}
			if out := r.Redact("Authorization: Basic " + pair); out != "Authorization: Basic "+Placeholder {
				t.Errorf("basic header = %q", out)
			}
		})
	}
}

func TestRedactorIgnoresShortAndKeepsText(t *testing.T) {
	r := New()
	r.Add("abc", "", "12345")
	if got := r.Redact("abc 12345"); got != "abc 12345" {
		t.Errorf("short values Placeholder: %q", got)
	}
	var nilR *Redactor
	nilR.Add("whatever-secret")
	if got := nilR.Redact("x whatever-secret"); got != "x whatever-secret" {
		t.Errorf("nil redactor changed text: %q", got)
	}
}

func TestRedactorOverlapAndRebuild(t *testing.T) {
	r := New()
	r.Add("abcdefgh", "efghijkl", "D]zzzzzz")
	got := r.Redact("xxabcdefghijklxx")
	if got != "xx"+Placeholder+"xx" {
		t.Errorf("overlap = %q", got)
	}
	r.Add("qqqqqqqq")
	// Replacing qqqqqqqq would put "D]" before zzzzzz: that must go too.
	got = r.Redact("qqqqqqqqzzzzzz")
	if strings.Contains(got, "D]zzzzzz") || strings.Contains(got, "qqqqqqqq") {
		t.Errorf("rebuilt secret: %q", got)
	}
}

func TestRedactorConcurrent(t *testing.T) {
	r := New()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				s := fmt.Sprintf("secret-%d-%d", i, j)
				r.Add(s)
				if out := r.Redact("x " + s + " y"); strings.Contains(out, s) {
					t.Errorf("survived %q", out)
				}
			}
		}()
	}
	wg.Wait()
}

func TestRedactorHandler(t *testing.T) {
	r := New()
	r.Add("sentinel-secret-1", "sentinel-secret-2")
	var buf bytes.Buffer
	log := slog.New(r.Handler(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	log = log.With("conn", "sentinel-secret-1")
	log.WithGroup("g").Debug("message sentinel-secret-2",
		"s", "sentinel-secret-1",
		"err", errors.New("failed with sentinel-secret-2"),
		slog.Group("inner", "v", url.QueryEscape("sentinel-secret-1")),
		"n", 42)
	out := buf.String()
	for _, s := range []string{"sentinel-secret-1", "sentinel-secret-2"} {
		if strings.Contains(out, s) {
			t.Errorf("log has %q: %s", s, out)
		}
	}
	if !strings.Contains(out, "n=42") || !strings.Contains(out, Placeholder) {
		t.Errorf("log lost content: %s", out)
	}
}

func FuzzRedact(f *testing.F) {
	f.Add("client", "s3cr3t-value", "pre ", " post")
	f.Add("id:x", "p@ss:w%rd+with space", "", "")
	f.Add("", "D]zzzzzz", "[REDACTE", "")
	f.Add("tokentop", "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9", "Bearer ", "\n")
	f.Fuzz(func(t *testing.T, id, secret, pre, post string) {
		if len(secret) < MinLen || len(secret) > 256 || len(pre)+len(post) > 1024 {
			return
		}
		forms := secretForms(id, secret)
		for _, fm := range forms {
			if strings.Contains(Placeholder, fm) {
				return // a marker-sized secret cannot be hidden by that marker
			}
		}
		for _, core := range base64Cores(secret) {
			if strings.Contains(Placeholder, core) {
				return
			}
		}
		r := New()
		r.Add(secret)
		r.AddBasic(forms[4])
		text := pre + strings.Join(forms, pre+post) + post
		out := r.Redact(text)
		for _, fm := range forms {
			if strings.Contains(out, fm) {
				t.Fatalf("form %q of secret %q survived in %q", fm, secret, out)
			}
		}
		if r.Redact(out) != out {
			t.Fatalf("not stable: %q", out)
		}
	})
}

func ExampleRedactor() {
	red := New()
	red.Add("s3cr3t:value")
	fmt.Println(red.Redact("client_secret=" + url.QueryEscape("s3cr3t:value") + "&grant_type=client_credentials"))
	// Output: client_secret=[REDACTED]&grant_type=client_credentials
}
