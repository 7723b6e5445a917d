package statuslist

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/frontdoor-project/frontdoor/identity/sdjwt"
)

// Typ is the JOSE typ of a Status List Token.
const Typ = "statuslist+jwt"

// ErrBadToken marks a Status List Token that fails its checks.
var ErrBadToken = errors.New("bad status list token")

// Token is a verified Status List Token.
type Token struct {
	Issuer   string
	Subject  string
	IssuedAt time.Time
	Expiry   time.Time     // zero: none
	TTL      time.Duration // zero: none
	List     List
}

type tokenClaims struct {
	Iss        string `json:"iss,omitempty"`
	Sub        string `json:"sub"`
	Iat        *int64 `json:"iat"`
	Exp        *int64 `json:"exp,omitempty"`
	TTL        *int64 `json:"ttl,omitempty"`
	StatusList *Claim `json:"status_list"`
}

// Skew is the clock tolerance for exp.
const Skew = 60 * time.Second

// ParseToken verifies a Status List Token with the issuer's keys and checks
// typ, alg, sub (must equal uri), iat, exp (at now) and the list itself.
func ParseToken(raw, uri string, keys []jose.JSONWebKey, now time.Time) (Token, error) {
	raw = strings.TrimSpace(raw)
	h, err := sdjwt.DecodeHeader(raw)
	if err != nil {
		return Token{}, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	if !strings.EqualFold(strings.TrimPrefix(h.Typ, "application/"), Typ) {
		return Token{}, fmt.Errorf("%w: typ %q, want %q", ErrBadToken, h.Typ, Typ)
	}
	payload, err := sdjwt.Verify(raw, h.Alg, sdjwt.KeysFor(keys, h.Kid))
	if err != nil {
		return Token{}, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	var c tokenClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return Token{}, fmt.Errorf("%w: claims: %v", ErrBadToken, err)
	}
	if c.Sub != uri {
		return Token{}, fmt.Errorf("%w: sub %q is not the uri %q it was fetched from", ErrBadToken, c.Sub, uri)
	}
	if c.Iat == nil {
		return Token{}, fmt.Errorf("%w: no iat", ErrBadToken)
	}
	if c.StatusList == nil {
		return Token{}, fmt.Errorf("%w: no status_list claim", ErrBadToken)
	}
	t := Token{Issuer: c.Iss, Subject: c.Sub, IssuedAt: time.Unix(*c.Iat, 0)}
	if c.Exp != nil {
		t.Expiry = time.Unix(*c.Exp, 0)
		if now.After(t.Expiry.Add(Skew)) {
			return Token{}, fmt.Errorf("%w: expired at %s", ErrBadToken, t.Expiry.UTC().Format(time.RFC3339))
		}
	}
	if c.TTL != nil {
		if *c.TTL <= 0 {
			return Token{}, fmt.Errorf("%w: ttl %d is not positive", ErrBadToken, *c.TTL)
		}
		t.TTL = time.Duration(*c.TTL) * time.Second
	}
	if t.List, err = Decode(*c.StatusList); err != nil {
		return Token{}, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	return t, nil
}

// TokenParams describes a Status List Token to sign.
type TokenParams struct {
	Issuer   string
	URI      string
	Bits     int
	Statuses []uint8
	IssuedAt time.Time
	Expiry   time.Time     // zero: none
	TTL      time.Duration // zero: none
}

// SignToken makes a Status List Token with the issuer's private key.
func SignToken(key jose.JSONWebKey, p TokenParams) (string, error) {
	claim, err := Encode(p.Bits, p.Statuses)
	if err != nil {
		return "", err
	}
	iat := p.IssuedAt.Unix()
	c := tokenClaims{Iss: p.Issuer, Sub: p.URI, Iat: &iat, StatusList: &claim}
	if !p.Expiry.IsZero() {
		exp := p.Expiry.Unix()
		c.Exp = &exp
	}
	if p.TTL > 0 {
		ttl := int64(p.TTL / time.Second)
		c.TTL = &ttl
	}
	return sdjwt.Sign(key, Typ, c)
}
