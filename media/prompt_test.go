package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/frontdoor-project/frontdoor/media/g711"
	"github.com/frontdoor-project/frontdoor/media/tones"
)

// wav builds a WAV file with the given fmt fields and data, plus a "fact"
// chunk before the data as sox writes for µ-law.
func wav(format, channels uint16, rate uint32, bits uint16, data []byte) []byte {
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(4 + 8 + 18 + 8 + 4 + 8 + len(data)))
	b.WriteString("WAVEfmt ")
	le(uint32(18))
	le(format)
	le(channels)
	le(rate)
	le(rate * uint32(bits/8))
	le(uint16(bits / 8))
	le(bits)
	le(uint16(0))
	b.WriteString("fact")
	le(uint32(4))
	le(uint32(len(data)))
	b.WriteString("data")
	le(uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}

func TestDecodeWAVFormats(t *testing.T) {
	tone := tones.Sine(1000, 8000, 320)
	ulaw := g711.EncodeULaw(make([]byte, 320), tone)
	alaw := g711.EncodeALaw(make([]byte, 320), tone)
	pcm := new(bytes.Buffer)
	binary.Write(pcm, binary.LittleEndian, tone)
	for name, file := range map[string][]byte{
		"µ-law": wav(7, 1, 8000, 8, ulaw),
		"A-law": wav(6, 1, 8000, 8, alaw),
		"PCM16": wav(1, 1, 8000, 16, pcm.Bytes()),
	} {
		got, err := DecodeWAV(file)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got) != 320 || !tones.Dominates(got[:160], 1000) || !tones.Dominates(got[160:], 1000) {
			t.Fatalf("%s: %d samples, tone lost", name, len(got))
		}
	}
	p, err := LoadPrompt("t", wav(7, 1, 8000, 8, ulaw))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.Encoded(PCMU), ulaw) {
		t.Fatal("µ-law file does not re-encode to itself")
	}
	if p.Duration().Milliseconds() != 40 {
		t.Fatalf("duration %v", p.Duration())
	}
}

func TestDecodeWAVRefusals(t *testing.T) {
	ok := wav(7, 1, 8000, 8, make([]byte, 10))
	truncated := append([]byte(nil), ok[:len(ok)-5]...)
	cases := map[string]struct {
		file []byte
		says string
	}{
		"not wav":   {[]byte("ID3 mp3 data here"), "not a RIFF/WAVE file"},
		"stereo":    {wav(7, 2, 8000, 8, make([]byte, 10)), "2 channel(s) at 8000 Hz"},
		"44.1 kHz":  {wav(1, 1, 44100, 16, make([]byte, 10)), "at 44100 Hz"},
		"24-bit":    {wav(1, 1, 8000, 24, make([]byte, 9)), "format 1 with 24 bits"},
		"truncated": {truncated, "overruns the file"},
		"no data":   {ok[:12+8+18], "no data chunk"},
	}
	for name, tc := range cases {
		_, err := DecodeWAV(tc.file)
		if !errors.Is(err, ErrBadWAV) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: err = %v; want ErrBadWAV saying %q", name, err, tc.says)
		}
	}
}

// FuzzDecodeWAV: operator-supplied prompt files must never crash the
// loader; anything it accepts is whole 8 kHz samples. Seeds live in
// testdata/fuzz/FuzzDecodeWAV.
func FuzzDecodeWAV(f *testing.F) {
	f.Add(wav(7, 1, 8000, 8, []byte{0xFF, 0x7F, 0x00}))
	f.Fuzz(func(t *testing.T, file []byte) {
		pcm, err := DecodeWAV(file)
		if err != nil {
			if !errors.Is(err, ErrBadWAV) {
				t.Fatalf("error %v does not wrap ErrBadWAV", err)
			}
			return
		}
		if len(pcm) > len(file) {
			t.Fatalf("%d samples from a %d-byte file", len(pcm), len(file))
		}
	})
}
