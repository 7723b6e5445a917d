package routing

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/agents"
)

func oneQueue(q QueueConfig, ids ...string) Config {
	cfg := Config{Queues: []QueueConfig{q}}
	for _, id := range ids {
		cfg.Agents = append(cfg.Agents, AgentConfig{ID: id, Skills: map[string]int{q.ID: 5}})
	}
	return cfg
}

func TestLongestIdleGetsTheCall(t *testing.T) {
	r := newRig(t, oneQueue(QueueConfig{ID: "tax"}, "a1", "a2", "a3"))
	r.ready("a2")
	r.clk.t = r.clk.t.Add(time.Second)
	r.ready("a1", "a3")
	got := offers(r.arrive("c1", "tax"))
	if !slices.Equal(got, []string{"c1->a2"}) {
		t.Fatalf("offers = %v, want the longest idle agent a2", got)
	}
	if st, _ := r.agentState("a2"); st != agents.Ringing {
		t.Fatalf("a2 state %s, want ringing", st)
	}
	acts := r.keep(r.e.Answered("c1", "a2"))
	if st, _ := r.agentState("a2"); st != agents.Busy {
		t.Fatalf("a2 state %s after answer, want busy (actions %v)", st, acts)
	}
	r.clk.t = r.clk.t.Add(90 * time.Second)
	acts = r.keep(r.e.CallerHangup("c1"))
	fin := only(acts, Finished)
	if len(fin) != 1 || fin[0].Outcome != OutcomeAnswered || fin[0].Talk != 90*time.Second || fin[0].AgentID != "a2" {
		t.Fatalf("finished = %+v, want one answered with 90s talk by a2", fin)
	}
	if st, _ := r.agentState("a2"); st != agents.Ready {
		t.Fatalf("a2 state %s after hangup without wrap-up, want ready", st)
	}
}

func TestRingTimeoutRONAAndHeadOfQueue(t *testing.T) {
	r := newRig(t, oneQueue(QueueConfig{ID: "tax", RingTimeout: 10 * time.Second}, "a1", "a2"))
	r.ready("a1")
	r.arrive("c1", "tax")
	r.clk.t = r.clk.t.Add(time.Second)
	r.arrive("c2", "tax")
	acts := r.advance(10 * time.Second)
	cancel := only(acts, CancelOffer)
	if len(cancel) != 1 || cancel[0].CallID != "c1" || cancel[0].AgentID != "a1" {
		t.Fatalf("cancel = %+v, want c1 to a1", cancel)
	}
	if st, why := r.agentState("a1"); st != agents.NotReady || why != ReasonRONA {
		t.Fatalf("a1 = %s/%s, want not_ready/rona", st, why)
	}
	var rna bool
	for _, a := range only(acts, QueueLog) {
		rna = rna || strings.HasSuffix(a.Line, "|c1|tax|a1|RINGNOANSWER|10000")
	}
	if !rna {
		t.Fatalf("no RINGNOANSWER|10000 queue_log line in %v", only(acts, QueueLog))
	}
	// c1 went back to the head: the next ready agent gets c1, not c2.
	got := offers(r.ready("a2"))
	if !slices.Equal(got, []string{"c1->a2"}) {
		t.Fatalf("offers = %v, want c1 (back at the head) to a2", got)
	}
}

func TestWrapupThenReady(t *testing.T) {
	r := newRig(t, oneQueue(QueueConfig{ID: "tax", Wrapup: 30 * time.Second}, "a1"))
	r.ready("a1")
	r.arrive("c1", "tax")
	r.arrive("c2", "tax")
	r.keep(r.e.Answered("c1", "a1"))
	r.keep(r.e.AgentHangup("c1"))
	if st, _ := r.agentState("a1"); st != agents.WrapUp {
		t.Fatalf("a1 %s, want wrap_up", st)
	}
	if got := offers(r.advance(29 * time.Second)); len(got) != 0 {
		t.Fatalf("offer during wrap-up: %v", got)
	}
	if got := offers(r.advance(time.Second)); !slices.Equal(got, []string{"c2->a1"}) {
		t.Fatalf("after wrap-up offers = %v, want c2->a1", got)
	}
}

func TestEveryCallFinishesOnce(t *testing.T) {
	r := newRig(t, oneQueue(QueueConfig{ID: "tax", MaxWait: time.Minute}, "a1"))
	r.arrive("c1", "tax") // waits, nobody ready: times out
	acts := r.advance(time.Minute)
	end := only(acts, EndCall)
	if len(end) != 1 || end[0].Outcome != OutcomeTimeout || end[0].Prompt != PromptTimeout {
		t.Fatalf("end = %+v, want timeout with prompt timeout", end)
	}
	if fin := only(acts, Finished); len(fin) != 1 || fin[0].Outcome != OutcomeTimeout {
		t.Fatalf("finished = %+v", fin)
	}
	if acts := r.e.CallerHangup("c1"); len(acts) != 0 {
		t.Fatalf("hangup of a finished call caused %v", acts)
	}
	acts = r.arrive("c2", "nope")
	if fin := only(acts, Finished); len(fin) != 1 || fin[0].Outcome != OutcomeRejected {
		t.Fatalf("unknown queue: finished = %+v, want rejected", fin)
	}
}

func TestClockSteppingBackDoesNotRunTimeBack(t *testing.T) {
	r := newRig(t, oneQueue(QueueConfig{ID: "tax"}, "a1"))
	r.ready("a1")
	r.arrive("c1", "tax")
	r.clk.t = r.clk.t.Add(10 * time.Second)
	r.keep(r.e.Answered("c1", "a1"))
	r.clk.t = r.clk.t.Add(-time.Hour) // NTP step
	fin := only(r.keep(r.e.AgentHangup("c1")), Finished)
	if len(fin) != 1 || fin[0].Wait != 10*time.Second || fin[0].Talk != 0 {
		t.Fatalf("finished %+v, want wait 10s and talk 0 (not negative)", fin)
	}
}
