package identity

import (
	"encoding/json"
	"fmt"
	"os"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/frontdoor-project/frontdoor/identity/sdjwt"
)

// IssuerKeys is a trusted issuer: credentials whose iss equals Issuer are
// verified with Keys.
type IssuerKeys struct {
	Issuer string
	Keys   jose.JSONWebKeySet
}

// MaxJWKSBytes bounds a JWKS file.
const MaxJWKSBytes = 1 << 20

// LoadJWKS reads a JWKS file (see ParseJWKS).
func LoadJWKS(path string) (jose.JSONWebKeySet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("jwks %s: %w", path, err)
	}
	set, err := ParseJWKS(data)
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("jwks %s: %w", path, err)
	}
	return set, nil
}

// LoadIssuer reads the JWKS file of one issuer.
func LoadIssuer(iss, jwksPath string) (IssuerKeys, error) {
	set, err := LoadJWKS(jwksPath)
	if err != nil {
		return IssuerKeys{}, fmt.Errorf("issuer %s: %w", iss, err)
	}
	return IssuerKeys{Issuer: iss, Keys: set}, nil
}

// ParseJWKS decodes a JWK Set of issuer verification keys. It refuses private
// keys (a JWKS to publish must not hold them), keys that fit neither ES256
// (P-256) nor EdDSA (Ed25519), duplicate kids and an empty set.
func ParseJWKS(data []byte) (jose.JSONWebKeySet, error) {
	if len(data) > MaxJWKSBytes {
		return jose.JSONWebKeySet{}, fmt.Errorf("%d bytes exceeds the %d byte limit", len(data), MaxJWKSBytes)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(data, &set); err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("decode: %w", err)
	}
	if len(set.Keys) == 0 {
		return jose.JSONWebKeySet{}, fmt.Errorf("no keys")
	}
	kids := map[string]bool{}
	for i, k := range set.Keys {
		if !k.Valid() {
			return jose.JSONWebKeySet{}, fmt.Errorf("key %d: invalid", i)
		}
		if !k.IsPublic() {
			return jose.JSONWebKeySet{}, fmt.Errorf("key %d (kid %q): holds private key material", i, k.KeyID)
		}
		if k.Use != "" && k.Use != "sig" {
			return jose.JSONWebKeySet{}, fmt.Errorf("key %d (kid %q): use %q, want sig", i, k.KeyID, k.Use)
		}
		if !sdjwt.KeyFits(k, "ES256") && !sdjwt.KeyFits(k, "EdDSA") {
			return jose.JSONWebKeySet{}, fmt.Errorf("key %d (kid %q): not a P-256 (ES256) or Ed25519 (EdDSA) key", i, k.KeyID)
		}
		if k.KeyID != "" {
			if kids[k.KeyID] {
				return jose.JSONWebKeySet{}, fmt.Errorf("key %d: duplicate kid %q", i, k.KeyID)
			}
			kids[k.KeyID] = true
		}
	}
	return set, nil
}
