package media

import (
	"sync/atomic"

	"github.com/pion/rtp"
)

// Endpoint is one side of a call's audio: an RTP leg today, a WebRTC track
// later. Bridge and Play work on any Endpoint.
type Endpoint interface {
	Codec() Codec
	// WriteRTP sends a packet from any source. The endpoint rewrites SSRC,
	// sequence number and timestamp so its outbound stream stays one
	// continuous stream across sources (prompt, hold music, relayed audio),
	// and converts G.711 payloads to its own codec. It does not keep p.
	WriteRTP(p *rtp.Packet) error
	// SetSink sets where inbound audio goes (never DTMF events); nil drops
	// it. The packet is only valid during the call: the sink must not keep
	// it or its payload.
	SetSink(func(p *rtp.Packet))
	// OnDTMF sets the handler for RFC 4733 key presses, called once per
	// key press.
	OnDTMF(func(digit rune))
	// Done is closed when the endpoint dies (closed, RTP inactivity).
	Done() <-chan struct{}
	Close() error
}

// Stats counts RTP packets across all legs that share it, for metrics.
// The zero value is ready; all methods are safe for concurrent use.
type Stats struct {
	RxPackets atomic.Uint64 // accepted inbound packets
	TxPackets atomic.Uint64 // packets sent
	Dropped   atomic.Uint64 // inbound packets refused: foreign source, not RTP, unknown payload type
}

// Packets returns the inbound and outbound counts.
func (s *Stats) Packets() (in, out uint64) { return s.RxPackets.Load(), s.TxPackets.Load() }
