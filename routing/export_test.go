package routing

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// The tests that draw their inputs from routingtest live in package
// routing_test, since routingtest imports routing; this is what they need
// of the inside.

func PropertyConfig() Config { return propertyConfig() }
func LotteryConfig() Config  { return lotteryConfig() }

// RestoreShuffled is RestoreEngine with every heap rebuilt in an order
// rng chooses.
func RestoreShuffled(cfg Config, clk Clock, state []byte, rng *rand.Rand) (*Engine, error) {
	return restoreEngine(cfg, clk, state, rng.Shuffle)
}

func (e *Engine) CheckInvariants() error { return e.checkInvariants() }

// TestClock is a virtual clock the tests move by hand.
type TestClock = fakeClock

func (c *fakeClock) Set(t time.Time) { c.t = t }

func NewTestClock(t time.Time) *TestClock { return &fakeClock{t: t} }

// BodyOf is the engine part of a snapshot.
func BodyOf(t testing.TB, state []byte) string {
	i := bytes.Index(state, []byte(`"engine":`))
	if i < 0 {
		t.Fatalf("no engine in %s", state)
	}
	return string(state[i+len(`"engine":`) : len(state)-1])
}

// Envelope wraps body as MarshalState would, with a correct checksum.
func Envelope(cfg Config, body string) []byte {
	return fmt.Appendf(nil, `{"version":%d,"config":%q,"sum":%q,"engine":%s}`, StateVersion, ConfigFingerprint(cfg), sum([]byte(body)), body)
}
