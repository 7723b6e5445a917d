// Package routingtest makes random but plausible routing.Inputs for the
// property tests of the engine and of the cluster that replicates it. It is
// imported only from tests.
package routingtest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/frontdoor-project/frontdoor/routing"
)

// kinds are in the order routing declares them, the order of the draw.
var kinds = []routing.InputKind{routing.InputArrive, routing.InputCallerHangup, routing.InputAgentHangup, routing.InputUnreached,
	routing.InputAnswered, routing.InputDeclined, routing.InputLogin, routing.InputLogout, routing.InputSetReady,
	routing.InputSetNotReady, routing.InputAdvance}

// Config is what the property tests choose differently.
type Config struct {
	Rng    *rand.Rand
	Agents []string // the agents inputs name (an unknown one too, if wanted)
	Queues []string // the queues arriving calls ask for (an unknown one too, if wanted)
	// Weights says how often each kind is drawn, against the others (a
	// kind left out: never). An InputAdvance drawn is stamped with the
	// input's time.
	Weights map[routing.InputKind]int
	// One input in Stray names a random agent and call even while some
	// agent holds a call; the others act on such an agent and its call, so
	// offers get answered and connected calls hung up. 0: always the held
	// calls, when there are any.
	Stray int
	// Arriving calls carry a caller number when Caller is set, and one in
	// VIP of them carries vip=yes (0: none does).
	Caller bool
	VIP    int

	// The generator's own clock, for Next: it starts at Start, and one Next
	// in Tick (0: none) moves it on by up to MaxTick, in whole milliseconds.
	Start   time.Time
	Tick    int
	MaxTick time.Duration
	// Overdue leaves the engine's deadlines to come due until Weights draws
	// an InputAdvance, so inputs meet overdue timers and one advance fires
	// several, as behind a slow leader. Otherwise Next fires each deadline
	// as an InputAdvance at its time as soon as it is due.
	Overdue bool
	// An InputAdvance that Next draws moves the clock on to the engine's
	// next deadline when that is at most Wake away, as a leader waking for
	// its timer would (0: it stays at the clock's time).
	Wake time.Duration
}

// Inputs draws inputs from an engine's own state. It is not safe for
// concurrent use.
type Inputs struct {
	cfg   Config
	now   time.Time
	total int
	calls int // calls c1...cN have arrived
}

// New panics when cfg cannot draw an input: a test's own mistake.
func New(cfg Config) *Inputs {
	g := &Inputs{cfg: cfg, now: cfg.Start}
	for k, n := range cfg.Weights {
		if !slices.Contains(kinds, k) || n < 0 {
			panic(fmt.Sprintf("routingtest: weight %d for input kind %q", n, k))
		}
		g.total += n
	}
	if cfg.Rng == nil || len(cfg.Agents) == 0 || len(cfg.Queues) == 0 || g.total <= 0 || (cfg.Tick > 0 && cfg.MaxTick < time.Millisecond) {
		panic(fmt.Sprintf("routingtest: config cannot draw inputs: rng %v, %d agents, %d queues, weights adding up to %d, ticks of up to %v",
			cfg.Rng != nil, len(cfg.Agents), len(cfg.Queues), g.total, cfg.MaxTick))
	}
	return g
}

// Next is the next input for e on the generator's clock.
func (g *Inputs) Next(e *routing.Engine) routing.Input {
	if in, ok := g.due(e); ok {
		return in
	}
	if g.cfg.Tick > 0 && g.cfg.Rng.IntN(g.cfg.Tick) == 0 {
		g.now = g.now.Add(time.Duration(g.cfg.Rng.IntN(int(g.cfg.MaxTick/time.Millisecond))) * time.Millisecond)
		if in, ok := g.due(e); ok {
			return in
		}
	}
	in := g.At(e, g.now)
	if at, ok := e.NextDeadline(); in.Kind == routing.InputAdvance && ok && at.After(g.now) && at.Sub(g.now) <= g.cfg.Wake {
		g.now, in.At = at, at
	}
	return in
}

func (g *Inputs) due(e *routing.Engine) (routing.Input, bool) {
	if g.cfg.Overdue {
		return routing.Input{}, false
	}
	if at, ok := e.NextDeadline(); ok && !at.After(g.now) {
		return routing.Input{Kind: routing.InputAdvance, At: at}, true
	}
	return routing.Input{}, false
}

// At is an input for e at the caller's time. It fires no deadline: the
// caller keeps the time (in a cluster, the leader fires the timers).
func (g *Inputs) At(e *routing.Engine, at time.Time) routing.Input {
	rng := g.cfg.Rng
	agent := g.cfg.Agents[rng.IntN(len(g.cfg.Agents))]
	call := fmt.Sprintf("c%d", 1+rng.IntN(g.calls+1)) // cN+1 has not arrived yet
	var busy []routing.AgentSnapshot
	for _, a := range e.Agents() {
		if a.CallID != "" {
			busy = append(busy, a)
		}
	}
	if len(busy) > 0 && (g.cfg.Stray == 0 || rng.IntN(g.cfg.Stray) != 0) {
		a := busy[rng.IntN(len(busy))]
		agent, call = a.ID, a.CallID
	}
	in := routing.Input{Kind: g.kind(), At: at}
	switch in.Kind {
	case routing.InputArrive:
		vip := g.cfg.VIP > 0 && rng.IntN(g.cfg.VIP) == 0
		in = g.arrival(at, g.cfg.Queues[rng.IntN(len(g.cfg.Queues))], vip)
	case routing.InputCallerHangup, routing.InputAgentHangup, routing.InputUnreached:
		in.CallID = call
	case routing.InputAnswered, routing.InputDeclined:
		in.CallID, in.AgentID = call, agent
	case routing.InputSetNotReady:
		in.AgentID, in.Reason = agent, "break"
	case routing.InputAdvance:
	default:
		in.AgentID = agent
	}
	return in
}

func (g *Inputs) kind() routing.InputKind {
	n := g.cfg.Rng.IntN(g.total)
	for _, k := range kinds {
		if n -= g.cfg.Weights[k]; n < 0 {
			return k
		}
	}
	panic("routingtest: weights do not add up")
}

// Arrival is the next call, for queue, without drawing on the rng: for a
// test that sets the scene before the random inputs.
func (g *Inputs) Arrival(at time.Time, queue string) routing.Input {
	return g.arrival(at, queue, false)
}

func (g *Inputs) arrival(at time.Time, queue string, vip bool) routing.Input {
	g.calls++
	c := &routing.Call{ID: fmt.Sprintf("c%d", g.calls), Queue: queue}
	if g.cfg.Caller || vip {
		c.Attrs = map[string]string{}
	}
	if g.cfg.Caller {
		c.Attrs["caller"] = fmt.Sprint("+4930", g.calls)
	}
	if vip {
		c.Attrs["vip"] = "yes"
	}
	return routing.Input{Kind: routing.InputArrive, At: at, Call: c}
}
