package g711

import "testing"

// Reference points from ITU-T G.711 tables 1a/1b/2a/2b (decoder output
// values in 16-bit units, cross-checked against Sun's g711.c as shipped in
// CPython's audioop) and the G.191 reference encoder, which truncates
// negative samples by one's complement (so -1 encodes as µ-law 0x7F, where
// Sun's code gives 0x7E).
func TestKnownValues(t *testing.T) {
	ulawDec := map[byte]int16{
		0xFF: 0, 0x7F: 0, 0x80: 32124, 0x00: -32124,
		0xF0: 120, 0x70: -120, 0xEF: 132, 0xDF: 396, 0xCF: 924, 0xBF: 1980, 0x8F: 16764,
	}
	for code, want := range ulawDec {
		if got := DecodeULawSample(code); got != want {
			t.Errorf("µ-law decode %#02x = %d, want %d", code, got, want)
		}
	}
	alawDec := map[byte]int16{
		0xD5: 8, 0x55: -8, 0xAA: 32256, 0x2A: -32256,
		0xD4: 24, 0xC5: 264, 0xF5: 528, 0xE5: 1056, 0x95: 2112, 0xB5: 8448, 0xA5: 16896,
	}
	for code, want := range alawDec {
		if got := DecodeALawSample(code); got != want {
			t.Errorf("A-law decode %#02x = %d, want %d", code, got, want)
		}
	}
	ulawEnc := map[int16]byte{0: 0xFF, -1: 0x7F, 32767: 0x80, -32768: 0x00, 120: 0xF0, 1000: 0xCE, -1000: 0x4E}
	for s, want := range ulawEnc {
		if got := EncodeULawSample(s); got != want {
			t.Errorf("µ-law encode %d = %#02x, want %#02x", s, got, want)
		}
	}
	alawEnc := map[int16]byte{0: 0xD5, -1: 0x55, 32767: 0xAA, -32768: 0x2A, 8: 0xD5, 1000: 0xFA, -1000: 0x7A}
	for s, want := range alawEnc {
		if got := EncodeALawSample(s); got != want {
			t.Errorf("A-law encode %d = %#02x, want %#02x", s, got, want)
		}
	}
}

func TestCodeRoundTrip(t *testing.T) {
	for c := range 256 {
		code := byte(c)
		// 0x7F is µ-law's negative zero; it decodes to 0, which encodes as 0xFF.
		if code != 0x7F {
			if got := EncodeULawSample(DecodeULawSample(code)); got != code {
				t.Errorf("µ-law %#02x -> %d -> %#02x", code, DecodeULawSample(code), got)
			}
		}
		if got := EncodeALawSample(DecodeALawSample(code)); got != code {
			t.Errorf("A-law %#02x -> %d -> %#02x", code, DecodeALawSample(code), got)
		}
	}
}

func TestQuantisationErrorBounded(t *testing.T) {
	for i := -32768; i <= 32767; i++ {
		s := int16(i)
		bound := abs(i)/16 + 16
		if e := abs(int(DecodeULawSample(EncodeULawSample(s))) - i); e > bound {
			t.Fatalf("µ-law error for %d is %d > %d", i, e, bound)
		}
		if e := abs(int(DecodeALawSample(EncodeALawSample(s))) - i); e > bound {
			t.Fatalf("A-law error for %d is %d > %d", i, e, bound)
		}
	}
}

func TestEncodeMonotonic(t *testing.T) {
	prevU, prevA := DecodeULawSample(EncodeULawSample(-32768)), DecodeALawSample(EncodeALawSample(-32768))
	for i := -32767; i <= 32767; i++ {
		u := DecodeULawSample(EncodeULawSample(int16(i)))
		a := DecodeALawSample(EncodeALawSample(int16(i)))
		if u < prevU || a < prevA {
			t.Fatalf("reconstruction not monotonic at %d", i)
		}
		prevU, prevA = u, a
	}
}

func TestTranscodeTablesMatchLinearPath(t *testing.T) {
	for c := range 256 {
		code := byte(c)
		if got, want := ULawToALawByte(code), EncodeALawSample(DecodeULawSample(code)); got != want {
			t.Errorf("µ->A %#02x = %#02x, want %#02x", code, got, want)
		}
		if got, want := ALawToULawByte(code), EncodeULawSample(DecodeALawSample(code)); got != want {
			t.Errorf("A->µ %#02x = %#02x, want %#02x", code, got, want)
		}
	}
	// Silence stays silence across the conversion.
	if ULawToALawByte(ULawSilence) != ALawSilence {
		t.Errorf("µ-law silence maps to %#02x", ULawToALawByte(ULawSilence))
	}
	// A-law's smallest positive level (+8) maps to a µ-law code decoding to 8.
	if d := DecodeULawSample(ALawToULawByte(ALawSilence)); d != 8 {
		t.Errorf("A-law silence maps to µ-law level %d", d)
	}
}

func TestBufferFunctions(t *testing.T) {
	pcm := []int16{0, 1000, -1000, 32767, -32768, 120}
	buf := make([]byte, 16)
	u := EncodeULaw(buf, pcm)
	if len(u) != len(pcm) || u[0] != 0xFF || u[1] != 0xCE {
		t.Fatalf("EncodeULaw = % x", u)
	}
	back := DecodeULaw(make([]int16, 16), u)
	for i := range pcm {
		if back[i] != DecodeULawSample(EncodeULawSample(pcm[i])) {
			t.Fatalf("DecodeULaw[%d] = %d", i, back[i])
		}
	}
	a := EncodeALaw(make([]byte, 16), pcm)
	inPlace := append([]byte(nil), u...)
	ULawToALaw(inPlace, inPlace)
	for i := range u {
		if inPlace[i] != ULawToALawByte(u[i]) {
			t.Fatalf("in-place transcode differs at %d", i)
		}
	}
	if got := ALawToULaw(make([]byte, 16), a); len(got) != len(a) {
		t.Fatalf("ALawToULaw length %d", len(got))
	}
	if d := DecodeALaw(make([]int16, 16), a); d[1] != 1008 {
		t.Fatalf("A-law 1000 decodes to %d, want 1008", d[1])
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func BenchmarkULawToALaw160(b *testing.B) {
	src := make([]byte, 160)
	dst := make([]byte, 160)
	b.SetBytes(160)
	for b.Loop() {
		ULawToALaw(dst, src)
	}
}
