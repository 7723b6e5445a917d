package routing

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/agents"
)

func TestApplyTimeNeverRunsBack(t *testing.T) {
	cfg := Config{Queues: []QueueConfig{{ID: "q", RingTimeout: 10 * time.Second}},
		Agents: []AgentConfig{{ID: "a", Skills: map[string]int{"q": 1}}}}
	e, err := NewEngine(cfg, &fakeClock{t: epoch}, 1)
	if err != nil {
		t.Fatal(err)
	}
	apply := func(in Input) []Action {
		t.Helper()
		acts, err := e.Apply(in)
		if err != nil {
			t.Fatalf("%s: %v", in.Kind, err)
		}
		return acts
	}
	apply(Input{Kind: InputLogin, AgentID: "a", At: epoch})
	apply(Input{Kind: InputSetReady, AgentID: "a", At: epoch})
	acts := apply(Input{Kind: InputArrive, Call: &Call{ID: "c", Queue: "q"}, At: epoch.Add(time.Second)})
	if !hasKind(acts, Offer) {
		t.Fatalf("arrive to a ready agent: %v", acts)
	}
	if at, ok := e.NextDeadline(); !ok || !at.Equal(epoch.Add(11*time.Second)) {
		t.Fatalf("ring timeout at %v %v, want arrival + 10s", at, ok)
	}
	// An input stamped earlier than the last one counts as the last one's time.
	apply(Input{Kind: InputAdvance, At: epoch})
	if acts := apply(Input{Kind: InputAdvance, At: epoch.Add(11 * time.Second)}); !hasKind(acts, CancelOffer) {
		t.Fatalf("advance at the deadline: want the ring timeout, got %v", acts)
	}
}

func hasKind(acts []Action, k ActionKind) bool {
	for _, a := range acts {
		if a.Kind == k {
			return true
		}
	}
	return false
}

func TestApplyRefusals(t *testing.T) {
	cfg := Config{Queues: []QueueConfig{{ID: "q"}}, Agents: []AgentConfig{{ID: "a", Skills: map[string]int{"q": 1}}}}
	e, err := NewEngine(cfg, &fakeClock{t: epoch}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in   Input
		want error
		text string
	}{
		{Input{Kind: InputSetReady, AgentID: "a", At: epoch}, ErrLoggedOut, `agent "a": agent is logged out`},
		{Input{Kind: InputSetNotReady, AgentID: "zz", At: epoch}, ErrUnknownAgent, `agent "zz": unknown agent`},
		{Input{Kind: "dance", At: epoch}, ErrBadInput, `bad input: unknown kind "dance"`},
		{Input{Kind: InputLogin, AgentID: "a"}, ErrBadInput, "bad input: login: no time (at)"},
		{Input{Kind: InputArrive, At: epoch}, ErrBadInput, "bad input: arrive: needs call with an id"},
		{Input{Kind: InputAnswered, CallID: "c", At: epoch}, ErrBadInput, "bad input: answered: needs call_id and agent_id"},
		{Input{Kind: InputCallerHangup, At: epoch}, ErrBadInput, "bad input: caller_hangup: needs call_id"},
		{Input{Kind: InputLogout, At: epoch}, ErrBadInput, "bad input: logout: needs agent_id"},
	} {
		acts, err := e.Apply(tc.in)
		if !errors.Is(err, tc.want) || err.Error() != tc.text || acts != nil {
			t.Errorf("Apply(%+v) = %v, %q; want %q", tc.in, acts, err, tc.text)
		}
	}
	// A refused input leaves the engine as it was.
	if s, _ := e.Agent("a"); s.State != agents.LoggedOut || !strings.Contains(fmt.Sprint(e.Calls()), "[]") {
		t.Fatalf("after refusals: agent %s, calls %v", s.State, e.Calls())
	}
}
