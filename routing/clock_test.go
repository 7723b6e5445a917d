package routing

import (
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/agents"
)

// fakeClock is a virtual clock the tests move by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

var epoch = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // a Monday

// rig is an engine on a fake clock with helpers that fail the test on
// refusals.
type rig struct {
	t   *testing.T
	clk *fakeClock
	e   *Engine
	log []Action
}

func newRig(t *testing.T, cfg Config) *rig {
	t.Helper()
	clk := &fakeClock{t: epoch}
	e, err := NewEngine(cfg, clk, 1)
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	return &rig{t: t, clk: clk, e: e}
}

func (r *rig) keep(acts []Action) []Action {
	r.log = append(r.log, acts...)
	return acts
}

// advance moves the clock by d, firing timers on the way at their due times.
func (r *rig) advance(d time.Duration) []Action {
	end := r.clk.t.Add(d)
	var out []Action
	for {
		at, ok := r.e.NextDeadline()
		if !ok || at.After(end) {
			break
		}
		if at.After(r.clk.t) {
			r.clk.t = at
		}
		out = append(out, r.keep(r.e.Advance())...)
	}
	r.clk.t = end
	return out
}

func (r *rig) ready(ids ...string) []Action {
	r.t.Helper()
	var out []Action
	for _, id := range ids {
		out = append(out, r.keep(r.e.Login(id))...)
		acts, err := r.e.SetReady(id)
		if err != nil {
			r.t.Fatalf("SetReady %s: %v", id, err)
		}
		out = append(out, r.keep(acts)...)
	}
	return out
}

func (r *rig) arrive(id, queue string) []Action {
	return r.keep(r.e.Arrive(Call{ID: id, Queue: queue}))
}

func (r *rig) agentState(id string) (agents.State, string) {
	for _, a := range r.e.Agents() {
		if a.ID == id {
			return a.State, a.Reason
		}
	}
	r.t.Fatalf("no agent %s", id)
	return "", ""
}

// only returns the actions of one kind (QueueLog lines are left out of
// most assertions).
func only(acts []Action, k ActionKind) []Action {
	var out []Action
	for _, a := range acts {
		if a.Kind == k {
			out = append(out, a)
		}
	}
	return out
}

func offers(acts []Action) []string {
	var out []string
	for _, a := range only(acts, Offer) {
		out = append(out, a.CallID+"->"+a.AgentID)
	}
	return out
}
