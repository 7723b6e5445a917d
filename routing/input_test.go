package routing

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/agents"
)

// inputGen makes random but plausible inputs: it answers and declines the
// offers the reference engine made, so calls get connected and hung up.
type inputGen struct {
	rng    *rand.Rand
	now    time.Time
	nCalls int
}

func (g *inputGen) next(ref *Engine) Input {
	ids := []string{"a1", "a2", "a3", "a4", "a5", "a6"}
	agent := ids[g.rng.IntN(len(ids))]
	call := fmt.Sprintf("c%d", g.rng.IntN(g.nCalls+2))
	offered, _ := ref.Agent(agent)
	g.now = g.now.Add(time.Duration(g.rng.IntN(3000)) * time.Millisecond)
	in := Input{At: g.now, AgentID: agent, CallID: call}
	switch op := g.rng.IntN(100); {
	case op < 20:
		g.nCalls++
		queues := []string{"tax", "civil", "customs", "nowhere"}
		in.Call = &Call{ID: fmt.Sprintf("c%d", g.nCalls), Queue: queues[g.rng.IntN(len(queues))],
			Attrs: map[string]string{"caller": "+3212345678"}}
		in.Kind, in.CallID, in.AgentID = InputArrive, "", ""
	case op < 27:
		in.Kind = InputCallerHangup
	case op < 34:
		in.Kind = InputAgentHangup
		if offered.CallID != "" && offered.State == agents.Busy {
			in.CallID = offered.CallID
		}
	case op < 36:
		in.Kind = InputUnreached
	case op < 50:
		in.Kind = InputAnswered
		if offered.CallID != "" {
			in.CallID = offered.CallID
		}
	case op < 54:
		in.Kind = InputDeclined
		if offered.CallID != "" {
			in.CallID = offered.CallID
		}
	case op < 61:
		in.Kind = InputLogin
	case op < 64:
		in.Kind = InputLogout
	case op < 74:
		in.Kind = InputSetReady
	case op < 78:
		in.Kind, in.Reason = InputSetNotReady, "break"
	default:
		// A timer tick: the next deadline when there is one (as a leader
		// would write it), else just later.
		in.Kind = InputAdvance
		if at, ok := ref.NextDeadline(); ok && at.After(g.now) && at.Sub(g.now) < 30*time.Second {
			g.now = at
			in.At = at
		}
	}
	if in.Kind != InputAnswered && in.Kind != InputDeclined && in.Kind != InputLogin && in.Kind != InputLogout &&
		in.Kind != InputSetReady && in.Kind != InputSetNotReady {
		in.AgentID = ""
	}
	if in.Kind == InputAdvance || in.Kind == InputLogin || in.Kind == InputLogout || in.Kind == InputSetReady || in.Kind == InputSetNotReady {
		in.CallID = ""
	}
	return in
}

// callMethod feeds in to e through the method it names, the way the call
// path does today: the clock set to in.At.
func callMethod(e *Engine, clk *fakeClock, in Input) ([]Action, error) {
	clk.t = in.At
	noErr := func(acts []Action) ([]Action, error) { return acts, nil }
	methods := map[InputKind]func() ([]Action, error){
		InputArrive:       func() ([]Action, error) { return noErr(e.Arrive(*in.Call)) },
		InputCallerHangup: func() ([]Action, error) { return noErr(e.CallerHangup(in.CallID)) },
		InputAgentHangup:  func() ([]Action, error) { return noErr(e.AgentHangup(in.CallID)) },
		InputUnreached:    func() ([]Action, error) { return noErr(e.Unreached(in.CallID)) },
		InputAnswered:     func() ([]Action, error) { return noErr(e.Answered(in.CallID, in.AgentID)) },
		InputDeclined:     func() ([]Action, error) { return noErr(e.Declined(in.CallID, in.AgentID)) },
		InputLogin:        func() ([]Action, error) { return noErr(e.Login(in.AgentID)) },
		InputLogout:       func() ([]Action, error) { return noErr(e.Logout(in.AgentID)) },
		InputSetReady:     func() ([]Action, error) { return e.SetReady(in.AgentID) },
		InputSetNotReady:  func() ([]Action, error) { return e.SetNotReady(in.AgentID, in.Reason) },
		InputAdvance:      func() ([]Action, error) { return noErr(e.Advance()) },
	}
	return methods[in.Kind]()
}

// TestApplyMatchesMethods: Apply of (JSON round-tripped) inputs makes the
// same decisions as calling the methods with the clock at In.At, and Apply
// never reads the engine's clock (it is stuck a year early here).
func TestApplyMatchesMethods(t *testing.T) {
	start := time.Date(2026, 3, 6, 19, 50, 0, 0, time.UTC) // customs closes at 20:00
	for seed := range uint64(30) {
		cfg := propertyConfig()
		clk := &fakeClock{t: start}
		ref, err := NewEngine(cfg, clk, int64(seed))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := NewEngine(cfg, &fakeClock{t: start.AddDate(-1, 0, 0)}, int64(seed))
		if err != nil {
			t.Fatal(err)
		}
		g := &inputGen{rng: rand.New(rand.NewPCG(seed, 9)), now: start}
		kinds := map[InputKind]int{}
		for step := range 400 {
			in := g.next(ref)
			raw, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			var back Input
			if err := json.Unmarshal(raw, &back); err != nil {
				t.Fatalf("decode %s: %v", raw, err)
			}
			want, wantErr := callMethod(ref, clk, in)
			got, gotErr := rep.Apply(back)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("seed %d step %d %s: Apply error %v, method error %v", seed, step, raw, gotErr, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d step %d %s:\nApply  %+v\nmethod %+v", seed, step, raw, got, want)
			}
			kinds[in.Kind] += len(got)
			if err := rep.checkInvariants(); err != nil {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
		}
		if !reflect.DeepEqual(ref.Agents(), rep.Agents()) || !reflect.DeepEqual(ref.Calls(), rep.Calls()) ||
			!reflect.DeepEqual(ref.Queues(), rep.Queues()) {
			t.Fatalf("seed %d: snapshots differ after the same inputs", seed)
		}
		// The sequence must have exercised the inputs, or the test proves little.
		for _, k := range []InputKind{InputArrive, InputAnswered, InputAdvance, InputSetReady, InputLogin} {
			if kinds[k] == 0 {
				t.Fatalf("seed %d: no %s produced an action", seed, k)
			}
		}
	}
}

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
