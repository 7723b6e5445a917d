package mix

import (
	"context"
	"errors"
	"testing"

	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/media/tones"
)

// The three voices of a coached call, well apart and on whole 50 Hz bins
// so a 160-sample Goertzel block tells them apart exactly.
const (
	callerHz = 1000
	agentHz  = 2000
	superHz  = 3000
)

func TestTonesAreSeparableAtEightKilohertz(t *testing.T) {
	for _, f := range []float64{callerHz, agentHz, superHz} {
		frame := tones.Sine(f, toneAmp, tones.FrameSamples)
		if !tones.Dominates(frame, f) {
			t.Fatalf("%v Hz does not dominate its own frame", f)
		}
		for _, g := range []float64{callerHz, agentHz, superHz} {
			if g != f && tones.Detect(frame, g) > tonePower/1000 {
				t.Fatalf("%v Hz leaks into the %v Hz bin", f, g)
			}
		}
	}
}

// startMixer runs m until the test ends and waits for Run to return.
func startMixer(t *testing.T, m *Mixer) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	})
}

// TestCoaching walks a supervisor through listen, whisper and barge on a
// call between a PCMU caller and a PCMA agent, all on real sockets.
func TestCoaching(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c := newPhone(t, ctx, media.PCMU, callerHz)
	a := newPhone(t, ctx, media.PCMA, agentHz)
	s := newPhone(t, ctx, media.PCMU, superHz)

	m := New(Config{})
	for _, p := range []struct {
		id   string
		ph   *phone
		role Role
	}{{"caller", c, Caller}, {"agent", a, Agent}, {"sup", s, Listen}} {
		if err := m.Add(p.id, p.ph.leg, p.role); err != nil {
			t.Fatal(err)
		}
	}
	startMixer(t, m)

	// Listen: S hears C and A; C and A hear each other, never S.
	s.waitFor("the caller and the agent", func(last []int16) bool {
		return present(last, callerHz) && present(last, agentHz)
	})
	c.waitFor("the agent", func(last []int16) bool { return present(last, agentHz) })
	a.waitFor("the caller", func(last []int16) bool { return present(last, callerHz) })
	mark := a.received()
	absentInEveryFrame(t, "the agent, while the supervisor listens,", a.next(mark, 8000), superHz)

	// Whisper: A hears C and S; C still hears only A.
	if err := m.SetRole("sup", Whisper); err != nil {
		t.Fatal(err)
	}
	a.waitFor("the whisper", func(last []int16) bool {
		return present(last, superHz) && present(last, callerHz)
	})
	mark = c.received()
	heard := c.next(mark, 8000)
	if !present(heard, agentHz) {
		t.Fatal("the caller stopped hearing the agent during the whisper")
	}
	s.waitFor("the caller and the agent while whispering", func(last []int16) bool {
		return present(last, callerHz) && present(last, agentHz)
	})

	// Everything the caller got before the barge is free of the supervisor.
	bargeAt := c.received()
	absentInEveryFrame(t, "the caller, before the barge,", c.audio(0, bargeAt), superHz)
	absentInEveryFrame(t, "the caller", c.audio(0, bargeAt), callerHz) // N-1: not their own voice

	// Barge: a three-way call.
	if err := m.SetRole("sup", Barge); err != nil {
		t.Fatal(err)
	}
	c.waitFor("the barge", func(last []int16) bool { return present(last, superHz) && present(last, agentHz) })
	a.waitFor("the barge", func(last []int16) bool { return present(last, superHz) && present(last, callerHz) })
	if r, _ := m.Role("sup"); r != Barge {
		t.Fatalf("Role = %v, want barge", r)
	}

	// Role changes never touched the streams: one SSRC, consecutive
	// sequence numbers, timestamps in whole frames, a marker only first.
	for name, ph := range map[string]*phone{"caller": c, "agent": a, "supervisor": s} {
		checkOneStream(t, name, ph)
	}

	// The supervisor leaves: the caller hears the agent alone again.
	if err := m.Remove("sup"); err != nil {
		t.Fatal(err)
	}
	c.waitFor("the agent alone", func(last []int16) bool { return tones.Dominates(last, agentHz) })
}

func checkOneStream(t *testing.T, name string, ph *phone) {
	t.Helper()
	ph.mu.Lock()
	hs := append(ph.headers[:0:0], ph.headers...)
	ph.mu.Unlock()
	if len(hs) < 50 {
		t.Fatalf("%s received only %d packets", name, len(hs))
	}
	if !hs[0].Marker {
		t.Errorf("%s: first packet without the marker bit", name)
	}
	for i := 1; i < len(hs); i++ {
		prev, h := hs[i-1], hs[i]
		dts := h.Timestamp - prev.Timestamp
		switch {
		case h.SSRC != prev.SSRC:
			t.Fatalf("%s: SSRC changed at packet %d", name, i)
		case h.SequenceNumber != prev.SequenceNumber+1:
			t.Fatalf("%s: sequence %d after %d", name, h.SequenceNumber, prev.SequenceNumber)
		case dts == 0 || dts%tones.FrameSamples != 0 || dts > 100*tones.FrameSamples:
			t.Fatalf("%s: timestamp advanced by %d samples at packet %d", name, dts, i)
		case h.Marker:
			t.Fatalf("%s: marker bit at packet %d (a role change must not restart the stream)", name, i)
		}
	}
}
