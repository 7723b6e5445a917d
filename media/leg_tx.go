package media

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pion/rtp"

	"github.com/frontdoor-project/frontdoor/media/g711"
)

// ErrNoRemote is returned by writes before the leg knows its peer.
var ErrNoRemote = errors.New("media: leg has no remote address yet")

// ErrPayloadType is returned for a packet the leg cannot send in its codec.
var ErrPayloadType = errors.New("media: payload type cannot be sent on this leg")

// txStream is the leg's outbound RTP stream state. Whatever the source of a
// packet, the phone must see one stream: one SSRC, sequence numbers that
// count up by one, timestamps that advance with real time. A new source is
// recognised by its SSRC; at the switch the offsets are recomputed and the
// marker bit set (RFC 3551 4.1: start of a talkspurt) so the phone's jitter
// buffer resynchronises instead of dropping "late" packets.
type txStream struct {
	mu     sync.Mutex
	closed bool
	codec  Codec
	ssrc   uint32
	local  uint32 // source id used by WriteAudio

	started  bool
	src      uint32 // SSRC of the source being relayed
	seqOff   uint16
	tsOff    uint32
	seq      uint16 // last sent
	ts       uint32 // last sent
	samples  uint32 // duration of the last sent packet
	sentAt   time.Time
	localSeq uint16
	localTS  uint32

	header  rtp.Header
	payload [maxPacketBytes]byte
	wire    [maxPacketBytes]byte
}

func (t *txStream) init(c Codec) {
	t.codec = c
	t.ssrc = rand.Uint32()
	t.local = rand.Uint32()
	t.seq = uint16(rand.Uint32())
	t.ts = rand.Uint32()
	t.header = rtp.Header{Version: 2, SSRC: t.ssrc, PayloadType: c.PayloadType}
}

func (t *txStream) close() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
}

// WriteRTP sends p to the peer with this leg's SSRC, continuous sequence
// numbers and timestamps, converting PCMU<->PCMA as needed. p is not
// modified or kept.
func (l *RTPLeg) WriteRTP(p *rtp.Packet) error {
	return l.send(p.SSRC, p.SequenceNumber, p.Timestamp, p.Marker, p.PayloadType, p.Payload)
}

// WriteAudio sends one frame already encoded in the leg's codec, as a
// source of its own (the first frame after relayed audio marks a switch).
func (l *RTPLeg) WriteAudio(payload []byte) error {
	l.tx.mu.Lock()
	seq, ts := l.tx.localSeq, l.tx.localTS
	l.tx.localSeq++
	l.tx.localTS += uint32(len(payload))
	l.tx.mu.Unlock()
	return l.send(l.tx.local, seq, ts, false, l.cfg.Codec.PayloadType, payload)
}

func (l *RTPLeg) send(src uint32, seq uint16, ts uint32, marker bool, pt uint8, payload []byte) error {
	remote := l.remote.Load()
	if remote == nil {
		return ErrNoRemote
	}
	t := &l.tx
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return ErrClosed
	}
	body, err := t.convert(pt, payload)
	if err != nil {
		return err
	}
	now := time.Now()
	if !t.started || src != t.src {
		marker = true
		t.switchTo(src, seq, ts, now)
	}
	t.header.Marker = marker
	t.header.SequenceNumber = seq + t.seqOff
	t.header.Timestamp = ts + t.tsOff
	n, err := t.header.MarshalTo(t.wire[:])
	if err != nil {
		return fmt.Errorf("media: marshal rtp header: %w", err)
	}
	n += copy(t.wire[n:], body)
	t.seq, t.ts, t.samples, t.sentAt = t.header.SequenceNumber, t.header.Timestamp, uint32(len(body)), now
	// Counted before the send so a peer that has the packet never sees a
	// counter without it; taken back if the send fails.
	if l.stats != nil {
		l.stats.TxPackets.Add(1)
	}
	if _, err := l.conn.WriteToUDPAddrPort(t.wire[:n], *remote); err != nil {
		if l.stats != nil {
			l.stats.TxPackets.Add(^uint64(0))
		}
		return fmt.Errorf("media: send rtp to %s: %w", remote, err)
	}
	return nil
}

// switchTo starts relaying a new source: the next packet continues our
// sequence, and our timestamp advances by the wall-clock time since the
// last packet (at least that packet's duration), so the gap is heard as a
// gap and the clock never goes back.
func (t *txStream) switchTo(src uint32, seq uint16, ts uint32, now time.Time) {
	nextSeq, nextTS := t.seq+1, t.ts
	if t.started {
		gap := uint32(now.Sub(t.sentAt) * time.Duration(t.codec.ClockRate) / time.Second)
		nextTS += max(gap, t.samples)
	}
	t.started, t.src = true, src
	t.seqOff = nextSeq - seq
	t.tsOff = nextTS - ts
}

// convert returns the payload in the leg's codec, transcoding G.711 by
// table into the stream's own buffer when the source used the other law.
func (t *txStream) convert(pt uint8, payload []byte) ([]byte, error) {
	want := t.codec.PayloadType
	switch {
	case pt == want:
		return payload, nil
	case len(payload) > len(t.payload):
		return nil, fmt.Errorf("%w: payload of %d bytes", ErrPayloadType, len(payload))
	case pt == PCMU.PayloadType && want == PCMA.PayloadType:
		return g711.ULawToALaw(t.payload[:], payload), nil
	case pt == PCMA.PayloadType && want == PCMU.PayloadType:
		return g711.ALawToULaw(t.payload[:], payload), nil
	}
	return nil, fmt.Errorf("%w: PT %d on a %s leg", ErrPayloadType, pt, t.codec.Name)
}
