package record

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/frontdoor-project/frontdoor/media"
)

// stereoWAV builds a file with the given header fields around body.
func stereoWAV(format, ch uint16, rate uint32, bits uint16, body []byte) []byte {
	h := header(uint32(len(body)))
	binary.LittleEndian.PutUint16(h[20:], format)
	binary.LittleEndian.PutUint16(h[22:], ch)
	binary.LittleEndian.PutUint32(h[24:], rate)
	binary.LittleEndian.PutUint16(h[34:], bits)
	return append(h[:], body...)
}

func TestReadWAV(t *testing.T) {
	body := []byte{1, 0, 2, 0, 0xff, 0xff, 0x00, 0x80} // (1, 2), (-1, -32768)
	l, r, err := ReadWAV(stereoWAV(1, 2, 8000, 16, body))
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 2 || l[0] != 1 || r[0] != 2 || l[1] != -1 || r[1] != -32768 {
		t.Fatalf("left %v right %v", l, r)
	}
	// A chunk before fmt (LIST, odd-sized, padded) is skipped.
	list := []byte("LIST\x03\x00\x00\x00abc\x00")
	withList := append(append(append([]byte{}, stereoWAV(1, 2, 8000, 16, body)[:12]...), list...), stereoWAV(1, 2, 8000, 16, body)[12:]...)
	if l, _, err := ReadWAV(withList); err != nil || len(l) != 2 {
		t.Fatalf("with a LIST chunk: %v, %d samples", err, len(l))
	}
	// Unknown size: to the end of the file, whole frames only.
	open := stereoWAV(1, 2, 8000, 16, append(body, 9, 9))
	binary.LittleEndian.PutUint32(open[40:], unknownSize)
	if l, _, err := ReadWAV(open); err != nil || len(l) != 2 {
		t.Fatalf("unknown size: %v, %d samples", err, len(l))
	}
}

// TestReadWAVRefusals: each broken or foreign file is named for what is
// wrong with it, and wraps media.ErrBadWAV.
func TestReadWAVRefusals(t *testing.T) {
	good := stereoWAV(1, 2, 8000, 16, make([]byte, 8))
	overrun := append([]byte{}, good...)
	binary.LittleEndian.PutUint32(overrun[40:], 100)
	dataFirst := append(append([]byte{}, good[:12]...), good[36:]...)
	for name, tc := range map[string]struct {
		file []byte
		says string
	}{
		"empty":          {nil, "not a RIFF/WAVE file"},
		"mono":           {stereoWAV(1, 1, 8000, 16, nil), "format 1, 1 channel(s), 8000 Hz, 16 bits"},
		"µ-law":          {stereoWAV(7, 2, 8000, 8, nil), "format 7"},
		"16 kHz":         {stereoWAV(1, 2, 16000, 16, nil), "16000 Hz"},
		"data overruns":  {overrun, "data chunk of 100 bytes, 8 in the file"},
		"data first":     {dataFirst, "data before fmt chunk"},
		"no data":        {good[:36], "no data chunk"},
		"fmt overruns":   {good[:30], `chunk "fmt " of 16 bytes overruns the file`},
		"short fmt body": {append(append([]byte{}, good[:12]...), "fmt \x04\x00\x00\x00\x01\x00\x02\x00"...), "fmt chunk of 4 bytes"},
	} {
		_, _, err := ReadWAV(tc.file)
		if !errors.Is(err, media.ErrBadWAV) {
			t.Errorf("%s: %v, want ErrBadWAV", name, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %q does not say %q", name, err, tc.says)
		}
	}
}

// FuzzReadWAV: any input gives channels of equal length or an error
// wrapping media.ErrBadWAV, never a panic.
func FuzzReadWAV(f *testing.F) {
	f.Add(stereoWAV(1, 2, 8000, 16, []byte{1, 0, 2, 0}))
	f.Add(stereoWAV(1, 1, 8000, 16, nil))
	open := stereoWAV(1, 2, 8000, 16, []byte{1, 0, 2, 0, 3})
	binary.LittleEndian.PutUint32(open[40:], unknownSize)
	f.Add(open)
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEfmt \xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, r, err := ReadWAV(data)
		if err != nil {
			if !errors.Is(err, media.ErrBadWAV) {
				t.Fatalf("error %v does not wrap ErrBadWAV", err)
			}
			return
		}
		if len(l) != len(r) || len(l) > len(data)/frameBytes {
			t.Fatalf("%d left and %d right samples from %d bytes", len(l), len(r), len(data))
		}
	})
}
