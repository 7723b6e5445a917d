package routing

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/frontdoor-project/frontdoor/agents"
)

// QueueSnapshot is one queue as dashboards and metrics see it. Counters
// are for today in the queue's time zone.
type QueueSnapshot struct {
	ID         string
	Waiting    int
	OldestWait time.Duration
	// Offered counts calls presented to the queue (arrivals and overflow
	// in, refused ones too); each ends as one of the outcome counters.
	Agents     map[agents.State]int // agents with the queue's skill, every state present
	Offered    int
	Answered   int
	Abandoned  int
	Overflowed int
	TimedOut   int
	Rejected   int
	Closed     int
	// AnsweredWithinSL counts answered calls that waited at most the
	// threshold; ServiceLevel is their share (see dayStats.serviceLevel).
	AnsweredWithinSL int
	ServiceLevel     float64
	ServiceLevelTime time.Duration
	ServiceLevelGoal float64
	ASA              time.Duration // mean wait of answered calls
	AverageHandle    time.Duration // moving average used for EWT
	Open             bool
}

// AgentSnapshot is one agent's state.
type AgentSnapshot struct {
	ID     string
	State  agents.State
	Reason string
	Since  time.Time
	CallID string // ringing or connected call
	Queue  string // that call's queue
	// CallsTaken and TalkTime count since the engine started.
	CallsTaken int
	TalkTime   time.Duration
}

// CallSnapshot is one call in the engine.
type CallSnapshot struct {
	ID       string
	Queue    string
	State    string // queued | ringing | connected
	Agents   []string
	Priority int
	Arrived  time.Time
	Position int // when queued
	// EWT is the estimated wait from now when queued; 0 with EWTKnown false
	// when nobody works the queue.
	EWT      time.Duration
	EWTKnown bool
	Wait     time.Duration
}

// Queues snapshots every queue, in configured order.
func (e *Engine) Queues() []QueueSnapshot {
	e.now = max(e.now, e.clock.Now().UnixNano())
	now := timeOf(e.now)
	out := make([]QueueSnapshot, 0, len(e.queues))
	for _, q := range e.queues {
		st := q.stats.roll(q, e.now)
		s := QueueSnapshot{
			ID: q.cfg.ID, Waiting: q.waiting, Agents: make(map[agents.State]int, nStates),
			Offered: st.offered, Answered: st.answered, Abandoned: st.abandoned, Overflowed: st.overflowed,
			TimedOut: st.timeout, Rejected: st.rejected, Closed: st.closed,
			AnsweredWithinSL: st.withinSL, ServiceLevel: st.serviceLevel(), ServiceLevelTime: q.cfg.ServiceLevel,
			ServiceLevelGoal: q.cfg.ServiceLevelTarget,
			AverageHandle:    q.handle.mean(q.cfg.DefaultHandle), Open: q.cfg.Hours.Open(now),
		}
		for _, state := range agents.States {
			s.Agents[state] = q.counts[stateIndex(state)]
		}
		if st.answered > 0 {
			s.ASA = time.Duration(st.waitSum / int64(st.answered))
		}
		for ti := range q.tiers {
			for _, c := range q.tiers[ti].calls {
				if w := dur(e.now - c.enqueued + c.waited); w > s.OldestWait {
					s.OldestWait = w
				}
			}
		}
		out = append(out, s)
	}
	return out
}

// Agents snapshots every agent, in configured order.
func (e *Engine) Agents() []AgentSnapshot {
	out := make([]AgentSnapshot, 0, len(e.agents))
	for _, a := range e.agents {
		out = append(out, snapshotAgent(a))
	}
	return out
}

// Agent snapshots one agent.
func (e *Engine) Agent(id string) (AgentSnapshot, bool) {
	a := e.agentIdx[id]
	if a == nil {
		return AgentSnapshot{}, false
	}
	return snapshotAgent(a), true
}

func snapshotAgent(a *agent) AgentSnapshot {
	s := AgentSnapshot{ID: a.id, State: a.state, Reason: a.reason, Since: timeOf(a.since),
		CallsTaken: a.taken, TalkTime: dur(a.talk)}
	if a.since == 0 {
		s.Since = time.Time{}
	}
	if a.call != nil {
		s.CallID, s.Queue = a.call.id, a.call.q.cfg.ID
	}
	return s
}

// Calls snapshots every call in the engine, oldest first.
func (e *Engine) Calls() []CallSnapshot {
	e.now = max(e.now, e.clock.Now().UnixNano())
	cs := make([]*call, 0, len(e.calls))
	for _, c := range e.calls {
		cs = append(cs, c)
	}
	slices.SortFunc(cs, func(x, y *call) int { return cmp.Or(cmp.Compare(x.arrived, y.arrived), strings.Compare(x.id, y.id)) })
	out := make([]CallSnapshot, 0, len(cs))
	for _, c := range cs {
		out = append(out, e.snapshotCall(c))
	}
	return out
}

// Call snapshots one call.
func (e *Engine) Call(id string) (CallSnapshot, bool) {
	c := e.calls[id]
	if c == nil {
		return CallSnapshot{}, false
	}
	e.now = max(e.now, e.clock.Now().UnixNano())
	return e.snapshotCall(c), true
}

func (e *Engine) snapshotCall(c *call) CallSnapshot {
	s := CallSnapshot{ID: c.id, Queue: c.q.cfg.ID, Priority: c.priority, Arrived: timeOf(c.arrived)}
	switch c.state {
	case callQueued:
		s.State, s.Position, s.Wait = "queued", e.position(c), dur(c.waited+e.now-c.enqueued)
		s.EWT = e.ewt(c.q, s.Position)
		s.EWTKnown = s.EWT > 0
	case callRinging:
		s.State, s.Wait = "ringing", dur(c.waited+e.now-c.enqueued)
		for _, a := range c.ringing {
			s.Agents = append(s.Agents, a.id)
		}
	case callConnected:
		s.State, s.Wait = "connected", dur(c.waited+c.answered-c.enqueued)
		s.Agents = []string{c.agent.id}
	}
	return s
}
