// Package wallet is a citizen's ID wallet and a test issuer: key generation,
// issuing SD-JWT VCs (and ISO mdocs, mdoc.go) into wallet files, presenting them to a frontdoor
// server, and signing status lists. cmd/fdwallet is its command line; tests
// use it to make real credentials.
package wallet

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"

	jose "github.com/go-jose/go-jose/v4"
)

// NewKey makes a private signing JWK for alg ES256 or EdDSA, with kid set to
// its RFC 7638 thumbprint.
func NewKey(alg string) (jose.JSONWebKey, error) {
	var priv any
	switch alg {
	case string(jose.ES256):
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return jose.JSONWebKey{}, fmt.Errorf("keygen: %w", err)
		}
		priv = k
	case string(jose.EdDSA):
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return jose.JSONWebKey{}, fmt.Errorf("keygen: %w", err)
		}
		priv = k
	default:
		return jose.JSONWebKey{}, fmt.Errorf("keygen: alg %q, want ES256 or EdDSA", alg)
	}
	k := jose.JSONWebKey{Key: priv, Algorithm: alg, Use: "sig"}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("keygen: thumbprint: %w", err)
	}
	k.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	return k, nil
}

// PublicSet is the JWKS publishing the public halves of keys.
func PublicSet(keys ...jose.JSONWebKey) jose.JSONWebKeySet {
	var set jose.JSONWebKeySet
	for _, k := range keys {
		set.Keys = append(set.Keys, k.Public())
	}
	return set
}

// LoadPrivateKey reads a private JWK file.
func LoadPrivateKey(path string) (jose.JSONWebKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("private key %s: %w", path, err)
	}
	var k jose.JSONWebKey
	if err := json.Unmarshal(data, &k); err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("private key %s: %w", path, err)
	}
	if k.IsPublic() || !k.Valid() {
		return jose.JSONWebKey{}, fmt.Errorf("private key %s: not a valid private JWK", path)
	}
	return k, nil
}

// WriteJSON writes v as indented JSON with the given permissions.
func WriteJSON(path string, v any, perm os.FileMode) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.WriteFile(path, append(data, '\n'), perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
