package sdjwt

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// ErrBadDisclosure marks disclosures that do not fit the issuer-signed
// payload: undecodable, unused, duplicated, clashing or reserved names.
var ErrBadDisclosure = errors.New("bad disclosure")

// Reserved keys of the SD-JWT payload.
const (
	KeySD    = "_sd"
	KeySDAlg = "_sd_alg"
	KeyArray = "..."
)

// Disclosure is one decoded disclosure. Name is empty for an array element.
type Disclosure struct {
	Raw    string
	Digest string
	Salt   string
	Name   string
	Value  any
	// ArrayElement is true for the two-element form [salt, value].
	ArrayElement bool
}

// ParseDisclosure decodes base64url(JSON [salt, name, value] or [salt, value]).
func ParseDisclosure(raw string) (Disclosure, error) {
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return Disclosure{}, fmt.Errorf("%w: base64url: %v", ErrBadDisclosure, err)
	}
	var arr []json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&arr); err != nil || dec.More() {
		return Disclosure{}, fmt.Errorf("%w: not a JSON array", ErrBadDisclosure)
	}
	d := Disclosure{Raw: raw, Digest: Hash(raw)}
	if len(arr) != 2 && len(arr) != 3 {
		return Disclosure{}, fmt.Errorf("%w: array has %d elements, want 2 or 3", ErrBadDisclosure, len(arr))
	}
	if err := json.Unmarshal(arr[0], &d.Salt); err != nil {
		return Disclosure{}, fmt.Errorf("%w: salt is not a string", ErrBadDisclosure)
	}
	valueAt := 1
	if len(arr) == 3 {
		if err := json.Unmarshal(arr[1], &d.Name); err != nil {
			return Disclosure{}, fmt.Errorf("%w: claim name is not a string", ErrBadDisclosure)
		}
		if d.Name == KeySD || d.Name == KeyArray {
			return Disclosure{}, fmt.Errorf("%w: claim name %q is reserved", ErrBadDisclosure, d.Name)
		}
		valueAt = 2
	} else {
		d.ArrayElement = true
	}
	if err := json.Unmarshal(arr[valueAt], &d.Value); err != nil {
		return Disclosure{}, fmt.Errorf("%w: value: %v", ErrBadDisclosure, err)
	}
	return d, nil
}

// NewDisclosure encodes a disclosure with a fresh 128-bit salt. An empty
// name makes an array element disclosure.
func NewDisclosure(name string, value any) (Disclosure, error) {
	var salt [16]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return Disclosure{}, fmt.Errorf("salt: %w", err)
	}
	return EncodeDisclosure(base64.RawURLEncoding.EncodeToString(salt[:]), name, value)
}

// EncodeDisclosure encodes a disclosure with a given salt.
func EncodeDisclosure(salt, name string, value any) (Disclosure, error) {
	arr := []any{salt, name, value}
	if name == "" {
		arr = []any{salt, value}
	}
	b, err := json.Marshal(arr)
	if err != nil {
		return Disclosure{}, fmt.Errorf("disclosure %q: %w", name, err)
	}
	raw := base64.RawURLEncoding.EncodeToString(b)
	return Disclosure{Raw: raw, Digest: Hash(raw), Salt: salt, Name: name, Value: value, ArrayElement: name == ""}, nil
}
