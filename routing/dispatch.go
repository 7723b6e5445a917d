package routing

import (
	"slices"

	"github.com/frontdoor-project/frontdoor/agents"
)

// enterReady puts a just-ready agent into the ready buckets of each of its
// queues, keyed by that queue's strategy, and asks dispatch to find it a call.
func (e *Engine) enterReady(a *agent) {
	a.readyAt = e.now
	r := int64(e.rng.Uint64() >> 1)
	for i := range a.members {
		m := &a.members[i]
		m.key = [3]int64{int64(m.penalty), 0, 0}
		switch m.q.cfg.Strategy {
		case StrategyLongestIdle:
			m.key[1] = a.readyAt
		case StrategyRoundRobin:
			m.key[1] = m.turn
		case StrategyFewestCalls:
			m.key[1], m.key[2] = int64(a.taken), a.readyAt
		case StrategyLeastTalk:
			m.key[1], m.key[2] = a.talk, a.readyAt
		case StrategyRandom:
			m.key[1] = r
		default: // linear, ring-all: configured order
			m.key[1] = int64(a.idx)
		}
		m.q.buckets[m.level].push(m)
	}
	e.pendA = append(e.pendA, a)
}

func (e *Engine) leaveReady(a *agent) {
	for i := range a.members {
		m := &a.members[i]
		if m.hidx >= 0 {
			m.q.buckets[m.level].remove(m.hidx)
		}
	}
}

// dispatch matches ready agents and queued calls until no queued call has
// an eligible ready agent. Between inputs that always holds, so a new
// arrival only needs the best ready agent and a newly ready agent only the
// best waiting call.
func (e *Engine) dispatch() {
	for len(e.pendA) > 0 || len(e.pendC) > 0 {
		for len(e.pendC) > 0 {
			c := e.pendC[0]
			e.pendC = e.pendC[1:]
			if c.state == callQueued && e.calls[c.id] == c {
				e.assign(c)
			}
		}
		if len(e.pendA) > 0 {
			a := e.pendA[0]
			e.pendA = e.pendA[1:]
			for a.state == agents.Ready {
				c := e.bestCallFor(a)
				if c == nil || !e.assign(c) {
					break
				}
			}
		}
	}
	e.pendA, e.pendC = e.pendA[:0], e.pendC[:0]
	for _, c := range e.pendAnn {
		if c.state == callQueued && e.calls[c.id] == c {
			e.announce(c)
		}
	}
	e.pendAnn = e.pendAnn[:0]
}

// eligible says whether member m may take calls of tier t.
func eligible(m *member, t *tier) bool {
	if m.level == 0 {
		return t.partners
	}
	return m.level >= t.minLevel
}

// bestCallFor is the call a ready agent should take: over all its queues
// and the tiers it may serve, the one first in line (arrival time weighted
// by priority). Comparing across queues is what keeps a multi-queue agent
// from always serving its first queue.
func (e *Engine) bestCallFor(a *agent) *call {
	var best *call
	for i := range a.members {
		m := &a.members[i]
		for ti := range m.q.tiers {
			t := &m.q.tiers[ti]
			if len(t.calls) == 0 || !eligible(m, t) {
				continue
			}
			if c := t.calls[0]; best == nil || c.before(best) {
				best = c
			}
		}
	}
	return best
}

// assign offers a queued call to the best eligible ready agent(s) of its
// queue; false when there is none.
func (e *Engine) assign(c *call) bool {
	q := c.q
	t := &q.tiers[c.tier]
	lo := t.minLevel
	if t.partners {
		lo = 0
	}
	if q.cfg.Strategy == StrategyRingAll {
		return e.assignAll(c, lo)
	}
	var best *member
	for l := lo; l <= MaxSkillLevel; l++ {
		if l == 0 && !t.partners {
			continue
		}
		b := q.buckets[l]
		if len(b) > 0 && (best == nil || b[0].before(best)) {
			best = b[0]
		}
	}
	if best == nil {
		return false
	}
	best.turn = q.nextTurn
	q.nextTurn++
	e.offer(c, []*agent{best.a})
	return true
}

// assignAll rings every eligible ready agent with the lowest penalty.
func (e *Engine) assignAll(c *call, lo int) bool {
	q := c.q
	minPen := int64(-1)
	for l := lo; l <= MaxSkillLevel; l++ {
		for _, m := range q.buckets[l] {
			if minPen < 0 || m.key[0] < minPen {
				minPen = m.key[0]
			}
		}
	}
	if minPen < 0 {
		return false
	}
	var ring []*agent
	for l := lo; l <= MaxSkillLevel; l++ {
		for _, m := range q.buckets[l] {
			if m.key[0] == minPen {
				ring = append(ring, m.a)
			}
		}
	}
	// Bucket order is heap order; ring in configured order instead.
	slices.SortFunc(ring, func(x, y *agent) int { return x.idx - y.idx })
	e.offer(c, ring)
	return true
}

// offer takes the call out of its queue and rings the agents.
func (e *Engine) offer(c *call, ring []*agent) {
	e.unqueue(c)
	c.state = callRinging
	c.ringing = ring
	c.ringStart = e.now
	for _, a := range ring {
		a.call = c
		e.transition(a, agents.Offer, "")
		e.emit(Action{Kind: Offer, CallID: c.id, AgentID: a.id, Queue: c.q.cfg.ID})
	}
	e.schedule(&c.tm, c.ringStart+int64(c.q.cfg.RingTimeout))
}

// queueCall puts a call into tier 0 of its queue, or at the head when
// atHead (a call coming back from an unanswered offer).
func (e *Engine) queueCall(c *call, atHead bool) {
	q := c.q
	c.state = callQueued
	// Widening steps that came due while the call rang apply at once.
	for c.tier+1 < len(q.tiers) && e.now-c.enqueued >= q.tiers[c.tier+1].after {
		c.tier++
	}
	if atHead {
		for ti := range q.tiers {
			if t := &q.tiers[ti]; len(t.calls) > 0 && t.calls[0].score <= c.score {
				c.score = t.calls[0].score - 1
			}
		}
	}
	q.tiers[c.tier].calls.push(c)
	q.waiting++
	e.pendC = append(e.pendC, c)
	e.scheduleCall(c)
}

// requeue puts a call whose offer failed back at the head of its queue,
// unless its max wait has passed meanwhile.
func (e *Engine) requeue(c *call) {
	c.ringing = nil
	if mw := c.q.cfg.MaxWait; mw > 0 && e.now-c.enqueued >= int64(mw) {
		e.qlog(c.q, c.id, "", "EXITWITHTIMEOUT", "1", itoa(c.origPos), secs(e.now-c.enqueued))
		e.endCall(c, OutcomeTimeout, PromptTimeout)
		return
	}
	e.queueCall(c, true)
}

// unqueue takes a queued call out of its tier.
func (e *Engine) unqueue(c *call) {
	if c.state != callQueued || c.hidx < 0 {
		return
	}
	c.q.tiers[c.tier].calls.remove(c.hidx)
	c.q.waiting--
}
