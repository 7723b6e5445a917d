package routing

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"
)

// benchConfig is a large centre: 11 queues with two widening steps and
// partners, 2,000 agents with one to three skills of random level.
func benchConfig(agents int) Config {
	rng := rand.New(rand.NewPCG(42, 42))
	var cfg Config
	cfg.NoQueueLog = true
	for i := range 11 {
		cfg.Queues = append(cfg.Queues, QueueConfig{
			ID: fmt.Sprintf("q%d", i), MinLevel: 5, Partners: []string{fmt.Sprintf("q%d", (i+1)%11)},
			Widen: []WidenStep{{After: 30 * time.Second, MinLevel: 3}, {After: 60 * time.Second, MinLevel: 1, Partners: true}},
		})
	}
	for i := range agents {
		skills := map[string]int{}
		for range 1 + rng.IntN(3) {
			skills[fmt.Sprintf("q%d", rng.IntN(11))] = 1 + rng.IntN(10)
		}
		cfg.Agents = append(cfg.Agents, AgentConfig{ID: strconv.Itoa(1000 + i), Skills: skills, Penalty: rng.IntN(2)})
	}
	return cfg
}

// benchCentre is an engine with every agent on a call and `waiting`
// more calls queued, spread over all tiers.
type benchCentre struct {
	e      *Engine
	clk    *fakeClock
	rng    *rand.Rand
	next   int
	onCall map[string]string // agent -> call
	agents []string
}

func newBenchCentre(b *testing.B, agents, waiting int) *benchCentre {
	cfg := benchConfig(agents)
	clk := &fakeClock{t: epoch}
	e, err := NewEngine(cfg, clk, 1)
	if err != nil {
		b.Fatal(err)
	}
	c := &benchCentre{e: e, clk: clk, rng: rand.New(rand.NewPCG(7, 7)), onCall: map[string]string{}}
	for _, a := range cfg.Agents {
		c.agents = append(c.agents, a.ID)
		e.Login(a.ID)
		if _, err := e.SetReady(a.ID); err != nil {
			b.Fatal(err)
		}
	}
	// Feed calls until every agent is busy and `waiting` calls wait; the
	// clock moves so calls sit in all three tiers.
	for e.waiting() < waiting {
		c.arrive()
		if c.next%50 == 0 {
			clk.t = clk.t.Add(time.Second)
			c.answer(e.Advance())
		}
	}
	return c
}

func (e *Engine) waiting() int {
	n := 0
	for _, q := range e.queues {
		n += q.waiting
	}
	return n
}

func (c *benchCentre) arrive() {
	c.next++
	id := "call-" + strconv.Itoa(c.next)
	c.answer(c.e.Arrive(Call{ID: id, Queue: "q" + strconv.Itoa(c.rng.IntN(11))}))
}

// answer plays agents who pick up every offer at once.
func (c *benchCentre) answer(acts []Action) {
	for _, a := range acts {
		if a.Kind == Offer {
			c.onCall[a.AgentID] = a.CallID
			c.e.Answered(a.CallID, a.AgentID)
		}
	}
}

// BenchmarkRoutingDecision times one routing decision in a loaded centre
// (10,000 waiting calls, 2,000 agents, 11 queues with skills, widening and
// partners): an agent hangs up, becomes ready, and the engine picks the
// call it gets among all its queues and tiers, and offers it.
func BenchmarkRoutingDecision(b *testing.B) {
	c := newBenchCentre(b, 2000, 10000)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		agent := c.agents[i%len(c.agents)]
		call, ok := c.onCall[agent]
		if !ok {
			continue // its queues ran dry in an earlier round
		}
		delete(c.onCall, agent)
		start := time.Now()
		acts := c.e.AgentHangup(call)
		lat = append(lat, time.Since(start))
		b.StopTimer()
		c.answer(acts)
		c.arrive() // keep 10,000 waiting
		b.StartTimer()
	}
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(c.e.waiting()), "waiting")
}

// BenchmarkEngineEvents counts engine inputs per second on one core: a
// steady stream of arrivals, answers, hangups (with wrap-up timers firing
// through Advance) and agents pausing and resuming.
func BenchmarkEngineEvents(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	cfg := benchConfig(2000)
	cfg.NoQueueLog = false
	for i := range cfg.Queues {
		cfg.Queues[i].Wrapup = 5 * time.Second
	}
	clk := &fakeClock{t: epoch}
	e, err := NewEngine(cfg, clk, 1)
	if err != nil {
		b.Fatal(err)
	}
	for _, a := range cfg.Agents {
		e.Login(a.ID)
		e.SetReady(a.ID)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	var connected []string
	events := 0
	b.ResetTimer()
	for i := 0; events < b.N; i++ {
		clk.t = clk.t.Add(5 * time.Millisecond)
		for _, a := range e.Arrive(Call{ID: "c" + strconv.Itoa(i), Queue: "q" + strconv.Itoa(rng.IntN(11))}) {
			if a.Kind == Offer {
				e.Answered(a.CallID, a.AgentID)
				connected = append(connected, a.CallID)
				events++
			}
		}
		events++
		if len(connected) > 1500 {
			j := rng.IntN(len(connected))
			e.CallerHangup(connected[j])
			connected[j] = connected[len(connected)-1]
			connected = connected[:len(connected)-1]
			events++
		}
		if i%10 == 0 {
			id := cfg.Agents[rng.IntN(len(cfg.Agents))].ID
			e.SetNotReady(id, "break")
			e.SetReady(id)
			events += 2
		}
		e.Advance()
		events++
	}
	b.StopTimer()
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkMemoryPerWaitingCall reports the heap the engine holds for
// each waiting call (its record, map entry and heap slots; the call id
// string is the caller's and counted too).
func BenchmarkMemoryPerWaitingCall(b *testing.B) {
	for range b.N {
		b.StopTimer()
		cfg := benchConfig(2000)
		clk := &fakeClock{t: epoch}
		e, err := NewEngine(cfg, clk, 1)
		if err != nil {
			b.Fatal(err)
		}
		ids := make([]string, 10000)
		for i := range ids {
			ids[i] = "call-" + strconv.Itoa(i)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		for i, id := range ids {
			e.Arrive(Call{ID: id, Queue: "q" + strconv.Itoa(i%11)})
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(len(ids)), "bytes/waiting-call")
		runtime.KeepAlive(e)
		runtime.KeepAlive(ids)
	}
}
