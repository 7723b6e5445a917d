package sdjwt

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// Allowed signature algorithms. Everything else (none, HMAC, RSA) is refused
// before any key is touched.
var Allowed = []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA}

// ErrBadAlg marks a JWS whose alg is not one of Allowed.
var ErrBadAlg = errors.New("signature algorithm not allowed")

// ErrBadSignature marks a JWS that no candidate key verifies.
var ErrBadSignature = errors.New("signature does not verify")

// Header is the part of a JOSE header the verifier decides on.
type Header struct {
	Typ string `json:"typ"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

// DecodeHeader decodes a compact JWS's protected header without verifying.
func DecodeHeader(jwt string) (Header, error) {
	seg, _, ok := strings.Cut(jwt, ".")
	if !ok {
		return Header{}, fmt.Errorf("%w: JWS has no header segment", ErrMalformed)
	}
	var h Header
	if err := decodeSegment(seg, &h); err != nil {
		return Header{}, fmt.Errorf("%w: JWS header: %v", ErrMalformed, err)
	}
	return h, nil
}

// DecodePayload decodes a compact JWS's payload as a JSON object without
// verifying: the verifier needs "iss" to pick the keys.
func DecodePayload(jwt string) (map[string]any, error) {
	segs := strings.Split(jwt, ".")
	if len(segs) != 3 {
		return nil, fmt.Errorf("%w: JWS has %d parts", ErrMalformed, len(segs))
	}
	var m map[string]any
	if err := decodeSegment(segs[1], &m); err != nil {
		return nil, fmt.Errorf("%w: JWS payload: %v", ErrMalformed, err)
	}
	if m == nil {
		return nil, fmt.Errorf("%w: JWS payload is not a JSON object", ErrMalformed)
	}
	return m, nil
}

func decodeSegment(seg string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return fmt.Errorf("base64url: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("json: %w", err)
	}
	if dec.More() {
		return errors.New("json: trailing data")
	}
	return nil
}

// IsAllowedAlg reports whether alg is ES256 or EdDSA.
func IsAllowedAlg(alg string) bool {
	for _, a := range Allowed {
		if string(a) == alg {
			return true
		}
	}
	return false
}

// KeyFits reports whether a public JWK can verify alg: a P-256 key for ES256,
// an Ed25519 key for EdDSA, and the key's own "alg", when set, agrees.
func KeyFits(k jose.JSONWebKey, alg string) bool {
	if k.Algorithm != "" && k.Algorithm != alg {
		return false
	}
	switch key := k.Key.(type) {
	case *ecdsa.PublicKey:
		return alg == string(jose.ES256) && key.Curve == elliptic.P256()
	case ed25519.PublicKey:
		return alg == string(jose.EdDSA)
	}
	return false
}

// KeysFor picks the candidate keys for a JWS header's kid: every key when
// the header names none, else the keys with that kid, else (a JWKS written
// without kids) the keys that have no kid.
func KeysFor(keys []jose.JSONWebKey, kid string) []jose.JSONWebKey {
	if kid == "" {
		return keys
	}
	var byKid, noKid []jose.JSONWebKey
	for _, k := range keys {
		switch k.KeyID {
		case kid:
			byKid = append(byKid, k)
		case "":
			noKid = append(noKid, k)
		}
	}
	if len(byKid) > 0 {
		return byKid
	}
	return noKid
}

// Verify checks a compact JWS against candidate public keys and returns its
// payload. The alg must be allowed and match each key's type; the first key
// that verifies wins.
func Verify(jwt string, alg string, keys []jose.JSONWebKey) ([]byte, error) {
	if !IsAllowedAlg(alg) {
		return nil, fmt.Errorf("%w: %q", ErrBadAlg, alg)
	}
	jws, err := jose.ParseSignedCompact(jwt, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	tried := 0
	for _, k := range keys {
		if !KeyFits(k, alg) {
			continue
		}
		tried++
		payload, err := jws.Verify(k.Key)
		if err == nil {
			return payload, nil
		}
		if errors.Is(err, jose.ErrUnsupportedCriticalHeader) {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
	}
	if tried == 0 {
		return nil, fmt.Errorf("%w: no key fits alg %s", ErrBadSignature, alg)
	}
	return nil, fmt.Errorf("%w: tried %d key(s)", ErrBadSignature, tried)
}

// AlgFor names the JWS algorithm for a private or public key.
func AlgFor(k jose.JSONWebKey) (jose.SignatureAlgorithm, error) {
	switch key := k.Key.(type) {
	case *ecdsa.PrivateKey:
		if key.Curve == elliptic.P256() {
			return jose.ES256, nil
		}
	case *ecdsa.PublicKey:
		if key.Curve == elliptic.P256() {
			return jose.ES256, nil
		}
	case ed25519.PrivateKey, ed25519.PublicKey:
		return jose.EdDSA, nil
	}
	return "", fmt.Errorf("%w: key type %T", ErrBadAlg, k.Key)
}

// Sign makes a compact JWS of payload with a private JWK, setting typ and,
// when the key has one, kid.
func Sign(key jose.JSONWebKey, typ string, payload any) (string, error) {
	alg, err := AlgFor(key)
	if err != nil {
		return "", err
	}
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ))
	if key.KeyID != "" {
		opts = opts.WithHeader("kid", key.KeyID)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key.Key}, opts)
	if err != nil {
		return "", fmt.Errorf("signer: %w", err)
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("payload: %w", err)
	}
	jws, err := signer.Sign(body)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return jws.CompactSerialize()
}
