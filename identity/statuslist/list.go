// Package statuslist reads and writes Token Status Lists
// (draft-ietf-oauth-status-list): the compressed bit array, the signed
// Status List Token (JWT, typ statuslist+jwt), and a fetcher that retrieves
// tokens only from allowed URLs and caches them for their ttl.
package statuslist

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
)

// Status values defined by the draft. Values 3 and above are application
// specific; the verifier treats anything but Valid as a refusal.
const (
	Valid     uint8 = 0
	Invalid   uint8 = 1 // revoked
	Suspended uint8 = 2
)

// MaxListBytes bounds a decompressed list (a zlib bomb would otherwise cost
// memory): 16 MiB holds 134 million one-bit entries.
const MaxListBytes = 16 << 20

// ErrBadList marks a status list that cannot be decoded or indexed.
var ErrBadList = errors.New("bad status list")

// Claim is the "status_list" claim of a Status List Token.
type Claim struct {
	Bits int    `json:"bits"`
	Lst  string `json:"lst"`
}

// List is a decoded status list.
type List struct {
	Bits  int
	bytes []byte
}

// Len is the number of entries.
func (l List) Len() int {
	if l.Bits == 0 {
		return 0
	}
	return len(l.bytes) * 8 / l.Bits
}

// Status returns entry idx. Entries are packed from the least significant
// bit of each byte upwards.
func (l List) Status(idx int) (uint8, error) {
	if idx < 0 || idx >= l.Len() {
		return 0, fmt.Errorf("%w: index %d outside 0..%d", ErrBadList, idx, l.Len()-1)
	}
	bit := idx * l.Bits
	b := l.bytes[bit/8]
	return (b >> (bit % 8)) & (1<<l.Bits - 1), nil
}

func validBits(bits int) bool {
	return bits == 1 || bits == 2 || bits == 4 || bits == 8
}

// Decode inflates and checks a status_list claim.
func Decode(c Claim) (List, error) {
	if !validBits(c.Bits) {
		return List{}, fmt.Errorf("%w: bits %d, want 1, 2, 4 or 8", ErrBadList, c.Bits)
	}
	compressed, err := base64.RawURLEncoding.DecodeString(c.Lst)
	if err != nil {
		return List{}, fmt.Errorf("%w: lst base64url: %v", ErrBadList, err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(compressed))
	if err != nil {
		return List{}, fmt.Errorf("%w: lst zlib: %v", ErrBadList, err)
	}
	defer zr.Close()
	raw, err := io.ReadAll(io.LimitReader(zr, MaxListBytes+1))
	if err != nil {
		return List{}, fmt.Errorf("%w: lst inflate: %v", ErrBadList, err)
	}
	if len(raw) > MaxListBytes {
		return List{}, fmt.Errorf("%w: lst inflates beyond %d bytes", ErrBadList, MaxListBytes)
	}
	if len(raw) == 0 {
		return List{}, fmt.Errorf("%w: lst is empty", ErrBadList)
	}
	return List{Bits: c.Bits, bytes: raw}, nil
}

// Encode packs statuses (each below 1<<bits) and compresses them.
func Encode(bits int, statuses []uint8) (Claim, error) {
	if !validBits(bits) {
		return Claim{}, fmt.Errorf("%w: bits %d, want 1, 2, 4 or 8", ErrBadList, bits)
	}
	raw := make([]byte, (len(statuses)*bits+7)/8)
	for i, s := range statuses {
		if int(s) >= 1<<bits {
			return Claim{}, fmt.Errorf("%w: status %d at %d does not fit %d bits", ErrBadList, s, i, bits)
		}
		bit := i * bits
		raw[bit/8] |= s << (bit % 8)
	}
	var buf bytes.Buffer
	zw, err := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	if err != nil {
		return Claim{}, fmt.Errorf("zlib: %w", err)
	}
	if _, err := zw.Write(raw); err != nil {
		return Claim{}, fmt.Errorf("zlib: %w", err)
	}
	if err := zw.Close(); err != nil {
		return Claim{}, fmt.Errorf("zlib: %w", err)
	}
	return Claim{Bits: bits, Lst: base64.RawURLEncoding.EncodeToString(buf.Bytes())}, nil
}
