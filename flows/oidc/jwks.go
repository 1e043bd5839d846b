package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Limits of a key set. A JWKS names a handful of keys; one that names
// thousands is not an issuer's.
const (
	// MaxJWKS is the most of a JWKS document that ParseJWKS reads; the
	// Fetch passed to Verify must cap its read at it too.
	MaxJWKS = 256 << 10
	// maxKeys is the most keys kept of one document.
	maxKeys = 64
	// MinRefetch is how long after a refetch for an unknown kid another one
	// waits: a token with a bogus kid cannot make tokentop hammer the
	// issuer, and a rotated key is still found at once.
	MinRefetch = time.Minute
)

// Fetch reads the JWKS document at url, with the deadlines and the size cap
// (MaxJWKS) of the caller's HTTP client.
type Fetch func(ctx context.Context, url string) ([]byte, error)

// ParseJWKS reads a JSON Web Key Set (RFC 7517 §5). Keys it cannot use are
// skipped, as §5 asks: unknown key types, symmetric ("oct") keys, which an
// issuer never publishes for ID tokens, keys whose "use" is not "sig", and
// malformed members. Only the public half of a key is kept, should an
// issuer publish a private one. A document without a usable key is an
// error.
func ParseJWKS(doc []byte) ([]jose.JSONWebKey, error) {
	if len(doc) > MaxJWKS {
		return nil, errors.New("the JWKS is too large")
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		return nil, errors.New("the JWKS is not a JSON object with keys")
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		if len(keys) == maxKeys {
			break
		}
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			continue
		}
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		switch k.Key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
			k = k.Public()
		default:
			continue
		}
		if !k.Valid() {
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("the JWKS has no usable signing key")
	}
	return keys, nil
}

// KeySet is the cached JWKS of one issuer. The keys are read on first use
// and read again when a token names a kid that is not among them, at most
// once per MinRefetch.
type KeySet struct {
	url string

	mu        sync.Mutex
	keys      []jose.JSONWebKey
	loaded    bool
	refetched time.Time // the last refetch for an unknown kid
}

var registry = struct {
	sync.Mutex
	m map[string]*KeySet
}{m: map[string]*KeySet{}}

// Keys returns the key set of jwksURL, shared by every connection of the
// process that names it: each issuer's keys are fetched once per process,
// not once per sign-in.
func Keys(jwksURL string) *KeySet {
	registry.Lock()
	defer registry.Unlock()
	ks := registry.m[jwksURL]
	if ks == nil {
		ks = &KeySet{url: jwksURL}
		registry.m[jwksURL] = ks
	}
	return ks
}

// candidates returns the keys that may have signed a token with header kid
// and alg, fetching the set first if it was never read, and again when no
// key matches and the last refetch was MinRefetch ago or more. The lock is
// held across the fetch, so concurrent sign-ins fetch once.
func (ks *KeySet) candidates(ctx context.Context, kid, alg string, now time.Time, fetch Fetch) ([]jose.JSONWebKey, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if !ks.loaded {
		if err := ks.fetchLocked(ctx, fetch); err != nil {
			return nil, err
		}
	}
	if c := matching(ks.keys, kid, alg); len(c) > 0 {
		return c, nil
	}
	if !ks.refetched.IsZero() && now.Sub(ks.refetched) < MinRefetch {
		return nil, refuse("id_token key %s is not in the issuer's JWKS", describeKid(kid))
	}
	ks.refetched = now
	if err := ks.fetchLocked(ctx, fetch); err != nil {
		return nil, err
	}
	if c := matching(ks.keys, kid, alg); len(c) > 0 {
		return c, nil
	}
	return nil, refuse("id_token key %s is not in the issuer's JWKS", describeKid(kid))
}

func (ks *KeySet) fetchLocked(ctx context.Context, fetch Fetch) error {
	doc, err := fetch(ctx, ks.url)
	if err != nil {
		return fmt.Errorf("id_token cannot be verified: jwks_uri: %w", err)
	}
	keys, err := ParseJWKS(doc)
	if err != nil {
		return fmt.Errorf("id_token cannot be verified: jwks_uri: %w", err)
	}
	ks.keys, ks.loaded = keys, true
	return nil
}

func describeKid(kid string) string {
	if kid == "" {
		return "(no kid)"
	}
	return fmt.Sprintf("kid %q", clean(kid, 40))
}

// matching returns the keys of the set that fit a header's kid and alg: the
// same kid when the header names one, a declared alg equal to it, and a key
// type that alg uses.
func matching(keys []jose.JSONWebKey, kid, alg string) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, k := range keys {
		if kid != "" && k.KeyID != kid {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != alg {
			continue
		}
		if !fits(k.Key, alg) {
			continue
		}
		out = append(out, k)
	}
	return out
}

// fits reports whether key can verify signatures of alg (RFC 7518 §3.1,
// RFC 8037 §3.1).
func fits(key any, alg string) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		switch jose.SignatureAlgorithm(alg) {
		case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
			return true
		}
	case *ecdsa.PublicKey:
		switch jose.SignatureAlgorithm(alg) {
		case jose.ES256:
			return k.Curve.Params().BitSize == 256
		case jose.ES384:
			return k.Curve.Params().BitSize == 384
		case jose.ES512:
			return k.Curve.Params().BitSize == 521
		}
	case ed25519.PublicKey:
		return jose.SignatureAlgorithm(alg) == jose.EdDSA
	}
	return false
}
