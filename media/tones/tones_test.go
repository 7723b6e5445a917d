package tones

import (
	"math/rand/v2"
	"testing"
)

func TestDetectFindsTheToneItWasGiven(t *testing.T) {
	for _, f := range []float64{400, 1000, 2000, 3400} {
		frame := Sine(f, 10000, FrameSamples)
		if !Dominates(frame, f) {
			t.Errorf("%v Hz not found in its own frame (power %.0f, energy %.0f)", f, Detect(frame, f), Energy(frame))
		}
		for _, other := range []float64{300, 1500, 2500} {
			if Dominates(frame, other) {
				t.Errorf("%v Hz frame claims to hold %v Hz", f, other)
			}
		}
	}
}

func TestDetectScale(t *testing.T) {
	frame := Sine(1000, 8000, FrameSamples)
	p := Detect(frame, 1000)
	want := 8000.0 * 8000 / 2
	if p < 0.98*want || p > 1.02*want {
		t.Fatalf("power %.0f, want about %.0f", p, want)
	}
}

func TestSilenceAndNoiseAreNotTones(t *testing.T) {
	if Dominates(make([]int16, FrameSamples), 1000) {
		t.Fatal("silence detected as 1 kHz")
	}
	if Dominates(Sine(1000, 50, FrameSamples), 1000) {
		t.Fatal("a tone below MinEnergy counts as present")
	}
	r := rand.New(rand.NewPCG(1, 2))
	noise := make([]int16, FrameSamples)
	for i := range noise {
		noise[i] = int16(r.IntN(20000) - 10000)
	}
	if Dominates(noise, 1000) {
		t.Fatal("white noise detected as 1 kHz")
	}
}

func TestTwoTonesNeitherDominates(t *testing.T) {
	a, b := Sine(1000, 8000, FrameSamples), Sine(2000, 8000, FrameSamples)
	mix := make([]int16, FrameSamples)
	for i := range mix {
		mix[i] = a[i] + b[i]
	}
	if Dominates(mix, 1000) || Dominates(mix, 2000) {
		t.Fatal("an equal mix must not count as either tone")
	}
}

func TestGeneratorIsContinuousAcrossFrames(t *testing.T) {
	g := NewGenerator(1000, 10000)
	whole := Sine(1000, 10000, 3*FrameSamples)
	var got []int16
	for range 3 {
		got = append(got, g.Frame()...)
	}
	for i := range whole {
		if d := int(got[i]) - int(whole[i]); d > 1 || d < -1 {
			t.Fatalf("sample %d: %d vs %d", i, got[i], whole[i])
		}
	}
}
