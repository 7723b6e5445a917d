package mix

import (
	"context"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/media/g711"
	"github.com/frontdoor-project/frontdoor/media/tones"
)

// toneAmp is the peak of each phone's tone; three of them sum below
// clipping, so the mix is linear and each tone's power is known.
const toneAmp = 6000

// tonePower is what tones.Detect gives for one phone's tone at full level.
const tonePower = toneAmp * toneAmp / 2

// phone is a SIP phone's media side on a real UDP socket: it sends a tone
// every 20 ms to frontdoor's leg and keeps everything it receives.
type phone struct {
	t     testing.TB
	conn  *net.UDPConn
	codec media.Codec
	leg   *media.RTPLeg // frontdoor's side, towards this phone

	mu      sync.Mutex
	pcm     []int16
	headers []rtp.Header
	notify  chan struct{}
}

// newPhone opens a phone sending freq in codec c, and frontdoor's leg
// towards it (media.NewRTPLeg on its own socket, as the SIP edge makes).
func newPhone(t testing.TB, ctx context.Context, c media.Codec, freq float64) *phone {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	legConn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &phone{t: t, conn: conn, codec: c, notify: make(chan struct{}, 1)}
	p.leg = media.NewRTPLeg(legConn, media.LegConfig{Remote: conn.LocalAddr().(*net.UDPAddr), Codec: c})
	p.leg.Start(ctx)
	t.Cleanup(func() { conn.Close(); p.leg.Close() })
	go p.receive()
	go p.talk(ctx, freq)
	return p
}

// talk sends the tone in 20 ms packets until ctx ends.
func (p *phone) talk(ctx context.Context, freq float64) {
	gen := tones.NewGenerator(freq, toneAmp)
	pcm := make([]int16, tones.FrameSamples)
	payload := make([]byte, tones.FrameSamples)
	hdr := rtp.Header{Version: 2, PayloadType: p.codec.PayloadType, SSRC: rand.Uint32(), Timestamp: rand.Uint32()}
	to := p.leg.LocalAddr()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		gen.Fill(pcm)
		if p.codec == media.PCMA {
			g711.EncodeALaw(payload, pcm)
		} else {
			g711.EncodeULaw(payload, pcm)
		}
		b, _ := (&rtp.Packet{Header: hdr, Payload: payload}).Marshal()
		if _, err := p.conn.WriteToUDP(b, to); err != nil {
			return
		}
		hdr.SequenceNumber++
		hdr.Timestamp += tones.FrameSamples
	}
}

func (p *phone) receive() {
	buf := make([]byte, 1500)
	for {
		n, err := p.conn.Read(buf)
		if err != nil {
			return
		}
		var pkt rtp.Packet
		if err := pkt.Unmarshal(buf[:n]); err != nil {
			p.t.Errorf("phone received a non-RTP datagram: %v", err)
			return
		}
		var pcm []int16
		switch pkt.PayloadType {
		case media.PCMU.PayloadType:
			pcm = g711.DecodeULaw(make([]int16, len(pkt.Payload)), pkt.Payload)
		case media.PCMA.PayloadType:
			pcm = g711.DecodeALaw(make([]int16, len(pkt.Payload)), pkt.Payload)
		}
		if pkt.PayloadType != p.codec.PayloadType {
			p.t.Errorf("a %s phone received payload type %d", p.codec.Name, pkt.PayloadType)
		}
		p.mu.Lock()
		p.pcm = append(p.pcm, pcm...)
		p.headers = append(p.headers, pkt.Header)
		p.mu.Unlock()
		select {
		case p.notify <- struct{}{}:
		default:
		}
	}
}

// received is how many samples have arrived so far.
func (p *phone) received() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pcm)
}

// audio returns a copy of the samples received in [from, to).
func (p *phone) audio(from, to int) []int16 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int16(nil), p.pcm[from:to]...)
}

// waitFor waits, packet by packet, until cond holds on the phone's last
// 200 ms of audio; the guard fails the test if it never does.
func (p *phone) waitFor(what string, cond func(last []int16) bool) {
	p.t.Helper()
	guard := time.NewTimer(10 * time.Second) // a hang guard, not a timing assertion
	defer guard.Stop()
	for {
		if n := p.received(); n >= 1600 && cond(p.audio(n-1600, n)) {
			return
		}
		select {
		case <-p.notify:
		case <-guard.C:
			p.t.Fatalf("phone never got %s", what)
		}
	}
}

// next waits until n more samples than mark have arrived and returns them.
func (p *phone) next(mark, n int) []int16 {
	p.t.Helper()
	p.waitFor("more audio", func([]int16) bool { return p.received() >= mark+n })
	return p.audio(mark, mark+n)
}

// present reports whether freq is in samples at no less than a quarter of
// a phone's tone level (-6 dB of amplitude).
func present(samples []int16, freq float64) bool {
	return tones.Detect(samples, freq) > tonePower/4
}

// absentInEveryFrame fails the test if any 20 ms frame of samples holds
// freq above 1% of a tone's level (-20 dB): quantisation noise and the
// edges of silent ticks stay far below that.
func absentInEveryFrame(t testing.TB, who string, samples []int16, freq float64) {
	t.Helper()
	for off := 0; off+tones.FrameSamples <= len(samples); off += tones.FrameSamples {
		if pw := tones.Detect(samples[off:off+tones.FrameSamples], freq); pw > tonePower/100 {
			t.Fatalf("%s hears %v Hz in frame %d (power %.0f, a tone is %d)", who, freq, off/tones.FrameSamples, pw, tonePower)
		}
	}
}
