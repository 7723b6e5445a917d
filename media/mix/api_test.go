package mix

import (
	"context"
	"errors"
	"testing"

	"github.com/pion/rtp"

	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/media/g711"
)

func TestHearsTable(t *testing.T) {
	// Rows: speaker; columns: listener Caller, Agent, Listen, Whisper, Barge.
	want := map[Role][5]bool{
		Caller:  {false, true, true, true, true},
		Agent:   {true, false, true, true, true},
		Listen:  {false, false, false, false, false},
		Whisper: {false, true, true, false, true},
		Barge:   {true, true, true, true, false},
	}
	for speaker, row := range want {
		for i, hears := range row {
			listener := Role(i + 1)
			if listener == speaker {
				continue // nobody hears themselves; Hears is for two participants
			}
			if got := Hears(listener, speaker); got != hears {
				t.Errorf("Hears(%v, %v) = %v, want %v", listener, speaker, got, hears)
			}
		}
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range []Role{Caller, Agent, Listen, Whisper, Barge} {
		got, err := ParseRole(r.String())
		if err != nil || got != r {
			t.Errorf("ParseRole(%q) = %v, %v", r.String(), got, err)
		}
	}
	for _, bad := range []string{"", "Listen", "coach", "Role(9)"} {
		if _, err := ParseRole(bad); !errors.Is(err, ErrRole) {
			t.Errorf("ParseRole(%q) = %v, want ErrRole", bad, err)
		}
	}
	if s := Role(0).String(); s != "Role(0)" {
		t.Errorf("zero role prints %q", s)
	}
}

// TestRefusals shows what each misuse of a Mixer answers.
func TestRefusals(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newPhone(t, ctx, media.PCMU, callerHz)
	m := New(Config{})
	if err := m.Add("c", c.leg, 0); !errors.Is(err, ErrRole) {
		t.Errorf("Add with the zero role: %v, want ErrRole", err)
	}
	if err := m.Add("c", c.leg, Caller); err != nil {
		t.Fatal(err)
	}
	if err := m.Add("c", c.leg, Agent); !errors.Is(err, ErrDuplicate) {
		t.Errorf("second Add of c: %v, want ErrDuplicate", err)
	}
	if err := m.SetRole("x", Barge); !errors.Is(err, ErrUnknown) {
		t.Errorf("SetRole of a stranger: %v, want ErrUnknown", err)
	}
	if err := m.SetRole("c", Role(42)); !errors.Is(err, ErrRole) {
		t.Errorf("SetRole to Role(42): %v, want ErrRole", err)
	}
	if err := m.Remove("x"); !errors.Is(err, ErrUnknown) {
		t.Errorf("Remove of a stranger: %v, want ErrUnknown", err)
	}
	if _, ok := m.Role("x"); ok {
		t.Error("Role of a stranger is known")
	}

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx) }()
	c.waitFor("the mixer's stream", func([]int16) bool { return true })
	if err := m.Run(runCtx); !errors.Is(err, ErrRunning) {
		t.Errorf("second Run: %v, want ErrRunning", err)
	}
	stop()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run ended with %v", err)
	}
	if err := m.Add("late", c.leg, Agent); !errors.Is(err, ErrStopped) {
		t.Errorf("Add after Run: %v, want ErrStopped", err)
	}
	if err := m.Run(ctx); !errors.Is(err, ErrStopped) {
		t.Errorf("Run after Run: %v, want ErrStopped", err)
	}
}

// TestInputQueue feeds packets of other packetisations and more than the
// queue holds: each tick takes 160 samples in order, the oldest are dropped
// on overflow, and a tick with nothing queued is silence.
func TestInputQueue(t *testing.T) {
	var in input
	var frame [frameSamples]int16
	if in.pull(&frame) {
		t.Fatal("an empty queue gave audio")
	}
	// Samples counting up, so order and drops show in the values.
	ramp := func(from, n int) *rtp.Packet {
		pcm := make([]int16, n)
		for i := range pcm {
			pcm[i] = int16(16 * (from + i))
		}
		return &rtp.Packet{Header: rtp.Header{PayloadType: media.PCMA.PayloadType}, Payload: g711.EncodeALaw(make([]byte, n), pcm)}
	}
	in.push(ramp(0, 80))  // 10 ms
	in.push(ramp(80, 80)) // 10 ms
	if !in.pull(&frame) || frame[0] != g711.DecodeALawSample(g711.EncodeALawSample(0)) || frame[159] != g711.DecodeALawSample(g711.EncodeALawSample(16*159)) {
		t.Fatalf("two 10 ms packets make frame %v...%v", frame[0], frame[159])
	}
	in.push(ramp(0, 240)) // 30 ms: one frame now, half of one next tick
	in.pull(&frame)
	if !in.pull(&frame) || frame[79] == 0 || frame[80] != 0 {
		t.Fatalf("the rest of a 30 ms packet: [79]=%d [80]=%d, want audio then silence", frame[79], frame[80])
	}
	for i := range 5 { // 100 ms into a 60 ms queue
		in.push(ramp(i*160, 160))
	}
	in.pull(&frame)
	want := g711.DecodeALawSample(g711.EncodeALawSample(16 * 2 * 160))
	if frame[0] != want {
		t.Fatalf("after overflow the oldest sample is %d, want %d (the third packet's first)", frame[0], want)
	}
	in.push(&rtp.Packet{Header: rtp.Header{PayloadType: 101}, Payload: []byte{1, 2, 3, 4}})
	in.pull(&frame)
	in.pull(&frame)
	if in.pull(&frame) {
		t.Fatal("a telephone-event payload was taken as audio")
	}
}
