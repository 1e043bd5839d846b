package seal_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"tokentop/store/seal"
)

func mustKey(t testing.TB, secret, info string) *seal.Key {
	t.Helper()
	k, err := seal.New([]byte(secret), info)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	k := mustKey(t, "material-0123456789abcdef", "tokentop state v1")
	plain := []byte(`{"v":1,"state":{"token":{"access_token":"at-SECRET"}}}`)
	b, err := k.Seal("states/aha", plain)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("at-SECRET")) {
		t.Fatal("the envelope holds the plain text")
	}
	if kid, ok := seal.Sealed(b); !ok || kid != k.ID() || len(kid) != 8 {
		t.Fatalf("Sealed = %q, %v; ID %q", kid, ok, k.ID())
	}
	if _, ok := seal.Sealed(plain); ok {
		t.Fatal("a plain state reads as sealed")
	}
	got, err := k.Open("states/aha", b)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	b2, _ := k.Seal("states/aha", plain)
	if bytes.Equal(b, b2) {
		t.Fatal("two seals of one value are equal: the nonce is not fresh")
	}

	for name, tc := range map[string]struct {
		key  *seal.Key
		ad   string
		b    []byte
		want string
	}{
		"other ad":        {k, "states/bolt", b, "does not open"},
		"other info":      {mustKey(t, "material-0123456789abcdef", "tokentop team v1"), "states/aha", b, "not this one"},
		"other secret":    {mustKey(t, "other-material-012345678", "tokentop state v1"), "states/aha", b, "not this one"},
		"plain":           {k, "states/aha", plain, "not sealed"},
		"newer envelope":  {k, "states/aha", bytes.Replace(b, []byte(`"v":1`), []byte(`"v":2`), 1), "version 2"},
		"altered":         {k, "states/aha", altered(t, b), "does not open"},
		"malformed nonce": {k, "states/aha", bytes.Replace(b, []byte(`"nonce":"`), []byte(`"nonce":"AAAA`), 1), "malformed nonce"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tc.key.Open(tc.ad, tc.b)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "SECRET") {
				t.Fatalf("Open = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := mustKey(t, "x-other-material-0123456", "i").Open("states/aha", b); !errors.Is(err, seal.ErrOtherKey) {
		t.Fatalf("another key's error %v does not wrap ErrOtherKey", err)
	}
	if _, err := seal.New(nil, "i"); err == nil {
		t.Fatal("New accepted empty key material")
	}
}

// altered flips one bit of the cipher text of envelope b.
func altered(t *testing.T, b []byte) []byte {
	var env map[string]any
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	ct, _ := base64.StdEncoding.DecodeString(env["ct"].(string))
	ct[0] ^= 1
	env["ct"] = ct
	out, _ := json.Marshal(env)
	return out
}

// FuzzOpen checks that no stored bytes make Sealed or Open panic, that
// only the value sealed opens, and that errors never quote the input.
func FuzzOpen(f *testing.F) {
	k := mustKey(f, "fuzz-material-0123456789", "tokentop state v1")
	b, _ := k.Seal("states/fuzz", []byte(`{"v":1,"state":{}}`))
	f.Add(b)
	f.Add([]byte(`{"v":1,"state":{}}`))
	f.Add([]byte(`{"v":1,"kid":"` + k.ID() + `","nonce":"AAAAAAAAAAAAAAAA","ct":"AAAA"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		kid, sealed := seal.Sealed(in)
		out, err := k.Open("states/fuzz", in)
		switch {
		case err == nil && (!sealed || kid != k.ID()):
			t.Fatalf("opened a value Sealed says is not this key's (%q, %v)", kid, sealed)
		case err == nil && !bytes.Equal(out, []byte(`{"v":1,"state":{}}`)):
			t.Fatalf("opened to %q: a forgery", out)
		case err != nil && len(in) > 8 && strings.Contains(err.Error(), string(in)):
			t.Fatalf("the error quotes the input: %v", err)
		}
	})
}
