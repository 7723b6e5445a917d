package routing

import (
	"slices"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/agents"
)

// serve answers and ends every offer in acts after talk, returning the
// agents that got calls, in order.
func (r *rig) serve(acts []Action, talk time.Duration) []string {
	var got []string
	for _, o := range only(acts, Offer) {
		got = append(got, o.AgentID)
		r.keep(r.e.Answered(o.CallID, o.AgentID))
		r.clk.t = r.clk.t.Add(talk)
		r.keep(r.e.AgentHangup(o.CallID))
	}
	return got
}

func TestStrategiesPickAgents(t *testing.T) {
	cases := []struct {
		strategy string
		talk     []time.Duration // per call
		want     []string
	}{
		// a1..a3 became ready in that order, one second apart.
		{StrategyLongestIdle, nil, []string{"a1", "a2", "a3", "a1", "a2"}},
		{StrategyLinear, nil, []string{"a1", "a1", "a1", "a1", "a1"}},
		{StrategyRoundRobin, nil, []string{"a1", "a2", "a3", "a1", "a2"}},
		// a1 talks long on its first call, so least-talk avoids it after.
		{StrategyLeastTalk, []time.Duration{100 * time.Second, time.Second, time.Second, time.Second, time.Second}, []string{"a1", "a2", "a3", "a2", "a3"}},
	}
	for _, tc := range cases {
		t.Run(tc.strategy, func(t *testing.T) {
			r := newRig(t, oneQueue(QueueConfig{ID: "q", Strategy: tc.strategy}, "a1", "a2", "a3"))
			for _, id := range []string{"a1", "a2", "a3"} {
				r.ready(id)
				r.clk.t = r.clk.t.Add(time.Second)
			}
			var got []string
			for i := range tc.want {
				talk := time.Second
				if tc.talk != nil {
					talk = tc.talk[i]
				}
				got = append(got, r.serve(r.arrive(string(rune('A'+i)), "q"), talk)...)
				r.clk.t = r.clk.t.Add(time.Second)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("agents = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFewestCallsPrefersTheLessBusy(t *testing.T) {
	r := newRig(t, oneQueue(QueueConfig{ID: "q", Strategy: StrategyFewestCalls}, "a1", "a2"))
	r.ready("a1")
	r.serve(r.arrive("c1", "q"), time.Second) // a1 has 1 call
	r.serve(r.arrive("c2", "q"), time.Second) // a1 has 2 calls
	r.ready("a2")                             // a2 ready last, but with 0 calls
	if got := r.serve(r.arrive("c3", "q"), time.Second); !slices.Equal(got, []string{"a2"}) {
		t.Fatalf("got %v, want a2 (fewest calls)", got)
	}
}

func TestRandomIsSeededAndSpreads(t *testing.T) {
	pick := func(seed int64) []string {
		clk := &fakeClock{t: epoch}
		e, err := NewEngine(oneQueue(QueueConfig{ID: "q", Strategy: StrategyRandom}, "a1", "a2", "a3", "a4"), clk, seed)
		if err != nil {
			t.Fatal(err)
		}
		r := &rig{t: t, clk: clk, e: e}
		r.ready("a1", "a2", "a3", "a4")
		var got []string
		for i := range 40 {
			got = append(got, r.serve(r.arrive(string(rune('A'+i)), "q"), time.Second)...)
		}
		return got
	}
	a, b := pick(7), pick(7)
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different picks:\n%v\n%v", a, b)
	}
	seen := map[string]int{}
	for _, id := range a {
		seen[id]++
	}
	if len(seen) != 4 {
		t.Fatalf("40 random picks used only %v", seen)
	}
	if slices.Equal(a, pick(8)) {
		t.Fatalf("seeds 7 and 8 picked the same 40 agents")
	}
}

func TestRingAllFirstAnswerWins(t *testing.T) {
	r := newRig(t, oneQueue(QueueConfig{ID: "q", Strategy: StrategyRingAll}, "a1", "a2", "a3"))
	r.ready("a1", "a2", "a3")
	acts := r.arrive("c1", "q")
	if got := offers(acts); !slices.Equal(got, []string{"c1->a1", "c1->a2", "c1->a3"}) {
		t.Fatalf("ring-all offers %v", got)
	}
	acts = r.keep(r.e.Answered("c1", "a2"))
	var cancelled []string
	for _, c := range only(acts, CancelOffer) {
		cancelled = append(cancelled, c.AgentID)
	}
	if !slices.Equal(cancelled, []string{"a1", "a3"}) {
		t.Fatalf("cancelled %v, want a1 a3", cancelled)
	}
	for id, want := range map[string]agents.State{"a1": agents.Ready, "a2": agents.Busy, "a3": agents.Ready} {
		if st, _ := r.agentState(id); st != want {
			t.Errorf("%s = %s, want %s", id, st, want)
		}
	}
	// A late answer from a1 is told to hang up.
	if c := only(r.e.Answered("c1", "a1"), CancelOffer); len(c) != 1 || c[0].AgentID != "a1" {
		t.Fatalf("late answer got %v, want a CancelOffer", c)
	}
}

func TestPenaltyBeforeIdleTime(t *testing.T) {
	cfg := oneQueue(QueueConfig{ID: "q"}, "a1", "a2")
	cfg.Agents[0].Penalty = 2 // a1 idles longest but has the higher penalty
	r := newRig(t, cfg)
	r.ready("a1")
	r.clk.t = r.clk.t.Add(time.Minute)
	r.ready("a2")
	if got := offers(r.arrive("c1", "q")); !slices.Equal(got, []string{"c1->a2"}) {
		t.Fatalf("offers %v, want a2 (lower penalty)", got)
	}
	if got := offers(r.arrive("c2", "q")); !slices.Equal(got, []string{"c2->a1"}) {
		t.Fatalf("offers %v, want a1 once no lower penalty is free", got)
	}
}

// An agent serving several queues takes whoever waited longest, not its
// first queue's caller (Asterisk issue 108).
func TestMultiQueueAgentServesLongestWaiting(t *testing.T) {
	cfg := Config{
		Queues: []QueueConfig{{ID: "tax"}, {ID: "civil"}},
		Agents: []AgentConfig{{ID: "a1", Skills: map[string]int{"tax": 5, "civil": 5}}},
	}
	r := newRig(t, cfg)
	r.arrive("civil-1", "civil")
	r.clk.t = r.clk.t.Add(time.Second)
	r.arrive("tax-1", "tax")
	r.clk.t = r.clk.t.Add(time.Second)
	r.arrive("civil-2", "civil")
	r.keep(r.e.Login("a1"))
	acts, _ := r.e.SetReady("a1")
	var order []string
	for len(only(acts, Offer)) > 0 {
		o := only(acts, Offer)[0]
		order = append(order, o.CallID)
		r.e.Answered(o.CallID, "a1")
		acts = r.e.AgentHangup(o.CallID)
	}
	if want := []string{"civil-1", "tax-1", "civil-2"}; !slices.Equal(order, want) {
		t.Fatalf("served %v, want %v", order, want)
	}
}
