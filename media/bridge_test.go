package media

import (
	"testing"

	"github.com/frontdoor-project/frontdoor/media/tones"
)

// countTone reads n packets and counts the frames in which freq dominates.
func countTone(t *testing.T, p *phone, n int, wantPT uint8, freq float64) int {
	t.Helper()
	hits := 0
	for range n {
		pkt := p.read()
		if pkt.PayloadType != wantPT {
			t.Fatalf("received PT %d, want %d", pkt.PayloadType, wantPT)
		}
		if tones.Dominates(decode(t, pkt), freq) {
			hits++
		}
	}
	return hits
}

func TestBridgeCarriesToneBothWays(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ca, cb Codec
	}{
		{"PCMU-PCMU", PCMU, PCMU},
		{"PCMU-PCMA", PCMU, PCMA},
		{"PCMA-PCMU", PCMA, PCMU},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool := testPool(t)
			caller, agent := newPhone(t), newPhone(t)
			var stats Stats
			a := newLeg(t, pool, caller, LegConfig{Codec: tc.ca, Stats: &stats})
			b := newLeg(t, pool, agent, LegConfig{Codec: tc.cb, Stats: &stats})
			stop := Bridge(a, b)
			defer stop()

			const frames = 50
			caller.sendTone(a.LocalAddr(), tc.ca, 1000, frames)
			if got := countTone(t, agent, frames, tc.cb.PayloadType, 1000); got != frames {
				t.Fatalf("1 kHz caller->agent: %d of %d frames carry the tone", got, frames)
			}
			agent.sendTone(b.LocalAddr(), tc.cb, 2000, frames)
			if got := countTone(t, caller, frames, tc.ca.PayloadType, 2000); got != frames {
				t.Fatalf("2 kHz agent->caller: %d of %d frames carry the tone", got, frames)
			}
			in, out := stats.Packets()
			if in != 2*frames || out != 2*frames {
				t.Fatalf("stats in=%d out=%d, want %d each", in, out, 2*frames)
			}
		})
	}
}

func TestBridgeStopDetaches(t *testing.T) {
	pool := testPool(t)
	caller, agent := newPhone(t), newPhone(t)
	a := newLeg(t, pool, caller, LegConfig{Codec: PCMU})
	b := newLeg(t, pool, agent, LegConfig{Codec: PCMU})
	stop := Bridge(a, b)
	caller.sendTone(a.LocalAddr(), PCMU, 1000, 1)
	agent.read()
	stop()
	stop() // twice is fine
	// After stop the caller's audio goes nowhere; the next thing the agent
	// receives is what we write to b directly.
	caller.sendTone(a.LocalAddr(), PCMU, 1000, 5)
	if err := b.WriteAudio(encode(PCMU, tones.Sine(2000, 8000, 160))); err != nil {
		t.Fatal(err)
	}
	pkt := agent.read()
	if !tones.Dominates(decode(t, pkt), 2000) {
		t.Fatal("audio still relayed after stop")
	}
}
