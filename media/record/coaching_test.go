package record

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/media/mix"
	"github.com/frontdoor-project/frontdoor/media/tones"
)

// TestRecordingGoesOnThroughCoaching hands a recorded call from the bridge
// to a coaching mixer and back, the way the call path does: the taps go to
// each consumer in turn, so the recording never stops, and it holds the
// caller and the agent only, never the supervisor's whisper.
func TestRecordingGoesOnThroughCoaching(t *testing.T) {
	const superHz = 3000
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	callerPhone, callerLeg := phoneAndLeg(t, ctx, media.PCMU)
	agentPhone, agentLeg := phoneAndLeg(t, ctx, media.PCMU)
	superPhone, superLeg := phoneAndLeg(t, ctx, media.PCMA)

	rec, err := Create(filepath.Join(t.TempDir(), "coached.wav"), Config{})
	if err != nil {
		t.Fatal(err)
	}
	c, a := rec.Caller(callerLeg), rec.Agent(agentLeg)
	stop := media.Bridge(c, a)
	callerPhone.Start(ctx, callerLeg.LocalAddr(), media.PCMU.PayloadType, 0, callerHz)
	agentPhone.Start(ctx, agentLeg.LocalAddr(), media.PCMU.PayloadType, 0, agentHz)
	superPhone.Start(ctx, superLeg.LocalAddr(), media.PCMA.PayloadType, 0, superHz)
	wait, done := context.WithTimeout(ctx, 15*time.Second) // a hang guard
	defer done()
	if !agentPhone.WaitTone(wait, callerHz) {
		t.Fatal("the bridge never carried the caller")
	}

	// Coaching: the bridge lets go first, then the mixer takes the taps.
	stop()
	m := mix.New(mix.Config{})
	for id, p := range map[string]struct {
		ep   media.Endpoint
		role mix.Role
	}{"caller": {c, mix.Caller}, "agent": {a, mix.Agent}, "sup": {superLeg, mix.Whisper}} {
		if err := m.Add(id, p.ep, p.role); err != nil {
			t.Fatal(err)
		}
	}
	mixCtx, endCoaching := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- m.Run(mixCtx) }()
	if !agentPhone.WaitAudio(wait, agentPhone.Packets()+10) {
		t.Fatal("the mixer sent the agent nothing")
	}
	whisperFrom := agentPhone.Packets()
	if !agentPhone.WaitAudio(wait, whisperFrom+50) { // a second of whispering
		t.Fatal("the call stopped during coaching")
	}
	endCoaching()
	<-ran
	stop = media.Bridge(c, a)
	defer stop()
	if !callerPhone.WaitAudio(wait, callerPhone.Packets()+25) || !callerPhone.WaitTone(wait, agentHz) {
		t.Fatal("the call did not go back to the bridge")
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	heardFrames := callerPhone.Packets() // the caller heard the call throughout

	left, right := readBack(t, rec.Path())
	ls, le := extent(left)
	rs, re := extent(right)
	if want := heardFrames * frame * 9 / 10; le-ls < want {
		t.Fatalf("recorded %d samples of the caller, want the whole call (about %d)", le-ls, want)
	}
	checkTone(t, "left", left[ls:le], callerHz)
	checkTone(t, "right", right[rs:re], agentHz)
	// The phones' tones have peak 8000; a whisper in the recording would
	// show at that level. The edges of the other tones, where a frame
	// holds part tone, part silence, splash a little power across the
	// band, far below a hundredth of it.
	const whisperPower = 8000 * 8000 / 2 / 100
	for off := 0; off+frame <= len(left); off += frame {
		if tones.Detect(left[off:off+frame], superHz) > whisperPower || tones.Detect(right[off:off+frame], superHz) > whisperPower {
			t.Fatalf("the supervisor's whisper is in the recording at frame %d", off/frame)
		}
	}
}
