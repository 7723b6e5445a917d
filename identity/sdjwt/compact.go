// Package sdjwt implements the wire format of SD-JWT (RFC 9901) as used by
// SD-JWT VC: the compact serialization, disclosures and their digests, the
// processing that turns an issuer-signed payload plus disclosures into the
// disclosed claims, and the issuer and holder operations needed by the test
// wallet. Policy (which issuers, nonces, audiences are acceptable) lives in
// the identity package.
package sdjwt

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Separator between the parts of a compact SD-JWT.
const Separator = "~"

// MaxPresentationSize bounds what Split accepts, so a hostile body cannot make
// the verifier hash and parse megabytes.
const MaxPresentationSize = 256 << 10

// MaxDisclosures bounds the number of disclosures in one presentation.
const MaxDisclosures = 512

// ErrMalformed marks a presentation that is not an SD-JWT in compact form.
var ErrMalformed = errors.New("malformed SD-JWT")

// Presentation is an SD-JWT split into its parts, with the raw strings kept
// exactly as sent: digests and sd_hash are computed over them.
type Presentation struct {
	IssuerJWT   string
	Disclosures []string
	// KBJWT is empty when the presentation ends with "~" (no key binding).
	KBJWT string
	// SDHashInput is the presentation up to and including the last "~"
	// before the KB-JWT: the input of the KB-JWT's sd_hash.
	SDHashInput string
}

// Split parses the compact form
// <issuer-jwt>~<disclosure>~...~<disclosure>~[<kb-jwt>].
func Split(s string) (Presentation, error) {
	if len(s) > MaxPresentationSize {
		return Presentation{}, fmt.Errorf("%w: %d bytes exceeds the %d byte limit", ErrMalformed, len(s), MaxPresentationSize)
	}
	last := strings.LastIndex(s, Separator)
	if last < 0 {
		return Presentation{}, fmt.Errorf("%w: no %q separator", ErrMalformed, Separator)
	}
	p := Presentation{SDHashInput: s[:last+1], KBJWT: s[last+1:]}
	parts := strings.Split(s[:last], Separator)
	if len(parts)-1 > MaxDisclosures {
		return Presentation{}, fmt.Errorf("%w: %d disclosures exceeds the limit of %d", ErrMalformed, len(parts)-1, MaxDisclosures)
	}
	p.IssuerJWT = parts[0]
	if err := checkJWTShape(p.IssuerJWT); err != nil {
		return Presentation{}, fmt.Errorf("%w: issuer-signed JWT: %v", ErrMalformed, err)
	}
	for i, d := range parts[1:] {
		if d == "" {
			return Presentation{}, fmt.Errorf("%w: disclosure %d is empty", ErrMalformed, i+1)
		}
		if !isBase64URL(d) {
			return Presentation{}, fmt.Errorf("%w: disclosure %d is not base64url", ErrMalformed, i+1)
		}
	}
	p.Disclosures = parts[1:]
	if p.KBJWT != "" {
		if err := checkJWTShape(p.KBJWT); err != nil {
			return Presentation{}, fmt.Errorf("%w: KB-JWT: %v", ErrMalformed, err)
		}
	}
	return p, nil
}

// String reassembles the compact form.
func (p Presentation) String() string {
	return p.SDHashInput + p.KBJWT
}

// Join builds the SDHashInput form: issuer JWT and disclosures, each
// followed by "~".
func Join(issuerJWT string, disclosures []string) string {
	var b strings.Builder
	b.WriteString(issuerJWT)
	b.WriteString(Separator)
	for _, d := range disclosures {
		b.WriteString(d)
		b.WriteString(Separator)
	}
	return b.String()
}

// Hash is base64url(SHA-256(s)) without padding: the digest of a disclosure
// and the sd_hash of a KB-JWT (only sha-256 is supported).
func Hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func checkJWTShape(s string) error {
	segs := strings.Split(s, ".")
	if len(segs) != 3 {
		return fmt.Errorf("has %d dot-separated parts, want 3", len(segs))
	}
	for i, seg := range segs {
		// An empty signature is left to the alg check, which names it
		// (alg "none") more precisely than "malformed" would.
		if seg == "" && i < 2 {
			return fmt.Errorf("part %d is empty", i+1)
		}
		if !isBase64URL(seg) {
			return fmt.Errorf("part %d is not base64url", i+1)
		}
	}
	return nil
}

func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
