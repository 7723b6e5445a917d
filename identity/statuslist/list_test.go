package statuslist

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"errors"
	"testing"
)

// The examples of draft-ietf-oauth-status-list §4.1.
func TestDecodeDraftExamples(t *testing.T) {
	for _, c := range []struct {
		claim Claim
		want  []uint8
	}{
		{Claim{Bits: 1, Lst: "eNrbuRgAAhcBXQ"}, []uint8{1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1}},
		{Claim{Bits: 2, Lst: "eNo76fITAAPfAgc"}, []uint8{1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3}},
	} {
		l, err := Decode(c.claim)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range c.want {
			if got, err := l.Status(i); err != nil || got != w {
				t.Errorf("bits %d: status[%d] = %d, %v; want %d", c.claim.Bits, i, got, err, w)
			}
		}
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for _, bits := range []int{1, 2, 4, 8} {
		in := make([]uint8, 1000)
		for i := range in {
			in[i] = uint8((i * 7) % (1 << bits))
		}
		c, err := Encode(bits, in)
		if err != nil {
			t.Fatal(err)
		}
		l, err := Decode(c)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range in {
			if got, _ := l.Status(i); got != w {
				t.Fatalf("bits %d: [%d] = %d, want %d", bits, i, got, w)
			}
		}
		if _, err := l.Status(-1); !errors.Is(err, ErrBadList) {
			t.Fatalf("index -1: %v", err)
		}
	}
}

func TestDecodeRefusals(t *testing.T) {
	var bomb bytes.Buffer
	zw := zlib.NewWriter(&bomb)
	zw.Write(make([]byte, MaxListBytes+1))
	zw.Close()
	for name, c := range map[string]Claim{
		"bits 3":       {Bits: 3, Lst: "eNrbuRgAAhcBXQ"},
		"not base64":   {Bits: 1, Lst: "!!"},
		"not zlib":     {Bits: 1, Lst: "aGVsbG8"},
		"empty":        {Bits: 1, Lst: ""},
		"inflate bomb": {Bits: 1, Lst: base64.RawURLEncoding.EncodeToString(bomb.Bytes())},
	} {
		if _, err := Decode(c); !errors.Is(err, ErrBadList) {
			t.Errorf("%s: %v, want ErrBadList", name, err)
		}
	}
	if _, err := Encode(1, []uint8{2}); !errors.Is(err, ErrBadList) {
		t.Errorf("status 2 in one bit: %v", err)
	}
}
