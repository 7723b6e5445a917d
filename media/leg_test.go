package media

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/frontdoor-project/frontdoor/media/dtmf"
	"github.com/frontdoor-project/frontdoor/media/tones"
)

// TestStreamContinuityAcrossSources plays a prompt into the caller's leg,
// then bridges it to an agent leg: the caller's phone must see one stream.
func TestStreamContinuityAcrossSources(t *testing.T) {
	pool := testPool(t)
	caller, agent := newPhone(t), newPhone(t)
	a := newLeg(t, pool, caller, LegConfig{Codec: PCMU})
	b := newLeg(t, pool, agent, LegConfig{Codec: PCMA})

	prompt := NewPrompt("beep", tones.Sine(1000, 8000, 5*frameSamples))
	if err := Play(context.Background(), a, prompt); err != nil {
		t.Fatal(err)
	}
	var got []*rtp.Packet
	for range 5 {
		got = append(got, caller.read())
	}
	stop := Bridge(a, b)
	defer stop()
	agent.sendTone(b.LocalAddr(), PCMA, 2000, 5)
	for range 5 {
		got = append(got, caller.read())
	}
	// A second prompt after the bridge stops: a third source.
	stop()
	if err := Play(context.Background(), a, prompt); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		got = append(got, caller.read())
	}

	ssrc := got[0].SSRC
	if ssrc == agent.hdr.SSRC {
		t.Fatal("agent's SSRC leaked to the caller")
	}
	for i, p := range got {
		if p.SSRC != ssrc {
			t.Fatalf("packet %d: SSRC %08x, want %08x throughout", i, p.SSRC, ssrc)
		}
		if p.PayloadType != PCMU.PayloadType {
			t.Fatalf("packet %d: PT %d on a PCMU leg", i, p.PayloadType)
		}
		wantMarker := i%5 == 0 // first packet of each source
		if p.Marker != wantMarker {
			t.Errorf("packet %d: marker %v, want %v", i, p.Marker, wantMarker)
		}
		if i == 0 {
			continue
		}
		if p.SequenceNumber != got[i-1].SequenceNumber+1 {
			t.Errorf("packet %d: seq %d after %d", i, p.SequenceNumber, got[i-1].SequenceNumber)
		}
		if d := p.Timestamp - got[i-1].Timestamp; d < frameSamples || d > 1<<30 {
			t.Errorf("packet %d: timestamp advanced by %d", i, int32(d))
		}
	}
	for i := 5; i < 10; i++ {
		if !tones.Dominates(decode(t, got[i]), 2000) {
			t.Errorf("relayed packet %d lost the agent's tone", i)
		}
	}
}

func TestDTMFEventsGiveOneDigitEach(t *testing.T) {
	pool := testPool(t)
	caller := newPhone(t)
	leg := newLeg(t, pool, caller, LegConfig{Codec: PCMU, DTMFPayloadType: 101})
	digits := make(chan rune, 16)
	leg.OnDTMF(func(d rune) { digits <- d })
	var audio atomic.Int32
	leg.SetSink(func(p *rtp.Packet) {
		if p.PayloadType == 101 {
			t.Error("telephone-event reached the audio sink")
		}
		audio.Add(1)
	})

	pressKey := func(d rune) {
		pkts, err := dtmf.Sender{}.Packets(d, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		ts := caller.hdr.Timestamp
		for _, p := range pkts {
			caller.hdr.Timestamp = ts // every packet of an event carries its start time
			caller.send(leg.LocalAddr(), 101, p.Marker, p.Payload[:])
		}
		caller.hdr.Timestamp = ts + 800
	}
	caller.sendTone(leg.LocalAddr(), PCMU, 1000, 2)
	pressKey('1')
	pressKey('#')
	pressKey('1')
	// The same end packet again, late: must not give a fourth digit.
	end := dtmf.Event{Code: 1, End: true, Duration: 800}.Marshal()
	caller.hdr.Timestamp -= 800
	caller.send(leg.LocalAddr(), 101, false, end[:])
	caller.hdr.Timestamp += 800
	pressKey('9') // sentinel: once it arrives, everything before it was handled

	var got []rune
	for len(got) == 0 || got[len(got)-1] != '9' {
		select {
		case d := <-digits:
			got = append(got, d)
		case <-time.After(5 * time.Second):
			t.Fatalf("digits so far %q; sentinel never came", string(got))
		}
	}
	if string(got) != "1#19" {
		t.Fatalf("digits %q, want %q", string(got), "1#19")
	}
	if audio.Load() != 2 {
		t.Fatalf("sink saw %d audio packets, want 2", audio.Load())
	}
}

func TestForeignSourceIsDropped(t *testing.T) {
	pool := testPool(t)
	caller, intruder := newPhone(t), newPhone(t)
	var stats Stats
	leg := newLeg(t, pool, caller, LegConfig{Codec: PCMU, DTMFPayloadType: 101, Stats: &stats})
	heard := make(chan *rtp.Packet, 64)
	leg.SetSink(func(p *rtp.Packet) { heard <- p.Clone() })
	keys := make(chan rune, 4)
	leg.OnDTMF(func(d rune) { keys <- d })

	// The intruder injects audio and a key press; on loopback its packets
	// are queued on the leg's socket before the caller's.
	intruder.sendTone(leg.LocalAddr(), PCMU, 2000, 10)
	ev := dtmf.Event{Code: 5, End: true, Duration: 800}.Marshal()
	intruder.send(leg.LocalAddr(), 101, true, ev[:])
	caller.sendTone(leg.LocalAddr(), PCMU, 1000, 1)

	p := <-heard
	if p.SSRC != caller.hdr.SSRC || !tones.Dominates(decode(t, p), 1000) {
		t.Fatalf("first audio heard is not the caller's (SSRC %08x)", p.SSRC)
	}
	select {
	case d := <-keys:
		t.Fatalf("intruder's key %q accepted", d)
	default:
	}
	if stats.Dropped.Load() != 11 {
		t.Fatalf("dropped %d packets, want 11", stats.Dropped.Load())
	}
}

func TestLatchHookAdoptsNewSource(t *testing.T) {
	pool := testPool(t)
	signalled, actual := newPhone(t), newPhone(t)
	var asked atomic.Int32
	leg := newLeg(t, pool, signalled, LegConfig{Codec: PCMU, Latch: func(from netip.AddrPort) bool {
		asked.Add(1)
		return from.Port() == uint16(actual.addr().Port)
	}})
	heard := make(chan uint32, 4)
	leg.SetSink(func(p *rtp.Packet) { heard <- p.SSRC })
	actual.sendTone(leg.LocalAddr(), PCMU, 1000, 1)
	if ssrc := <-heard; ssrc != actual.hdr.SSRC {
		t.Fatalf("heard SSRC %08x", ssrc)
	}
	// Our audio now goes to the latched address.
	if err := leg.WriteAudio(encode(PCMU, tones.Sine(1000, 8000, 160))); err != nil {
		t.Fatal(err)
	}
	actual.read()
	if asked.Load() != 1 {
		t.Fatalf("latch asked %d times, want once", asked.Load())
	}
}

func TestInactivityEndsLeg(t *testing.T) {
	pool := testPool(t)
	caller := newPhone(t)
	leg := newLeg(t, pool, caller, LegConfig{Codec: PCMU, Timeout: 100 * time.Millisecond})
	select {
	case <-leg.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("leg still alive without RTP")
	}
	if !errors.Is(leg.Err(), ErrInactive) {
		t.Fatalf("Err = %v, want ErrInactive", leg.Err())
	}
	if err := leg.WriteAudio(make([]byte, 160)); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after death: %v", err)
	}
}

// Packets from a foreign address must not keep a dead call's leg alive.
func TestForeignTrafficDoesNotKeepLegAlive(t *testing.T) {
	pool := testPool(t)
	caller, intruder := newPhone(t), newPhone(t)
	leg := newLeg(t, pool, caller, LegConfig{Codec: PCMU, Timeout: 150 * time.Millisecond})
	stop := make(chan struct{})
	var sender sync.WaitGroup
	defer func() { close(stop); sender.Wait() }() // before Cleanup closes the sockets
	sender.Go(func() {
		frame := make([]byte, frameSamples)
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				intruder.send(leg.LocalAddr(), PCMU.PayloadType, false, frame)
			}
		}
	})
	select {
	case <-leg.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("foreign packets kept the leg alive")
	}
	if !errors.Is(leg.Err(), ErrInactive) {
		t.Fatalf("Err = %v, want ErrInactive", leg.Err())
	}
}

func TestCloseAndContextEndLeg(t *testing.T) {
	pool := testPool(t)
	caller := newPhone(t)
	conn, err := pool.Listen()
	if err != nil {
		t.Fatal(err)
	}
	leg := NewRTPLeg(conn, LegConfig{Remote: caller.addr()})
	ctx, cancel := context.WithCancel(context.Background())
	leg.Start(ctx)
	cancel()
	<-leg.Done()
	if leg.Err() != nil {
		t.Fatalf("Err after a deliberate end = %v", leg.Err())
	}
	if err := leg.Close(); err != nil && !strings.Contains(err.Error(), "closed") {
		t.Fatalf("second Close: %v", err)
	}
	if leg.Codec() != PCMU {
		t.Fatalf("default codec %v", leg.Codec())
	}
}

func TestWriteRefusals(t *testing.T) {
	pool := testPool(t)
	conn, err := pool.Listen()
	if err != nil {
		t.Fatal(err)
	}
	leg := NewRTPLeg(conn, LegConfig{Codec: PCMA})
	defer leg.Close()
	if err := leg.WriteAudio(make([]byte, 160)); !errors.Is(err, ErrNoRemote) {
		t.Fatalf("write without remote: %v", err)
	}
	caller := newPhone(t)
	leg.SetRemote(caller.addr())
	g722 := &rtp.Packet{Header: rtp.Header{PayloadType: 9}, Payload: make([]byte, 160)}
	if err := leg.WriteRTP(g722); !errors.Is(err, ErrPayloadType) {
		t.Fatalf("G.722 on a PCMA leg: %v", err)
	}
}
