package record

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/internal/testua"
	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/media/tones"
)

// TestRecordsABridgedCall records a real call: two phones on UDP sockets
// sending tones (caller 1 kHz PCMU, agent 2 kHz PCMA) through frontdoor's
// RTP legs, bridged by media.Bridge over the recorder's taps.
func TestRecordsABridgedCall(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	callerPhone, callerLeg := phoneAndLeg(t, ctx, media.PCMU)
	agentPhone, agentLeg := phoneAndLeg(t, ctx, media.PCMA)

	path := filepath.Join(t.TempDir(), "bridged.wav")
	rec, err := Create(path, Config{})
	if err != nil {
		t.Fatal(err)
	}
	stop := media.Bridge(rec.Caller(callerLeg), rec.Agent(agentLeg))
	callerPhone.Start(ctx, callerLeg.LocalAddr(), media.PCMU.PayloadType, 0, callerHz)
	agentPhone.Start(ctx, agentLeg.LocalAddr(), media.PCMA.PayloadType, 0, agentHz)

	// The bridge carries the call: each phone hears the other.
	wait, done := context.WithTimeout(ctx, 10*time.Second) // a hang guard
	defer done()
	if !callerPhone.WaitTone(wait, agentHz) || !agentPhone.WaitTone(wait, callerHz) {
		t.Fatal("the bridged phones never heard each other")
	}
	// A second of call, counted in packets the caller received.
	if !callerPhone.WaitAudio(wait, callerPhone.Packets()+50) {
		t.Fatal("the call stopped")
	}
	stop()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if rec.Dropped() != 0 {
		t.Errorf("%d packets dropped on a healthy disk", rec.Dropped())
	}

	left, right := readBack(t, path)
	ls, le := extent(left)
	rs, re := extent(right)
	if le-ls < sampleRate || re-rs < sampleRate {
		t.Fatalf("recorded %d and %d samples of audio, want over a second each", le-ls, re-rs)
	}
	// Every whole frame of each channel's audio is its own side's tone
	// (the phones send continuously from their first packet).
	checkTone(t, "left", left[ls:le], callerHz)
	checkTone(t, "right", right[rs:re], agentHz)
	// Both sides talked over the same span: the phones started together
	// and the recording stopped on both at once. Real sockets and tickers
	// jitter, so allow two frames rather than one.
	if d := abs(ls - rs); d > 2*frame {
		t.Errorf("channels' audio starts %d samples apart", d)
	}
	if d := abs(le - re); d > 2*frame {
		t.Errorf("channels' audio ends %d samples apart", d)
	}
}

func checkTone(t *testing.T, name string, audio []int16, freq float64) {
	t.Helper()
	quiet := 0
	for off := 0; off+frame <= len(audio); off += frame {
		f := audio[off : off+frame]
		if tones.Energy(f) < tones.MinEnergy {
			quiet++ // a packet late beyond the hold, or lost: silence, never the other side
			continue
		}
		if !tones.Dominates(f, freq) {
			t.Fatalf("%s channel frame %d is not %v Hz", name, off/frame, freq)
		}
	}
	if frames := len(audio) / frame; quiet > frames/10 {
		t.Fatalf("%s channel: %d of %d frames silent", name, quiet, frames)
	}
}

// phoneAndLeg opens a test phone and frontdoor's RTP leg towards it.
func phoneAndLeg(t *testing.T, ctx context.Context, c media.Codec) (*testua.RTPPeer, *media.RTPLeg) {
	t.Helper()
	ph, err := testua.NewRTPPeer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ph.Conn.Close() })
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	leg := media.NewRTPLeg(conn, media.LegConfig{Remote: ph.Conn.LocalAddr().(*net.UDPAddr), Codec: c})
	leg.Start(ctx)
	t.Cleanup(func() { leg.Close() })
	return ph, leg
}
