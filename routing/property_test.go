package routing

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/agents"
)

// propertyConfig exercises every feature at once: three queues with
// skills, widening to partners, overflow, limits, hours, ring-all, wrap-up
// and a lenient RONA policy.
func propertyConfig() Config {
	weekdays := []Span{{From: 8 * time.Hour, To: 20 * time.Hour}}
	hours := &Hours{}
	for d := time.Monday; d <= time.Friday; d++ {
		hours.Weekly[d] = weekdays
	}
	return Config{
		Queues: []QueueConfig{
			{ID: "tax", RingTimeout: 8 * time.Second, Wrapup: 5 * time.Second, MaxWaiting: 4, OverflowTo: "civil",
				OverflowAfter: 90 * time.Second, MinLevel: 6, Partners: []string{"civil"},
				Widen:         []WidenStep{{After: 20 * time.Second, MinLevel: 2}, {After: 40 * time.Second, MinLevel: 1, Partners: true}},
				PriorityRules: []PriorityRule{{Attrs: map[string]string{"vip": "*"}, Priority: 3}}, AnnounceEvery: 15 * time.Second},
			{ID: "civil", Strategy: StrategyRingAll, RingTimeout: 6 * time.Second, MaxWait: 150 * time.Second, RonaMisses: 2,
				LeaveEmpty: EmptyLoggedIn, MessageEvery: 25 * time.Second, MessagePrompt: "web"},
			{ID: "customs", Strategy: StrategyRoundRobin, Hours: hours, JoinEmpty: EmptyAvailable, MaxWaiting: 3,
				OverflowTo: "tax", Wrapup: 3 * time.Second},
		},
		Agents: []AgentConfig{
			{ID: "a1", Skills: map[string]int{"tax": 8, "civil": 3}},
			{ID: "a2", Skills: map[string]int{"tax": 4, "customs": 6}, Penalty: 1},
			{ID: "a3", Skills: map[string]int{"civil": 5}},
			{ID: "a4", Skills: map[string]int{"customs": 9, "civil": 2}},
			{ID: "a5", Skills: map[string]int{"tax": 1}},
			{ID: "a6", Skills: map[string]int{"civil": 7, "tax": 6}, Penalties: map[string]int{"tax": 2}},
		},
	}
}

// model follows the engine from the outside through its actions and
// checks what the call path relies on.
type model struct {
	t        *testing.T
	state    map[string]agents.State // agent -> state per AgentState actions
	reason   map[string]string
	offered  map[string]string // agent -> call it rings for
	live     map[string]bool   // calls the engine holds
	finished map[string]string // call -> outcome
	lost     map[string]bool   // calls dropped by a restart
}

func newModel(t *testing.T, cfg Config) *model {
	m := &model{t: t, state: map[string]agents.State{}, reason: map[string]string{}, offered: map[string]string{},
		live: map[string]bool{}, finished: map[string]string{}, lost: map[string]bool{}}
	for _, a := range cfg.Agents {
		m.state[a.ID] = agents.LoggedOut
	}
	return m
}

// legal says whether some event of the agent state machine leads from one
// state to the other.
func legal(from, to agents.State) bool {
	for _, ev := range []agents.Event{agents.Login, agents.Logout, agents.SetReady, agents.SetNotReady, agents.Offer,
		agents.Answer, agents.RingTimeout, agents.Decline, agents.Hangup, agents.WrapupDone} {
		if got, err := agents.Next(from, ev); err == nil && got == to {
			return true
		}
	}
	return false
}

func (m *model) apply(step string, acts []Action) error {
	for _, a := range acts {
		if a.Kind != QueueLog && a.Kind != AgentState && a.CallID != "" && !m.live[a.CallID] && a.Kind != CancelOffer {
			return fmt.Errorf("%s: action %v for call %s which is not live", step, a.Kind, a.CallID)
		}
		switch a.Kind {
		case AgentState:
			if !legal(m.state[a.AgentID], a.State) {
				return fmt.Errorf("%s: agent %s %s -> %s is not a legal transition", step, a.AgentID, m.state[a.AgentID], a.State)
			}
			if m.state[a.AgentID] == agents.Ringing {
				delete(m.offered, a.AgentID)
			}
			m.state[a.AgentID], m.reason[a.AgentID] = a.State, a.Reason
		case Offer:
			if m.state[a.AgentID] != agents.Ringing {
				return fmt.Errorf("%s: offer to %s in state %s", step, a.AgentID, m.state[a.AgentID])
			}
			if c, ok := m.offered[a.AgentID]; ok {
				return fmt.Errorf("%s: agent %s offered %s while ringing for %s", step, a.AgentID, a.CallID, c)
			}
			m.offered[a.AgentID] = a.CallID
		case CancelOffer:
			if m.offered[a.AgentID] == a.CallID {
				delete(m.offered, a.AgentID)
			}
		case Finished:
			if prev, done := m.finished[a.CallID]; done {
				return fmt.Errorf("%s: call %s finished twice (%s, %s)", step, a.CallID, prev, a.Outcome)
			}
			if !slices.Contains(Outcomes, a.Outcome) || a.Outcome == OutcomeOverflowed {
				return fmt.Errorf("%s: call %s finished with outcome %q", step, a.CallID, a.Outcome)
			}
			m.finished[a.CallID] = a.Outcome
			delete(m.live, a.CallID)
		case Announce:
			for _, c := range m.offered {
				if c == a.CallID {
					return fmt.Errorf("%s: announcement to %s while it rings an agent", step, a.CallID)
				}
			}
		}
	}
	return nil
}

// runSequence drives one random sequence of inputs.
func runSequence(t *testing.T, seed uint64, steps int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	cfg := propertyConfig()
	clk := &fakeClock{t: time.Date(2026, 3, 6, 19, 50, 0, 0, time.UTC)} // a Friday: customs closes at 20:00
	e, err := NewEngine(cfg, clk, int64(seed))
	if err != nil {
		t.Fatal(err)
	}
	m := newModel(t, cfg)
	ids := []string{"a1", "a2", "a3", "a4", "a5", "a6"}
	queues := []string{"tax", "civil", "customs", "nowhere"}
	nCalls := 0
	var arrived []string
	check := func(step string, acts []Action) {
		t.Helper()
		if err := m.apply(step, acts); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if err := e.checkInvariants(); err != nil {
			t.Fatalf("seed %d after %s: %v", seed, step, err)
		}
		queued, pending := map[string]int{}, map[string]int{}
		for _, c := range e.Calls() {
			if !m.live[c.ID] {
				t.Fatalf("seed %d after %s: snapshot shows call %s the actions ended", seed, step, c.ID)
			}
			switch c.State {
			case "queued":
				queued[c.Queue]++
				pending[c.Queue]++
			case "ringing":
				pending[c.Queue]++
			}
		}
		for _, q := range e.Queues() {
			if q.Waiting != queued[q.ID] {
				t.Fatalf("seed %d after %s: queue %s says %d waiting, calls say %d", seed, step, q.ID, q.Waiting, queued[q.ID])
			}
			// Every call presented is counted once: ended one way, or still
			// waiting or ringing (a connected call counts as answered).
			ended := q.Answered + q.Abandoned + q.Overflowed + q.TimedOut + q.Rejected + q.Closed
			if q.Offered != ended+pending[q.ID] {
				t.Fatalf("seed %d after %s: queue %s offered %d, but %d ended and %d pending", seed, step, q.ID, q.Offered, ended, pending[q.ID])
			}
		}
		for _, s := range e.Agents() {
			if s.State != m.state[s.ID] {
				t.Fatalf("seed %d after %s: agent %s is %s, actions said %s", seed, step, s.ID, s.State, m.state[s.ID])
			}
		}
	}
	pickCall := func() string {
		if len(arrived) == 0 || rng.IntN(10) == 0 {
			return fmt.Sprintf("c%d", rng.IntN(nCalls+2))
		}
		return arrived[rng.IntN(len(arrived))]
	}
	for i := range steps {
		agent := ids[rng.IntN(len(ids))]
		var step string
		var acts []Action
		switch op := rng.IntN(100); {
		case op < 20:
			nCalls++
			id := fmt.Sprintf("c%d", nCalls)
			attrs := map[string]string{}
			if rng.IntN(4) == 0 {
				attrs["vip"] = "yes"
			}
			step = "arrive " + id
			m.live[id] = true
			arrived = append(arrived, id)
			acts = e.Arrive(Call{ID: id, Queue: queues[rng.IntN(len(queues))], Attrs: attrs})
		case op < 28:
			id := pickCall()
			step, acts = "caller hangup "+id, e.CallerHangup(id)
		case op < 34:
			id := pickCall()
			step, acts = "agent hangup "+id, e.AgentHangup(id)
		case op < 48:
			// Answer a current offer mostly, a random pair sometimes.
			id := m.offered[agent]
			if id == "" || rng.IntN(5) == 0 {
				id = pickCall()
			}
			step, acts = "answer "+id+" by "+agent, e.Answered(id, agent)
		case op < 52:
			id := m.offered[agent]
			if id == "" {
				id = pickCall()
			}
			step, acts = "decline "+id+" by "+agent, e.Declined(id, agent)
		case op < 58:
			step, acts = "login "+agent, e.Login(agent)
		case op < 61:
			step, acts = "logout "+agent, e.Logout(agent)
		case op < 70:
			step = "ready " + agent
			acts, err = e.SetReady(agent)
			if err != nil && m.state[agent] != agents.LoggedOut {
				t.Fatalf("seed %d: SetReady(%s) in %s: %v", seed, agent, m.state[agent], err)
			}
		case op < 74:
			step = "not ready " + agent
			acts, err = e.SetNotReady(agent, "break")
			if err != nil && m.state[agent] != agents.LoggedOut {
				t.Fatalf("seed %d: SetNotReady(%s) in %s: %v", seed, agent, m.state[agent], err)
			}
		case op < 98:
			d := time.Duration(rng.IntN(20_000)) * time.Millisecond
			step = fmt.Sprintf("advance %v", d)
			end := clk.t.Add(d)
			for {
				at, ok := e.NextDeadline()
				if !ok || at.After(end) {
					break
				}
				if at.After(clk.t) {
					clk.t = at
				}
				check(step, e.Advance())
			}
			clk.t = end
		default:
			step = "restart"
			e, err = NewEngine(cfg, clk, int64(seed)+int64(i))
			if err != nil {
				t.Fatal(err)
			}
			for id := range m.live {
				m.lost[id] = true
			}
			m.live, m.offered = map[string]bool{}, map[string]string{}
			prev := m.state
			m.state = map[string]agents.State{}
			for _, id := range ids {
				m.state[id] = agents.LoggedOut
			}
			for _, id := range ids {
				switch prev[id] {
				case agents.LoggedOut:
					continue
				case agents.NotReady:
					acts = append(acts, e.Login(id)...)
					a, _ := e.SetNotReady(id, m.reason[id])
					acts = append(acts, a...)
				default:
					acts = append(acts, e.Login(id)...)
					a, _ := e.SetReady(id)
					acts = append(acts, a...)
				}
			}
		}
		check(step, acts)
	}
	// Wind down: every caller hangs up; every call must have finished once.
	for _, id := range arrived {
		check("final hangup "+id, e.CallerHangup(id))
	}
	for _, id := range arrived {
		if _, ok := m.finished[id]; !ok && !m.lost[id] {
			t.Fatalf("seed %d: call %s never finished", seed, id)
		}
	}
	if len(e.calls) != 0 {
		t.Fatalf("seed %d: engine still holds %d calls", seed, len(e.calls))
	}
}

func TestPropertyRandomSequences(t *testing.T) {
	seeds, steps := 300, 400
	if testing.Short() {
		seeds = 40
	}
	for seed := range seeds {
		runSequence(t, uint64(seed), steps)
	}
}
