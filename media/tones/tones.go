// Package tones generates sine tones and detects them with the Goertzel
// algorithm. Tests across the project use it to prove that audio crossed a
// path: play a tone in at one end, detect it at the other.
package tones

import "math"

// SampleRate is the narrowband telephony rate every frame here assumes.
const SampleRate = 8000

// FrameSamples is one 20 ms frame at 8 kHz.
const FrameSamples = 160

// Generator produces a continuous sine across successive frames (the phase
// carries over, so frames join without clicks).
type Generator struct {
	Freq      float64 // Hz
	Amplitude float64 // peak, 0..32767
	phase     float64
}

// NewGenerator returns a generator for freq Hz at the given peak amplitude.
func NewGenerator(freq, amplitude float64) *Generator {
	return &Generator{Freq: freq, Amplitude: amplitude}
}

// Fill writes the next len(frame) samples into frame.
func (g *Generator) Fill(frame []int16) {
	step := 2 * math.Pi * g.Freq / SampleRate
	for i := range frame {
		frame[i] = int16(math.Round(g.Amplitude * math.Sin(g.phase)))
		g.phase += step
		if g.phase > 2*math.Pi {
			g.phase -= 2 * math.Pi
		}
	}
}

// Frame returns the next 20 ms frame.
func (g *Generator) Frame() []int16 {
	f := make([]int16, FrameSamples)
	g.Fill(f)
	return f
}

// Sine returns n samples of a sine at freq Hz and peak amplitude.
func Sine(freq, amplitude float64, n int) []int16 {
	out := make([]int16, n)
	NewGenerator(freq, amplitude).Fill(out)
	return out
}

// Detect returns the Goertzel power of samples at freq, normalised so that
// a pure sine of peak A filling the block gives about A²/2, the same scale
// as Energy. For the block to resolve freq well, len(samples) should hold a
// whole number of its cycles (160 samples: multiples of 50 Hz).
func Detect(samples []int16, freq float64) (power float64) {
	n := len(samples)
	if n == 0 {
		return 0
	}
	coeff := 2 * math.Cos(2*math.Pi*freq/SampleRate)
	var s1, s2 float64
	for _, x := range samples {
		s0 := float64(x) + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	mag2 := s1*s1 + s2*s2 - coeff*s1*s2
	// |X|² of a sine of peak A over n samples is (A n / 2)²; scale to A²/2.
	return 2 * mag2 / float64(n*n)
}

// Energy returns the mean power of samples (A²/2 for a sine of peak A).
func Energy(samples []int16) float64 {
	if len(samples) == 0 {
		return 0
	}
	var sum float64
	for _, x := range samples {
		sum += float64(x) * float64(x)
	}
	return sum / float64(len(samples))
}

// MinEnergy is the mean power below which a frame counts as silence
// (about -50 dBov: a sine of peak ~100).
const MinEnergy = 5000

// Dominates reports whether a tone at freq carries most of the frame's
// energy: the frame is not silence and at least 70% of its power sits at
// freq. G.711 quantisation noise and a transcoding hop stay far below that
// share; a different tone or speech does not reach it.
func Dominates(samples []int16, freq float64) bool {
	e := Energy(samples)
	if e < MinEnergy {
		return false
	}
	return Detect(samples, freq) >= 0.7*e
}
