package media

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/frontdoor-project/frontdoor/media/g711"
)

// Rewriter makes packets from changing sources one outbound stream, for any leg
// (RTP to a phone, a browser's track). Whatever the source (prompt, hold music,
// another leg), the receiver must see sequence numbers that count up by one and
// timestamps that advance with real time. A new source is recognised by its
// SSRC; at the switch the offsets are recomputed and the marker bit set
// (RFC 3551 4.1: start of a talkspurt) so the receiver's jitter buffer
// resynchronises instead of dropping "late" packets. Payloads of the other
// G.711 law are converted by table. A Rewriter is not safe for concurrent use:
// its leg serialises writers.
type Rewriter struct {
	codec   Codec
	started bool
	src     uint32 // SSRC of the source being relayed
	seqOff  uint16
	tsOff   uint32
	seq     uint16 // last sent
	ts      uint32 // last sent
	samples uint32 // duration of the last sent packet
	sentAt  time.Time
	buf     [maxPacketBytes]byte
}

// Init starts a stream in codec c at a random sequence number and timestamp.
func (r *Rewriter) Init(c Codec) {
	*r = Rewriter{codec: c, seq: uint16(rand.Uint32()), ts: rand.Uint32()}
}

// Rewrite maps one packet of source src into the stream at time now. The body
// may be the Rewriter's own buffer (converted law): use it before the next call.
func (r *Rewriter) Rewrite(src uint32, seq uint16, ts uint32, marker bool, pt uint8, payload []byte, now time.Time) (outSeq uint16, outTS uint32, outMarker bool, body []byte, err error) {
	if body, err = r.convert(pt, payload); err != nil {
		return 0, 0, false, nil, err
	}
	if !r.started || src != r.src {
		marker = true
		nextSeq, nextTS := r.seq+1, r.ts
		if r.started {
			// The gap since the last packet is heard as a gap; the clock never goes back.
			gap := uint32(now.Sub(r.sentAt) * time.Duration(r.codec.ClockRate) / time.Second)
			nextTS += max(gap, r.samples)
		}
		r.started, r.src = true, src
		r.seqOff, r.tsOff = nextSeq-seq, nextTS-ts
	}
	r.seq, r.ts, r.samples, r.sentAt = seq+r.seqOff, ts+r.tsOff, uint32(len(body)), now
	return r.seq, r.ts, marker, body, nil
}

// convert returns the payload in the stream's codec, transcoding G.711 by
// table into the Rewriter's buffer when the source used the other law.
func (r *Rewriter) convert(pt uint8, payload []byte) ([]byte, error) {
	want := r.codec.PayloadType
	switch {
	case pt == want:
		return payload, nil
	case len(payload) > len(r.buf):
		return nil, fmt.Errorf("%w: payload of %d bytes", ErrPayloadType, len(payload))
	case pt == PCMU.PayloadType && want == PCMA.PayloadType:
		return g711.ULawToALaw(r.buf[:], payload), nil
	case pt == PCMA.PayloadType && want == PCMU.PayloadType:
		return g711.ALawToULaw(r.buf[:], payload), nil
	}
	return nil, fmt.Errorf("%w: PT %d on a %s leg", ErrPayloadType, pt, r.codec.Name)
}
