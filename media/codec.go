// Package media carries a call's audio: RTP legs on UDP sockets from a port
// pool, SDP offer/answer for G.711 with RFC 4733 telephone-event, a bridge
// that relays two endpoints (transcoding PCMU<->PCMA by table when they
// differ) and prompt playback paced in real time.
//
// Subpackages hold the pieces that need no sockets: g711 (codec tables),
// dtmf (RFC 4733 and SIP INFO bodies), tones (sine generator and Goertzel
// detector for tests) and prompts (the embedded prompt audio).
package media

import (
	"fmt"

	"github.com/frontdoor-project/frontdoor/media/g711"
)

// Codec is an audio format as negotiated in SDP.
type Codec struct {
	Name        string // as in rtpmap: "PCMU", "PCMA"
	PayloadType uint8
	ClockRate   uint32
}

func (c Codec) String() string {
	return fmt.Sprintf("%s/%d (PT %d)", c.Name, c.ClockRate, c.PayloadType)
}

// The codecs frontdoor speaks, with their static RTP payload types.
var (
	PCMU = Codec{Name: "PCMU", PayloadType: 0, ClockRate: 8000}
	PCMA = Codec{Name: "PCMA", PayloadType: 8, ClockRate: 8000}
)

// DefaultPreference is the answer order when the caller names none.
func DefaultPreference() []Codec { return []Codec{PCMU, PCMA} }

// DefaultDTMFPayloadType is what our own offers use for telephone-event.
const DefaultDTMFPayloadType = 101

const (
	sampleRate     = 8000
	frameSamples   = 160 // 20 ms at 8 kHz; one G.711 byte per sample
	frameDuration  = 20  // ms
	maxPacketBytes = 1500
)

// silence returns the G.711 byte that decodes to (near) zero for a codec.
func silence(c Codec) byte {
	if c.PayloadType == PCMA.PayloadType {
		return g711.ALawSilence
	}
	return g711.ULawSilence
}

// isG711 reports whether pt is one of the two static G.711 payload types.
func isG711(pt uint8) bool { return pt == PCMU.PayloadType || pt == PCMA.PayloadType }
