package webrtc

import (
	"sync"
	"time"

	"github.com/pion/rtp"

	"github.com/frontdoor-project/frontdoor/media"
)

// outStream is a browser leg's outbound stream: media's Rewriter keeps it one
// continuous PCMU stream whatever we relay into it (prompts, hold music, a SIP
// phone, another browser). pion sets the SSRC and payload type of the binding.
type outStream struct {
	mu     sync.Mutex
	closed bool
	rw     media.Rewriter
	pkt    rtp.Packet
}

func (o *outStream) init() { o.rw.Init(media.PCMU) }

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
	seq, ts, marker, body, err := o.rw.Rewrite(p.SSRC, p.SequenceNumber, p.Timestamp, p.Marker, p.PayloadType, p.Payload, time.Now())
	if err != nil {
		return err
	}
	o.pkt.Header = rtp.Header{Version: 2, Marker: marker, PayloadType: media.PCMU.PayloadType, SequenceNumber: seq, Timestamp: ts}
	o.pkt.Payload = body
	return write(&o.pkt)
}
