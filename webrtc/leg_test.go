package webrtc

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/pion/rtp"
	pion "github.com/pion/webrtc/v4"

	"github.com/frontdoor-project/frontdoor/media/g711"
	"github.com/frontdoor-project/frontdoor/media/tones"
	"github.com/frontdoor-project/frontdoor/webrtc/webrtctest"
)

// connectedLeg makes a browser leg on loopback and a Go browser answering
// it that sends freq Hz; it returns once ICE and DTLS are up.
func connectedLeg(tb testing.TB, ctx context.Context, api *pion.API, freq float64) (*Leg, *webrtctest.Peer) {
	tb.Helper()
	l, err := newLeg(api, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		tb.Fatal(err)
	}
	offer, err := l.Offer(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	peer, answer, err := webrtctest.Answer(ctx, offer, freq, 0)
	if err != nil {
		tb.Fatal(err)
	}
	if err := l.Answer(answer); err != nil {
		tb.Fatal(err)
	}
	select {
	case <-l.Connected():
	case <-ctx.Done():
		tb.Fatal("leg never connected")
	}
	return l, peer
}

func loopbackAPI(tb testing.TB) *pion.API {
	api, err := newAPI(PeerConfig{IP: "127.0.0.1"})
	if err != nil {
		tb.Fatal(err)
	}
	return api
}

// The browser's audio reaches the sink as PCMU; its keypad's RFC 4733
// events reach OnDTMF once per key press and never the sink.
func TestLegDeliversAudioAndKeys(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	l, peer := connectedLeg(t, ctx, loopbackAPI(t), 1000)
	defer l.Close()
	defer peer.Close()

	frames := make(chan []int16, 500)
	l.SetSink(func(p *rtp.Packet) {
		if p.PayloadType != 0 {
			t.Errorf("sink got PT %d", p.PayloadType)
		}
		select {
		case frames <- g711.DecodeULaw(make([]int16, 0, len(p.Payload)), p.Payload):
		default:
		}
	})
	keys := make(chan rune, 10)
	l.OnDTMF(func(k rune) { keys <- k })
	for heard := false; !heard; {
		select {
		case f := <-frames:
			heard = len(f) == 160 && tones.Dominates(f, 1000)
		case <-ctx.Done():
			t.Fatal("the browser's 1 kHz tone never reached the sink")
		}
	}
	for _, k := range "5#" {
		if err := peer.PressKey(k); err != nil {
			t.Fatal(err)
		}
	}
	var got []rune
	for len(got) < 2 {
		select {
		case k := <-keys:
			got = append(got, k)
		case <-ctx.Done():
			t.Fatalf("keys %q, want 5 and #", string(got))
		}
	}
	if string(got) != "5#" {
		t.Fatalf("keys %q, want \"5#\" (one per press)", string(got))
	}
}

// Whatever we relay into a browser leg, the browser sees one stream:
// sequence numbers one apart across a change of source, timestamps that go
// forward, the marker bit at the change, and PCMA turned into PCMU.
func TestLegSendsOneContinuousStream(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	l, peer := connectedLeg(t, ctx, loopbackAPI(t), 0)
	defer l.Close()
	defer peer.Close()

	tone := g711.EncodeALaw(make([]byte, 0, 160), tones.Sine(1000, 8000, 160))
	send := func(ssrc uint32, seq uint16, ts uint32, pt uint8, payload []byte, n int) {
		for i := 0; i < n; i++ {
			p := &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: ssrc, SequenceNumber: seq + uint16(i),
				Timestamp: ts + uint32(i*160), PayloadType: pt}, Payload: payload}
			if err := l.WriteRTP(p); err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond) // real-time pacing, as a prompt plays
		}
	}
	silence := make([]byte, 160)
	for i := range silence {
		silence[i] = g711.ULawSilence
	}
	send(0x1111, 65530, 4000000000, 0, silence, 10) // wraps its sequence number
	send(0x2222, 7, 99, 8, tone, 10)                // another source, in PCMA
	if !peer.WaitPackets(ctx, 20) {
		t.Fatalf("browser got %d packets, want 20", peer.Packets())
	}
	h := peer.Headers()
	for i := 1; i < len(h); i++ {
		if h[i].SequenceNumber != h[i-1].SequenceNumber+1 {
			t.Errorf("packet %d: seq %d after %d", i, h[i].SequenceNumber, h[i-1].SequenceNumber)
		}
		if d := h[i].Timestamp - h[i-1].Timestamp; d < 160 || d > 160*20 {
			t.Errorf("packet %d: timestamp moved by %d", i, int32(d))
		}
		if h[i].SSRC != h[0].SSRC || h[i].PayloadType != 0 {
			t.Errorf("packet %d: SSRC %x PT %d", i, h[i].SSRC, h[i].PayloadType)
		}
		if h[i].Marker != (i == 10) {
			t.Errorf("packet %d: marker %v", i, h[i].Marker)
		}
	}
	if !peer.WaitTone(ctx, 1000) {
		t.Error("the PCMA tone did not arrive as PCMU audio")
	}
	// A closed leg refuses writes and says so.
	l.Close()
	if err := l.WriteRTP(&rtp.Packet{Header: rtp.Header{PayloadType: 0}, Payload: silence}); err == nil {
		t.Error("write on a closed leg succeeded")
	}
	if err := (&Leg{}).tx.send(&rtp.Packet{Header: rtp.Header{PayloadType: 18}}, nil); err == nil {
		t.Error("a G.729 packet was accepted")
	}
}
