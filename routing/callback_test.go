package routing

import (
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/agents"
)

// A callback whose citizen cannot be reached: the agent is released as after a
// call (wrap-up), and the attempt leaves as abandoned, not answered.
func TestUnreachedCallbackIsAbandonedNotAnswered(t *testing.T) {
	r := newRig(t, oneQueue(QueueConfig{ID: "tax", Wrapup: 10 * time.Second}, "a1"))
	r.ready("a1")
	r.arrive("c1", "tax")
	r.keep(r.e.Answered("c1", "a1"))
	r.clk.t = r.clk.t.Add(20 * time.Second)
	fin := only(r.keep(r.e.Unreached("c1")), Finished)
	if len(fin) != 1 || fin[0].Outcome != OutcomeAbandoned {
		t.Fatalf("finished = %+v, want one abandoned", fin)
	}
	if st, _ := r.agentState("a1"); st != agents.WrapUp {
		t.Fatalf("a1 = %s, want wrap_up", st)
	}
	if acts := r.e.Unreached("c1"); len(only(acts, Finished)) != 0 {
		t.Fatalf("a second Unreached finished the call again: %+v", acts)
	}
	// The same call id may arrive again (the retry).
	r.clk.t = r.clk.t.Add(10 * time.Second)
	r.advance(0)
	if got := offers(r.arrive("c1", "tax")); len(got) != 1 {
		t.Fatalf("retry not offered: %v", got)
	}
}

// A queued call's snapshot estimates its wait once somebody works the queue.
func TestCallSnapshotEWT(t *testing.T) {
	r := newRig(t, oneQueue(QueueConfig{ID: "tax", DefaultHandle: 120 * time.Second}, "a1"))
	r.arrive("c1", "tax")
	if s, _ := r.e.Call("c1"); s.EWTKnown {
		t.Fatalf("nobody works the queue, EWT should be unknown: %+v", s)
	}
	r.ready("a1")
	r.arrive("c2", "tax") // c1 rang a1; c2 waits behind
	s, _ := r.e.Call("c2")
	if !s.EWTKnown || s.EWT != 120*time.Second || s.Position != 1 {
		t.Fatalf("c2 snapshot %+v, want position 1, EWT 120s", s)
	}
}
