package webrtc

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pion/rtp"

	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/media/g711"
)

// outStream keeps what a browser receives one stream whatever we relay into
// it (prompts, hold music, a SIP phone, another browser): sequence numbers
// count up by one and timestamps follow real time across a change of
// source, which is told by the source's SSRC and marked with the marker bit.
// pion sets the SSRC and payload type of the binding itself.
type outStream struct {
	mu      sync.Mutex
	closed  bool
	started bool
	src     uint32 // SSRC of the current source
	seqOff  uint16
	tsOff   uint32
	last    rtp.Header // last header sent
	samples uint32     // duration of the last packet sent
	sentAt  time.Time
	pkt     rtp.Packet
	ulaw    [1500]byte
}

func (o *outStream) init() {
	o.last = rtp.Header{Version: 2, SequenceNumber: uint16(rand.Uint32()), Timestamp: rand.Uint32()}
}

func (o *outStream) close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
}

// send passes p to write as the next packet of our stream, in PCMU. Two
// sources writing at once (a prompt ending as the agent's audio starts)
// are serialised here.
func (o *outStream) send(p *rtp.Packet, write func(*rtp.Packet) error) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return ErrLegClosed
	}
	payload := p.Payload
	switch p.PayloadType {
	case media.PCMU.PayloadType:
	case media.PCMA.PayloadType:
		if len(payload) > len(o.ulaw) {
			return fmt.Errorf("%w: payload of %d bytes", media.ErrPayloadType, len(payload))
		}
		payload = g711.ALawToULaw(o.ulaw[:], payload)
	default:
		return fmt.Errorf("%w: PT %d on a browser leg", media.ErrPayloadType, p.PayloadType)
	}
	now := time.Now()
	marker := p.Marker
	if !o.started || p.SSRC != o.src {
		next := o.last.Timestamp
		if o.started {
			gap := uint32(now.Sub(o.sentAt) * 8000 / time.Second)
			next += max(gap, o.samples)
		}
		o.seqOff = o.last.SequenceNumber + 1 - p.SequenceNumber
		o.tsOff = next - p.Timestamp
		o.started, o.src, marker = true, p.SSRC, true
	}
	o.pkt.Header = rtp.Header{Version: 2, Marker: marker, PayloadType: media.PCMU.PayloadType,
		SequenceNumber: p.SequenceNumber + o.seqOff, Timestamp: p.Timestamp + o.tsOff}
	o.pkt.Payload = payload
	o.last, o.samples, o.sentAt = o.pkt.Header, uint32(len(payload)), now
	return write(&o.pkt)
}
