package routing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/frontdoor-project/frontdoor/agents"
)

// load fills a fresh engine from a snapshot body, checking every reference
// so no snapshot can leave the engine in a state its code does not expect.
func (e *Engine) load(body []byte, shuffle func(n int, swap func(i, j int))) error {
	var st engineState
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return err
	}
	if err := e.pcg.UnmarshalBinary(st.RNG); err != nil {
		return fmt.Errorf("rng: %w", err)
	}
	e.seq, e.now, e.inputAt = st.Seq, st.Now, st.InputAt
	if len(st.Queues) != len(e.queues) || len(st.Agents) != len(e.agents) {
		return fmt.Errorf("%d queues and %d agents, config has %d and %d", len(st.Queues), len(st.Agents), len(e.queues), len(e.agents))
	}
	for i, qs := range st.Queues {
		if err := e.queues[i].load(qs); err != nil {
			return err
		}
	}
	var timers []*timer
	var ready []*member
	for i, as := range st.Agents {
		a := e.agents[i]
		if err := a.load(as, e.now); err != nil {
			return fmt.Errorf("agent %s: %w", a.id, err)
		}
		if a.tm.at != 0 {
			timers = append(timers, &a.tm)
		}
		for j := range a.members {
			if as.Members[j].Ready {
				ready = append(ready, &a.members[j])
			}
		}
	}
	var queued []*call
	for _, cs := range st.Calls {
		c, err := e.loadCall(cs)
		if err != nil {
			return fmt.Errorf("call %q: %w", cs.ID, err)
		}
		if c.tm.at != 0 {
			timers = append(timers, &c.tm)
		}
		if c.state == callQueued {
			queued = append(queued, c)
		}
	}
	if err := e.linkAgents(); err != nil {
		return err
	}
	if shuffle != nil {
		shuffle(len(timers), func(i, j int) { timers[i], timers[j] = timers[j], timers[i] })
		shuffle(len(ready), func(i, j int) { ready[i], ready[j] = ready[j], ready[i] })
		shuffle(len(queued), func(i, j int) { queued[i], queued[j] = queued[j], queued[i] })
	}
	for _, t := range timers {
		e.timers.push(t)
	}
	for _, m := range ready {
		m.q.buckets[m.level].push(m)
	}
	for _, c := range queued {
		c.q.tiers[c.tier].calls.push(c)
		c.q.waiting++
	}
	return nil
}

func (q *queue) load(qs queueState) error {
	if qs.ID != q.cfg.ID {
		return fmt.Errorf("queue %q where the config has %q", qs.ID, q.cfg.ID)
	}
	if len(qs.Handle) != len(q.handle.buf) || qs.HandleN < 0 || qs.HandleN > len(q.handle.buf) ||
		qs.HandlePos < 0 || qs.HandlePos >= len(q.handle.buf) {
		return fmt.Errorf("queue %s: handle time average out of shape", q.cfg.ID)
	}
	s := qs.Stats
	q.nextTurn = qs.NextTurn
	q.stats = dayStats{day: int(s[0]), offered: int(s[1]), answered: int(s[2]), abandoned: int(s[3]), withinSL: int(s[4]),
		overflowed: int(s[5]), timeout: int(s[6]), rejected: int(s[7]), closed: int(s[8]), waitSum: s[9]}
	copy(q.handle.buf[:], qs.Handle)
	q.handle.n, q.handle.pos, q.handle.sum = qs.HandleN, qs.HandlePos, qs.HandleSum
	return nil
}

func (a *agent) load(as agentState, now int64) error {
	if as.ID != a.id {
		return fmt.Errorf("snapshot names it %q", as.ID)
	}
	st := agents.State(as.State)
	if !slices.Contains(agents.States, st) {
		return fmt.Errorf("state %q unknown", as.State)
	}
	if len(as.Members) != len(a.members) {
		return fmt.Errorf("%d queue memberships, config gives %d", len(as.Members), len(a.members))
	}
	for i := range a.members {
		if m := &a.members[i]; m.level > 0 {
			m.q.counts[stateIndex(a.state)]--
			m.q.counts[stateIndex(st)]++
		}
	}
	a.state, a.reason, a.since, a.misses, a.taken, a.talk, a.readyAt = st, as.Reason, as.Since, as.Misses, as.Taken, as.Talk, as.ReadyAt
	a.pendNR, a.pendWhy, a.pendOut = as.PendNR, as.PendWhy, as.PendOut
	if err := loadTimer(&a.tm, as.Timer); err != nil {
		return err
	}
	for i, ms := range as.Members {
		if ms.Ready != (st == agents.Ready) {
			return fmt.Errorf("%s, and in a ready bucket: %v", st, ms.Ready)
		}
		a.members[i].turn, a.members[i].key = ms.Turn, ms.Key
	}
	return nil
}

func loadTimer(t *timer, ts timerState) error {
	if ts.At < 0 || (ts.At == 0) != (ts.Seq == 0) {
		return fmt.Errorf("timer at %d seq %d", ts.At, ts.Seq)
	}
	t.at, t.seq = ts.At, ts.Seq
	return nil
}

// loadCall adds one call of a snapshot; linkAgents then ties agents to it.
func (e *Engine) loadCall(cs callStateJS) (*call, error) {
	q := e.queueIdx[cs.Queue]
	switch {
	case cs.ID == "" || e.calls[cs.ID] != nil:
		return nil, fmt.Errorf("id empty or repeated")
	case q == nil:
		return nil, fmt.Errorf("queue %q unknown", cs.Queue)
	case cs.Tier < 0 || cs.Tier >= len(q.tiers):
		return nil, fmt.Errorf("tier %d outside 0..%d", cs.Tier, len(q.tiers)-1)
	// A due announcement or message the queue has no period for would
	// fire again at once, for ever.
	case cs.NextAnn != 0 && q.cfg.AnnounceEvery <= 0, cs.NextMsg != 0 && q.cfg.MessageEvery <= 0:
		return nil, fmt.Errorf("announcement or message due in queue %s that has none", q.cfg.ID)
	}
	c := &call{id: cs.ID, caller: cs.Caller, q: q, state: cs.State, priority: cs.Priority, basePrio: cs.BasePrio,
		attrs: cs.Attrs, arrived: cs.Arrived, enqueued: cs.Enqueued, score: cs.Score, seq: cs.Seq, tier: cs.Tier,
		hidx: -1, ringStart: cs.RingStart, answered: cs.Answered, waited: cs.Waited, origPos: cs.OrigPos,
		hops: cs.Hops, overDone: cs.OverDone, nextAnn: cs.NextAnn, nextMsg: cs.NextMsg, tm: timer{idx: -1}}
	c.tm.c = c
	if err := loadTimer(&c.tm, cs.Timer); err != nil {
		return nil, err
	}
	for _, id := range cs.Ringing {
		a := e.agentIdx[id]
		if a == nil || slices.Contains(c.ringing, a) {
			return nil, fmt.Errorf("rings agent %q: unknown or twice", id)
		}
		c.ringing = append(c.ringing, a)
	}
	if cs.Agent != "" {
		if c.agent = e.agentIdx[cs.Agent]; c.agent == nil {
			return nil, fmt.Errorf("connected to unknown agent %q", cs.Agent)
		}
	}
	switch {
	case c.state == callQueued && len(c.ringing) == 0 && c.agent == nil:
	case c.state == callRinging && len(c.ringing) > 0 && c.agent == nil:
	case c.state == callConnected && len(c.ringing) == 0 && c.agent != nil:
	default:
		return nil, fmt.Errorf("state %d with %d ringing agents and agent %q", c.state, len(c.ringing), cs.Agent)
	}
	e.calls[c.id] = c
	return c, nil
}

// linkAgents points every ringing or busy agent at its call, and refuses a
// snapshot where agents and calls disagree.
func (e *Engine) linkAgents() error {
	for _, c := range e.calls {
		for _, a := range c.ringing {
			if a.call != nil || a.state != agents.Ringing {
				return fmt.Errorf("agent %s (%s) rings for call %s", a.id, a.state, c.id)
			}
			a.call = c
		}
		if a := c.agent; a != nil {
			if a.call != nil || a.state != agents.Busy {
				return fmt.Errorf("agent %s (%s) is connected to call %s", a.id, a.state, c.id)
			}
			a.call = c
		}
	}
	for _, a := range e.agents {
		if (a.state == agents.Ringing || a.state == agents.Busy) && a.call == nil {
			return fmt.Errorf("agent %s is %s without a call", a.id, a.state)
		}
	}
	return nil
}
