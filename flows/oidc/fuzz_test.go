package oidc

import (
	"context"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// FuzzIDToken: no compact JWS, however malformed, makes Verify panic, and
// none is accepted against a fixed JWKS whose private key the fuzzer does
// not have. The seeds include tokens that key did sign, with a wrong nonce,
// so that mutations start next to a signature that verifies.
func FuzzIDToken(f *testing.F) {
	c := goodClaims()
	c["nonce"] = "another nonce"
	f.Add(sign(f, edKey, jose.EdDSA, "ed", c))
	f.Add(sign(f, edKey, jose.EdDSA, "", c))
	f.Add("eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2lkLmV4YW1wbGUifQ.")
	f.Add("eyJhbGciOiJIUzI1NiJ9.e30.c2ln")
	f.Add("a.b.c")
	set := jwks(f, jose.JSONWebKey{Key: edKey.Public(), KeyID: "ed"})
	keys, err := ParseJWKS(set)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		ks := &KeySet{url: "u", keys: keys, loaded: true, refetched: testNow}
		fetch := func(context.Context, string) ([]byte, error) { return set, nil }
		ex := expect()
		ex.Now = testNow.Add(time.Second)
		if claims, err := Verify(context.Background(), raw, ks, fetch, ex); err == nil {
			t.Fatalf("accepted %q: %v", raw, claims)
		}
	})
}

// FuzzJWKS: ParseJWKS never panics, and what it returns is a bounded list
// of valid public keys.
func FuzzJWKS(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"ed","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","kid":"r","use":"sig","alg":"RS256","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","k":"AAAA"},{"kty":"XYZ"}]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		keys, err := ParseJWKS(doc)
		if err != nil {
			return
		}
		if len(keys) == 0 || len(keys) > maxKeys {
			t.Fatalf("%d keys without an error", len(keys))
		}
		for _, k := range keys {
			if !k.IsPublic() || !k.Valid() {
				t.Fatalf("key %q is not a valid public key", k.KeyID)
			}
		}
	})
}
