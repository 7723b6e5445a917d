// Package dtmf handles DTMF digits as they reach a call: RFC 4733
// telephone-event RTP payloads (encode, decode, a receiver that turns a
// packet stream into one digit per key press, a sender that produces the
// packet sequence for a digit) and SIP INFO bodies (application/dtmf-relay,
// application/dtmf).
package dtmf

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// PayloadSize is the size of one RFC 4733 event block.
const PayloadSize = 4

// ErrShortPayload is returned for an event payload shorter than 4 bytes.
var ErrShortPayload = errors.New("dtmf: telephone-event payload shorter than 4 bytes")

// ErrUnknownDigit is returned for a key that has no RFC 4733 event code.
var ErrUnknownDigit = errors.New("dtmf: not a DTMF key")

// Event is one RFC 4733 telephone-event block (section 2.3).
type Event struct {
	Code     uint8  // 0-9 digits, 10 '*', 11 '#', 12-15 A-D, 16 flash
	End      bool   // E bit: this is (a repeat of) the final packet of the event
	Volume   uint8  // 0..63, power in -dBm0
	Duration uint16 // in timestamp units since the event started
}

// Marshal encodes e into a 4-byte payload.
func (e Event) Marshal() [PayloadSize]byte {
	var b [PayloadSize]byte
	b[0] = e.Code
	b[1] = e.Volume & 0x3F
	if e.End {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], e.Duration)
	return b
}

// ParseEvent decodes the first event block of an RTP payload. Extra bytes
// (redundant blocks under RFC 2198) are ignored.
func ParseEvent(payload []byte) (Event, error) {
	if len(payload) < PayloadSize {
		return Event{}, fmt.Errorf("%w: got %d", ErrShortPayload, len(payload))
	}
	return Event{
		Code:     payload[0],
		End:      payload[1]&0x80 != 0,
		Volume:   payload[1] & 0x3F,
		Duration: binary.BigEndian.Uint16(payload[2:]),
	}, nil
}

const digits = "0123456789*#ABCD!"

// Digit returns the key for an event code: '0'-'9', '*', '#', 'A'-'D', or
// '!' for flash (code 16). ok is false for other codes (tones, line events).
func Digit(code uint8) (r rune, ok bool) {
	if int(code) >= len(digits) {
		return 0, false
	}
	return rune(digits[code]), true
}

// Code returns the event code of a key; lower-case a-d are accepted.
func Code(digit rune) (uint8, error) {
	if digit >= 'a' && digit <= 'd' {
		digit -= 'a' - 'A'
	}
	for i, d := range digits {
		if d == digit {
			return uint8(i), nil
		}
	}
	return 0, fmt.Errorf("%w: %q", ErrUnknownDigit, digit)
}
