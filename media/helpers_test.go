package media

import (
	"context"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/frontdoor-project/frontdoor/media/g711"
	"github.com/frontdoor-project/frontdoor/media/tones"
)

// phone is a peer on a real UDP socket on 127.0.0.1, sending and
// receiving RTP the way a SIP phone would.
type phone struct {
	t    testing.TB
	conn *net.UDPConn
	hdr  rtp.Header
	buf  []byte
}

func newPhone(t testing.TB) *phone {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &phone{t: t, conn: conn, buf: make([]byte, 1500),
		hdr: rtp.Header{Version: 2, SSRC: rand.Uint32(), SequenceNumber: uint16(rand.Uint32()), Timestamp: rand.Uint32()}}
}

func (p *phone) addr() *net.UDPAddr { return p.conn.LocalAddr().(*net.UDPAddr) }

// send sends one packet of payload type pt; the sequence number and
// timestamp advance as a real stream's would.
func (p *phone) send(to *net.UDPAddr, pt uint8, marker bool, payload []byte) {
	p.t.Helper()
	p.hdr.PayloadType, p.hdr.Marker = pt, marker
	pkt := rtp.Packet{Header: p.hdr, Payload: payload}
	b, err := pkt.Marshal()
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.conn.WriteToUDP(b, to); err != nil {
		p.t.Fatal(err)
	}
	p.hdr.SequenceNumber++
	p.hdr.Timestamp += uint32(len(payload))
}

// sendTone sends n 20 ms frames of a sine at freq, encoded in codec c.
func (p *phone) sendTone(to *net.UDPAddr, c Codec, freq float64, n int) {
	gen := tones.NewGenerator(freq, 10000)
	pcm := make([]int16, frameSamples)
	for i := range n {
		gen.Fill(pcm)
		p.send(to, c.PayloadType, i == 0, encode(c, pcm))
	}
}

// read returns the next packet; it fails the test if none comes within
// five seconds (a guard against hanging, not a timing assertion).
func (p *phone) read() *rtp.Packet {
	p.t.Helper()
	pkt, ok := p.tryRead(5 * time.Second)
	if !ok {
		p.t.Fatal("no RTP packet arrived")
	}
	return pkt
}

func (p *phone) tryRead(wait time.Duration) (*rtp.Packet, bool) {
	p.conn.SetReadDeadline(time.Now().Add(wait))
	n, _, err := p.conn.ReadFromUDP(p.buf)
	if err != nil {
		return nil, false
	}
	pkt := &rtp.Packet{}
	if err := pkt.Unmarshal(append([]byte(nil), p.buf[:n]...)); err != nil {
		p.t.Fatalf("not RTP: %v", err)
	}
	return pkt, true
}

func encode(c Codec, pcm []int16) []byte {
	if c.PayloadType == PCMA.PayloadType {
		return g711.EncodeALaw(make([]byte, len(pcm)), pcm)
	}
	return g711.EncodeULaw(make([]byte, len(pcm)), pcm)
}

func decode(t testing.TB, pkt *rtp.Packet) []int16 {
	t.Helper()
	switch pkt.PayloadType {
	case PCMU.PayloadType:
		return g711.DecodeULaw(make([]int16, len(pkt.Payload)), pkt.Payload)
	case PCMA.PayloadType:
		return g711.DecodeALaw(make([]int16, len(pkt.Payload)), pkt.Payload)
	}
	t.Fatalf("unexpected payload type %d", pkt.PayloadType)
	return nil
}

// newLeg opens a leg from a real port pool on 127.0.0.1 towards peer.
func newLeg(t testing.TB, pool *PortPool, peer *phone, cfg LegConfig) *RTPLeg {
	t.Helper()
	conn, err := pool.Listen()
	if err != nil {
		t.Fatal(err)
	}
	if peer != nil {
		cfg.Remote = peer.addr()
	}
	leg := NewRTPLeg(conn, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	leg.Start(ctx)
	t.Cleanup(func() { cancel(); leg.Close() })
	return leg
}

func testPool(t testing.TB) *PortPool {
	// A random slice of the high range keeps parallel test binaries apart.
	lo := 30000 + 2*rand.IntN(10000)
	return NewPortPool("127.0.0.1", lo, lo+2000)
}
