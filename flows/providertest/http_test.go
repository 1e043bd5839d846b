package providertest

import (
	"net/http"
	"testing"
)

// FuzzBasicCredentials checks that every id and secret survive RFC 6749
// §2.3.1 encoding and the fake's decoding, and that no header panics it.
func FuzzBasicCredentials(f *testing.F) {
	f.Add("AIK_CLIENT_tokentop:demo", "aik s3cret+%/demo", "Basic Zm9vOmJhcg==")
	f.Add("", "", "Basic")
	f.Add("ü:%", "a b+c", "basic !!!")
	f.Fuzz(func(t *testing.T, id, secret, header string) {
		r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", nil)
		r.Header.Set("Authorization", header)
		_, _, _ = basicCredentials(r)

		r.Header.Set("Authorization", basicHeader(id, secret))
		gotID, gotSecret, err := basicCredentials(r)
		if err != nil || gotID != id || gotSecret != secret {
			t.Fatalf("(%q, %q) came back as (%q, %q, %v)", id, secret, gotID, gotSecret, err)
		}
	})
}
