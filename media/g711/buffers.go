package g711

// The buffer functions write into dst, which must be at least as long as
// src; they return the filled prefix of dst so callers can reuse one
// buffer per stream without allocating.

// EncodeULaw encodes linear PCM to µ-law.
func EncodeULaw(dst []byte, src []int16) []byte { return encode(dst, src, ulawEncode[:], 2) }

// EncodeALaw encodes linear PCM to A-law.
func EncodeALaw(dst []byte, src []int16) []byte { return encode(dst, src, alawEncode[:], 3) }

// DecodeULaw decodes µ-law to linear PCM.
func DecodeULaw(dst []int16, src []byte) []int16 { return decode(dst, src, &ulawDecode) }

// DecodeALaw decodes A-law to linear PCM.
func DecodeALaw(dst []int16, src []byte) []int16 { return decode(dst, src, &alawDecode) }

// ULawToALaw transcodes a µ-law payload to A-law; dst may be src.
func ULawToALaw(dst, src []byte) []byte { return transcode(dst, src, &ulawToALaw) }

// ALawToULaw transcodes an A-law payload to µ-law; dst may be src.
func ALawToULaw(dst, src []byte) []byte { return transcode(dst, src, &alawToULaw) }

func encode(dst []byte, src []int16, table []byte, shift uint) []byte {
	dst = dst[:len(src)]
	for i, s := range src {
		dst[i] = table[uint16(s)>>shift]
	}
	return dst
}

func decode(dst []int16, src []byte, table *[256]int16) []int16 {
	dst = dst[:len(src)]
	for i, b := range src {
		dst[i] = table[b]
	}
	return dst
}

func transcode(dst, src []byte, table *[256]byte) []byte {
	dst = dst[:len(src)]
	for i, b := range src {
		dst[i] = table[b]
	}
	return dst
}
