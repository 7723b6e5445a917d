// Package g711 implements ITU-T G.711 PCMU (µ-law) and PCMA (A-law) for
// 16-bit linear PCM, plus direct µ-law<->A-law byte conversion so a relay
// between a PCMU leg and a PCMA leg never goes through int16 at runtime.
//
// Every conversion is a table lookup; the tables are computed once at
// package initialisation from the G.711 segment definitions and never
// change afterwards.
package g711

// Silence bytes: the codes a decoder maps to (near) zero.
const (
	ULawSilence byte = 0xFF
	ALawSilence byte = 0xD5
)

const ulawBias = 0x84 // 132 = 4*33, the G.191 bias in 16-bit units

var (
	ulawDecode [256]int16
	alawDecode [256]int16
	// Encoders index by the sample shifted right: µ-law keeps 14 bits of
	// magnitude resolution, A-law 13, so the tables hold every distinct input.
	ulawEncode [1 << 14]byte
	alawEncode [1 << 13]byte
	ulawToALaw [256]byte
	alawToULaw [256]byte
)

func init() {
	for i := range 256 {
		ulawDecode[i] = decodeULaw(byte(i))
		alawDecode[i] = decodeALaw(byte(i))
	}
	for i := range ulawEncode {
		ulawEncode[i] = encodeULaw(int16(uint16(i) << 2))
	}
	for i := range alawEncode {
		alawEncode[i] = encodeALaw(int16(uint16(i) << 3))
	}
	for i := range 256 {
		ulawToALaw[i] = EncodeALawSample(ulawDecode[i])
		alawToULaw[i] = EncodeULawSample(alawDecode[i])
	}
}

// encodeULaw follows ulaw_compress of the ITU-T G.191 reference software:
// 14-bit magnitude (one's complement for negatives), bias 33, segment search.
// It is used only to build the tables.
func encodeULaw(s int16) byte {
	absno := int(s) >> 2
	if s < 0 {
		absno = int(^s) >> 2
	}
	absno += 33
	if absno > 0x1FFF {
		absno = 0x1FFF
	}
	segno := 1
	for i := absno >> 6; i != 0; i >>= 1 {
		segno++
	}
	high := 0x08 - segno
	low := 0x0F - (absno>>segno)&0x0F
	out := byte(high<<4 | low)
	if s >= 0 {
		out |= 0x80
	}
	return out
}

func decodeULaw(u byte) int16 {
	u = ^u
	exp := int(u>>4) & 0x07
	mant := int(u & 0x0F)
	v := ((mant << 3) + ulawBias) << exp
	v -= ulawBias
	if u&0x80 != 0 {
		return int16(-v)
	}
	return int16(v)
}

// encodeALaw follows alaw_compress of the ITU-T G.191 reference software.
// It is used only to build the tables.
func encodeALaw(s int16) byte {
	ix := int(s) >> 4
	if s < 0 {
		ix = int(^s) >> 4
	}
	if ix > 15 {
		exp := 1
		for ix > 16+15 {
			ix >>= 1
			exp++
		}
		ix -= 16
		ix += exp << 4
	}
	if s >= 0 {
		ix |= 0x80
	}
	return byte(ix) ^ 0x55
}

func decodeALaw(a byte) int16 {
	a ^= 0x55
	exp := int(a>>4) & 0x07
	mant := int(a & 0x0F)
	var v int
	if exp == 0 {
		v = mant<<4 + 8
	} else {
		v = (mant<<4 + 0x108) << (exp - 1)
	}
	if a&0x80 == 0 {
		return int16(-v)
	}
	return int16(v)
}

// EncodeULawSample encodes one linear sample to µ-law.
func EncodeULawSample(s int16) byte { return ulawEncode[uint16(s)>>2] }

// DecodeULawSample decodes one µ-law byte.
func DecodeULawSample(u byte) int16 { return ulawDecode[u] }

// EncodeALawSample encodes one linear sample to A-law.
func EncodeALawSample(s int16) byte { return alawEncode[uint16(s)>>3] }

// DecodeALawSample decodes one A-law byte.
func DecodeALawSample(a byte) int16 { return alawDecode[a] }

// ULawToALawByte converts one µ-law code to the A-law code of the same level.
func ULawToALawByte(u byte) byte { return ulawToALaw[u] }

// ALawToULawByte converts one A-law code to the µ-law code of the same level.
func ALawToULawByte(a byte) byte { return alawToULaw[a] }
