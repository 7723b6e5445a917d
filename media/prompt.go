package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/frontdoor-project/frontdoor/media/g711"
)

// ErrBadWAV wraps every WAV decoding error.
var ErrBadWAV = errors.New("media: unusable WAV")

// Prompt is a clip of 8 kHz mono audio, decoded once and pre-encoded in
// both G.711 laws so playback only slices bytes.
type Prompt struct {
	Name string
	PCM  []int16
	pcmu []byte
	pcma []byte
}

// NewPrompt wraps 8 kHz mono samples and encodes them for both codecs.
func NewPrompt(name string, pcm []int16) Prompt {
	return Prompt{
		Name: name,
		PCM:  pcm,
		pcmu: g711.EncodeULaw(make([]byte, len(pcm)), pcm),
		pcma: g711.EncodeALaw(make([]byte, len(pcm)), pcm),
	}
}

// LoadPrompt decodes a WAV file into a Prompt.
func LoadPrompt(name string, wav []byte) (Prompt, error) {
	pcm, err := DecodeWAV(wav)
	if err != nil {
		return Prompt{}, fmt.Errorf("prompt %s: %w", name, err)
	}
	return NewPrompt(name, pcm), nil
}

// Duration is the clip's playing time.
func (p Prompt) Duration() time.Duration {
	return time.Duration(len(p.PCM)) * time.Second / sampleRate
}

// Encoded returns the clip in codec c (PCMA for PT 8, PCMU otherwise).
func (p Prompt) Encoded(c Codec) []byte {
	if c.PayloadType == PCMA.PayloadType {
		if p.pcma == nil {
			return g711.EncodeALaw(make([]byte, len(p.PCM)), p.PCM)
		}
		return p.pcma
	}
	if p.pcmu == nil {
		return g711.EncodeULaw(make([]byte, len(p.PCM)), p.PCM)
	}
	return p.pcmu
}

// WAV format tags.
const (
	wavPCM  = 1
	wavALaw = 6
	wavULaw = 7
)

// DecodeWAV reads an 8 kHz mono WAV file in 16-bit PCM, µ-law or A-law.
// Other rates and channel counts are refused rather than resampled: the
// prompt generator makes them right, and a wrong file should be noticed.
func DecodeWAV(data []byte) ([]int16, error) {
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: not a RIFF/WAVE file", ErrBadWAV)
	}
	var (
		format, channels, bits uint16
		rate                   uint32
		haveFmt                bool
	)
	for rest := data[12:]; len(rest) >= 8; {
		id, size := string(rest[0:4]), binary.LittleEndian.Uint32(rest[4:8])
		rest = rest[8:]
		if uint64(size) > uint64(len(rest)) {
			return nil, fmt.Errorf("%w: chunk %q of %d bytes overruns the file", ErrBadWAV, id, size)
		}
		body := rest[:size]
		rest = rest[min(int(size)+int(size&1), len(rest)):] // chunks are word aligned
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, fmt.Errorf("%w: fmt chunk of %d bytes", ErrBadWAV, size)
			}
			format = binary.LittleEndian.Uint16(body[0:])
			channels = binary.LittleEndian.Uint16(body[2:])
			rate = binary.LittleEndian.Uint32(body[4:])
			bits = binary.LittleEndian.Uint16(body[14:])
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, fmt.Errorf("%w: data before fmt chunk", ErrBadWAV)
			}
			if channels != 1 || rate != sampleRate {
				return nil, fmt.Errorf("%w: %d channel(s) at %d Hz, want mono 8000 Hz", ErrBadWAV, channels, rate)
			}
			return decodeSamples(format, bits, body)
		}
	}
	return nil, fmt.Errorf("%w: no data chunk", ErrBadWAV)
}

func decodeSamples(format, bits uint16, body []byte) ([]int16, error) {
	switch {
	case format == wavULaw && bits == 8:
		return g711.DecodeULaw(make([]int16, len(body)), body), nil
	case format == wavALaw && bits == 8:
		return g711.DecodeALaw(make([]int16, len(body)), body), nil
	case format == wavPCM && bits == 16:
		pcm := make([]int16, len(body)/2)
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
		}
		return pcm, nil
	}
	return nil, fmt.Errorf("%w: format %d with %d bits (want 16-bit PCM, µ-law or A-law)", ErrBadWAV, format, bits)
}
