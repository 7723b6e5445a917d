package sip

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"time"
)

// Digest algorithms offered in challenges (RFC 8760 adds SHA-256 to RFC 3261's MD5).
const (
	AlgMD5    = "MD5"
	AlgSHA256 = "SHA-256"
)

// nonceLife bounds how long a challenge can be answered; older nonces are "stale".
const nonceLife = 5 * time.Minute

// nonceLen is a nonce's size before base64: timestamp, random, HMAC.
const nonceLen = 8 + 8 + 16

// Nonces issues and checks stateless digest nonces: a timestamp, 8 random bytes
// (so no two challenges share a nonce and its nonce counts) and an HMAC over
// both, so a scanner sending thousands of REGISTERs costs us no memory.
type Nonces struct {
	key [32]byte
	now func() time.Time
}

// NewNonces makes a nonce issuer with a fresh random key.
func NewNonces(now func() time.Time) (*Nonces, error) {
	n := &Nonces{now: now}
	if _, err := rand.Read(n.key[:]); err != nil {
		return nil, fmt.Errorf("digest nonce key: %w", err)
	}
	return n, nil
}

// Issue returns a new nonce.
func (n *Nonces) Issue() string {
	var buf [nonceLen]byte
	binary.BigEndian.PutUint64(buf[:8], uint64(n.now().Unix()))
	if _, err := rand.Read(buf[8:16]); err != nil {
		panic(fmt.Errorf("digest nonce: %w", err)) // crypto/rand does not fail on Linux
	}
	m := hmac.New(sha256.New, n.key[:])
	m.Write(buf[:16])
	copy(buf[16:], m.Sum(nil)[:16])
	return base64.RawURLEncoding.EncodeToString(buf[:])
}

var (
	errNonceInvalid = errors.New("nonce not issued by us")
	errNonceStale   = errors.New("nonce stale")
)

// Check verifies that nonce is ours and still fresh.
func (n *Nonces) Check(nonce string) error {
	raw, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(raw) != nonceLen {
		return errNonceInvalid
	}
	m := hmac.New(sha256.New, n.key[:])
	m.Write(raw[:16])
	if !hmac.Equal(m.Sum(nil)[:16], raw[16:]) {
		return errNonceInvalid
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(raw[:8])), 0)
	if age := n.now().Sub(issued); age > nonceLife || age < -time.Minute {
		return errNonceStale
	}
	return nil
}

// DigestCredentials is a parsed Authorization / Proxy-Authorization digest header.
type DigestCredentials struct {
	Username, Realm, Nonce, URI, Response, Algorithm, CNonce, NC, QOP, Opaque string
}

// ParseCredentials parses `Digest k=v, k="v", ...`.
func ParseCredentials(h string) (DigestCredentials, error) {
	var c DigestCredentials
	h = strings.TrimSpace(h)
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Digest") {
		return c, fmt.Errorf("authorization scheme is not Digest")
	}
	for _, part := range splitParams(rest) {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return c, fmt.Errorf("authorization parameter %q has no value", part)
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.Trim(strings.TrimSpace(v), `"`)
		switch k {
		case "username":
			c.Username = v
		case "realm":
			c.Realm = v
		case "nonce":
			c.Nonce = v
		case "uri":
			c.URI = v
		case "response":
			c.Response = strings.ToLower(v)
		case "algorithm":
			c.Algorithm = v
		case "cnonce":
			c.CNonce = v
		case "nc":
			c.NC = v
		case "qop":
			c.QOP = v
		case "opaque":
			c.Opaque = v
		}
	}
	if c.Username == "" || c.Nonce == "" || c.URI == "" || c.Response == "" {
		return c, fmt.Errorf("authorization lacks username, nonce, uri or response")
	}
	if c.Algorithm == "" {
		c.Algorithm = AlgMD5
	}
	return c, nil
}

// splitParams splits on commas outside quotes.
func splitParams(s string) []string {
	var out []string
	inQ, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			inQ = !inQ
		case ',':
			if !inQ {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if t := strings.TrimSpace(s[start:]); t != "" {
		out = append(out, t)
	}
	return out
}

func hasher(alg string) (func() hash.Hash, error) {
	switch strings.ToUpper(alg) {
	case AlgMD5:
		return md5.New, nil
	case AlgSHA256:
		return sha256.New, nil
	}
	return nil, fmt.Errorf("unsupported digest algorithm %q", alg)
}

func hexOf(h func() hash.Hash, s string) string {
	d := h()
	d.Write([]byte(s))
	return hex.EncodeToString(d.Sum(nil))
}

// ExpectedResponse computes the digest response (RFC 2617 / RFC 8760) from HA1.
func ExpectedResponse(c DigestCredentials, method, ha1 string) (string, error) {
	h, err := hasher(c.Algorithm)
	if err != nil {
		return "", err
	}
	ha2 := hexOf(h, method+":"+c.URI)
	if c.QOP == "auth" {
		return hexOf(h, ha1+":"+c.Nonce+":"+c.NC+":"+c.CNonce+":auth:"+ha2), nil
	}
	return hexOf(h, ha1+":"+c.Nonce+":"+ha2), nil
}

// ResponseMatches compares in constant time.
func ResponseMatches(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// Challenges returns the WWW-Authenticate values for the configured algorithms, in
// their order (RFC 8760 §2.4: most preferred first). Default is MD5 alone: many
// deployed phones answer only the first challenge or give up on an unknown one.
func Challenges(realm, nonce string, algorithms []string) []string {
	if len(algorithms) == 0 {
		algorithms = []string{AlgMD5}
	}
	out := make([]string, 0, len(algorithms))
	for _, a := range algorithms {
		out = append(out, fmt.Sprintf(`Digest realm="%s", nonce="%s", algorithm=%s, qop="auth"`, realm, nonce, a))
	}
	return out
}
