package media

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/media/g711"
	"github.com/frontdoor-project/frontdoor/media/tones"
)

func TestPlaySendsEveryFrameInOneStream(t *testing.T) {
	pool := testPool(t)
	caller := newPhone(t)
	var stats Stats
	leg := newLeg(t, pool, caller, LegConfig{Codec: PCMA, Stats: &stats})
	// 49.5 frames: the last one is padded with silence.
	a := NewPrompt("a", tones.Sine(1000, 8000, 30*frameSamples))
	b := NewPrompt("b", tones.Sine(2000, 8000, 19*frameSamples+80))
	if err := Play(context.Background(), leg, a, b); err != nil {
		t.Fatal(err)
	}
	if n := stats.TxPackets.Load(); n != 50 {
		t.Fatalf("sent %d packets, want 50", n)
	}
	prev := caller.read()
	if !prev.Marker {
		t.Error("first packet of a prompt has no marker")
	}
	for i := 1; i < 50; i++ {
		p := caller.read()
		if p.SequenceNumber != prev.SequenceNumber+1 || p.Timestamp != prev.Timestamp+frameSamples {
			t.Fatalf("packet %d: seq %d ts %d after seq %d ts %d", i, p.SequenceNumber, p.Timestamp, prev.SequenceNumber, prev.Timestamp)
		}
		if p.Marker || len(p.Payload) != frameSamples {
			t.Fatalf("packet %d: marker %v, %d bytes", i, p.Marker, len(p.Payload))
		}
		pcm := decode(t, p)
		switch {
		case i < 30 && !tones.Dominates(pcm, 1000):
			t.Fatalf("frame %d lacks the first clip's tone", i)
		case i >= 30 && i < 49 && !tones.Dominates(pcm, 2000):
			t.Fatalf("frame %d lacks the second clip's tone", i)
		case i == 49:
			if p.Payload[frameSamples-1] != g711.ALawSilence {
				t.Fatalf("last frame padded with %#x, want A-law silence", p.Payload[frameSamples-1])
			}
		}
		prev = p
	}
}

// TestPlayIsPacedAndBargeInStopsIt proves pacing by counting: a 2 s clip
// is cancelled after its fifth packet arrives, and by then only a handful
// of its 100 frames may have left.
func TestPlayIsPacedAndBargeInStopsIt(t *testing.T) {
	pool := testPool(t)
	caller := newPhone(t)
	var stats Stats
	leg := newLeg(t, pool, caller, LegConfig{Codec: PCMU, Stats: &stats})
	long := NewPrompt("long", tones.Sine(1000, 8000, 100*frameSamples))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Play(ctx, leg, long) }()
	for range 5 {
		caller.read()
	}
	cancel() // the caller pressed a key
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Play after barge-in returned %v", err)
	}
	if n := stats.TxPackets.Load(); n < 5 || n > 50 {
		t.Fatalf("%d of 100 frames sent by the time 5 arrived: not paced", n)
	}
}

func TestLoopRepeatsContinuously(t *testing.T) {
	pool := testPool(t)
	caller := newPhone(t)
	leg := newLeg(t, pool, caller, LegConfig{Codec: PCMU})
	music := NewPrompt("hold", tones.Sine(400, 8000, 3*frameSamples))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Loop(ctx, leg, music) }()
	prev := caller.read()
	for i := 1; i < 10; i++ { // more than three clip lengths
		p := caller.read()
		if p.SequenceNumber != prev.SequenceNumber+1 || p.Timestamp != prev.Timestamp+frameSamples || p.Marker {
			t.Fatalf("loop packet %d breaks the stream", i)
		}
		if !tones.Dominates(decode(t, p), 400) {
			t.Fatalf("loop packet %d lacks the music", i)
		}
		prev = p
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Loop returned %v", err)
	}
}

func TestPlayStopsWhenLegDies(t *testing.T) {
	pool := testPool(t)
	caller := newPhone(t)
	leg := newLeg(t, pool, caller, LegConfig{Codec: PCMU})
	done := make(chan error, 1)
	go func() { done <- Play(context.Background(), leg, NewPrompt("x", make([]int16, 500*frameSamples))) }()
	caller.read()
	leg.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Play on a dead leg returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Play kept going on a closed leg")
	}
}

func TestPlayerKeepsOneSourceAcrossCalls(t *testing.T) {
	pool := testPool(t)
	caller := newPhone(t)
	leg := newLeg(t, pool, caller, LegConfig{Codec: PCMU})
	pl := NewPlayer(leg)
	clip := NewPrompt("c", tones.Sine(1000, 8000, 2*frameSamples))
	for range 2 {
		if err := pl.Play(context.Background(), clip); err != nil {
			t.Fatal(err)
		}
	}
	var got [4]uint16
	var marks [4]bool
	for i := range got {
		p := caller.read()
		got[i], marks[i] = p.SequenceNumber, p.Marker
	}
	for i := 1; i < 4; i++ {
		if got[i] != got[i-1]+1 {
			t.Fatalf("sequence %v not continuous", got)
		}
	}
	if marks != [4]bool{true, false, true, false} {
		t.Fatalf("markers %v: each Play starts a talkspurt", marks)
	}
}
