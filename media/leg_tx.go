package media

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pion/rtp"
)

// ErrNoRemote is returned by writes before the leg knows its peer.
var ErrNoRemote = errors.New("media: leg has no remote address yet")

// ErrPayloadType is returned for a packet the leg cannot send in its codec.
var ErrPayloadType = errors.New("media: payload type cannot be sent on this leg")

// txStream is the leg's outbound RTP stream: the Rewriter's continuity with
// this leg's own SSRC and wire buffer.
type txStream struct {
	mu     sync.Mutex
	closed bool
	local  uint32 // source id used by WriteAudio

	rw       Rewriter
	localSeq uint16
	localTS  uint32

	header rtp.Header
	wire   [maxPacketBytes]byte
}

func (t *txStream) init(c Codec) {
	t.rw.Init(c)
	t.local = rand.Uint32()
	t.header = rtp.Header{Version: 2, SSRC: rand.Uint32(), PayloadType: c.PayloadType}
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
	seq, ts, marker, body, err := t.rw.Rewrite(src, seq, ts, marker, pt, payload, time.Now())
	if err != nil {
		return err
	}
	t.header.Marker, t.header.SequenceNumber, t.header.Timestamp = marker, seq, ts
	n, err := t.header.MarshalTo(t.wire[:])
	if err != nil {
		return fmt.Errorf("media: marshal rtp header: %w", err)
	}
	n += copy(t.wire[n:], body)
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
