package sdjwt

import (
	"fmt"
	"sort"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Media types (JOSE "typ") of the three kinds of JWT involved.
const (
	TypVC       = "dc+sd-jwt"
	TypVCLegacy = "vc+sd-jwt"
	TypKB       = "kb+jwt"
)

// HashAlg is the only _sd_alg supported.
const HashAlg = "sha-256"

// StatusRef points at an entry of a Status List Token
// (draft-ietf-oauth-status-list).
type StatusRef struct {
	Idx int    `json:"idx"`
	URI string `json:"uri"`
}

// Credential is what an issuer signs into an SD-JWT VC.
type Credential struct {
	Issuer    string
	VCT       string
	IssuedAt  time.Time
	NotBefore time.Time // zero: no nbf
	Expiry    time.Time // zero: no exp
	// Holder is the holder's public key, carried as cnf.jwk.
	Holder jose.JSONWebKey
	Status *StatusRef
	// Disclosable claims become top-level selectively disclosable claims.
	Disclosable map[string]any
	// Plain claims are visible to every verifier.
	Plain map[string]any
	// Decoys adds that many decoy digests to _sd.
	Decoys int
}

// Issue signs a credential and returns it in compact form ending with "~"
// (issuer-signed JWT followed by all disclosures), ready for a wallet.
func Issue(key jose.JSONWebKey, c Credential) (string, error) {
	payload := map[string]any{}
	for k, v := range c.Plain {
		payload[k] = v
	}
	payload["iss"] = c.Issuer
	payload["vct"] = c.VCT
	payload["iat"] = c.IssuedAt.Unix()
	if !c.NotBefore.IsZero() {
		payload["nbf"] = c.NotBefore.Unix()
	}
	if !c.Expiry.IsZero() {
		payload["exp"] = c.Expiry.Unix()
	}
	if c.Holder.Key != nil {
		if !c.Holder.IsPublic() {
			return "", fmt.Errorf("issue: holder key must be public")
		}
		payload["cnf"] = map[string]any{"jwk": c.Holder}
	}
	if c.Status != nil {
		payload["status"] = map[string]any{"status_list": c.Status}
	}
	names := make([]string, 0, len(c.Disclosable))
	for k := range c.Disclosable {
		if _, clash := payload[k]; clash {
			return "", fmt.Errorf("issue: claim %q is both plain and disclosable", k)
		}
		names = append(names, k)
	}
	sort.Strings(names)
	var raws []string
	var digests []string
	for _, name := range names {
		d, err := NewDisclosure(name, c.Disclosable[name])
		if err != nil {
			return "", fmt.Errorf("issue: %w", err)
		}
		raws = append(raws, d.Raw)
		digests = append(digests, d.Digest)
	}
	for i := 0; i < c.Decoys; i++ {
		d, err := NewDisclosure("decoy", i)
		if err != nil {
			return "", fmt.Errorf("issue: %w", err)
		}
		digests = append(digests, d.Digest)
	}
	// Sorted digests hide the order (and so the names) of the claims.
	sort.Strings(digests)
	if len(digests) > 0 {
		payload[KeySD] = digests
		payload[KeySDAlg] = HashAlg
	}
	jwt, err := Sign(key, TypVC, payload)
	if err != nil {
		return "", fmt.Errorf("issue: %w", err)
	}
	return Join(jwt, raws), nil
}

// KBClaims is the payload of a Key Binding JWT.
type KBClaims struct {
	IssuedAt int64  `json:"iat"`
	Audience string `json:"aud"`
	Nonce    string `json:"nonce"`
	SDHash   string `json:"sd_hash"`
}

// Present builds a presentation of credential (compact form, as issued) that
// reveals only the top-level claims named in disclose (nil: all), bound to
// nonce and aud with a KB-JWT signed by the holder's private key.
func Present(credential string, disclose []string, holder jose.JSONWebKey, nonce, aud string, now time.Time) (string, error) {
	p, err := Split(credential)
	if err != nil {
		return "", fmt.Errorf("present: %w", err)
	}
	want := map[string]bool{}
	for _, n := range disclose {
		want[n] = true
	}
	var kept []string
	for _, raw := range p.Disclosures {
		d, err := ParseDisclosure(raw)
		if err != nil {
			return "", fmt.Errorf("present: %w", err)
		}
		if disclose == nil || want[d.Name] {
			kept = append(kept, raw)
		}
	}
	head := Join(p.IssuerJWT, kept)
	kb, err := Sign(holder, TypKB, KBClaims{IssuedAt: now.Unix(), Audience: aud, Nonce: nonce, SDHash: Hash(head)})
	if err != nil {
		return "", fmt.Errorf("present: key binding: %w", err)
	}
	return head + kb, nil
}
