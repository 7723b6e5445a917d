package routing

import (
	"slices"

	"github.com/frontdoor-project/frontdoor/agents"
)

// Call is a caller asking to join a queue.
type Call struct {
	ID       string
	Queue    string
	Priority int               // base priority; rules may raise it
	Attrs    map[string]string // identity claims and call facts for priority rules ("caller" = number)
}

// Arrive puts a new call into its queue (or refuses it: closed, full,
// empty, unknown queue). A repeated call id is ignored.
func (e *Engine) Arrive(in Call) []Action {
	e.begin()
	if in.ID == "" || e.calls[in.ID] != nil {
		return nil
	}
	c := &call{id: in.ID, caller: in.Attrs[callerAttr], attrs: in.Attrs, basePrio: in.Priority, arrived: e.now, hidx: -1, tm: timer{idx: -1}}
	c.tm.c = c
	e.calls[c.id] = c
	q := e.queueIdx[in.Queue]
	if q == nil {
		c.q = &queue{cfg: QueueConfig{ID: in.Queue}}
		e.endCall(c, OutcomeRejected, PromptBusy)
		return e.finish()
	}
	e.enter(c, q)
	return e.finish()
}

// accepts says whether q takes a new call now, and if not why.
func (e *Engine) accepts(q *queue) (ok bool, outcome, prompt string) {
	switch {
	case !q.cfg.Hours.Open(timeOf(e.now)):
		return false, OutcomeClosed, PromptClosed
	case !q.staffed(q.cfg.JoinEmpty):
		return false, OutcomeRejected, PromptBusy
	case q.cfg.MaxWaiting > 0 && q.waiting >= q.cfg.MaxWaiting:
		return false, OutcomeRejected, PromptBusy
	}
	return true, "", ""
}

// enter queues c in q, or refuses it there.
func (e *Engine) enter(c *call, q *queue) {
	q.stats.roll(q, e.now).offered++ // presented, whether it may stay or not
	if ok, outcome, prompt := e.accepts(q); !ok {
		if outcome != OutcomeClosed && q.overflow != nil && c.hops < maxOverflowHops {
			c.q = q
			e.overflow(c, q.overflow)
			return
		}
		c.q = q
		e.endCall(c, outcome, prompt)
		return
	}
	cfg := &q.cfg
	c.q, c.enqueued, c.tier, c.overDone = q, e.now, 0, false
	c.priority = priorityOf(cfg, c.basePrio, c.attrs, timeOf(e.now))
	c.score = c.arrived - int64(c.priority)*int64(cfg.PriorityStep)
	e.seq++
	c.seq = e.seq
	c.nextAnn, c.nextMsg = 0, 0
	if cfg.MessageEvery > 0 {
		c.nextMsg = e.now + int64(cfg.MessageEvery)
	}
	e.queueCall(c, false)
	c.origPos = q.waiting
	e.qlog(q, c.id, "", "ENTERQUEUE", "", c.caller)
	if cfg.AnnounceEvery > 0 {
		e.pendAnn = append(e.pendAnn, c)
	}
}

// overflow moves c to queue to; the old queue counts it "overflowed".
func (e *Engine) overflow(c *call, to *queue) {
	from := c.q
	if c.state == callQueued && c.hidx >= 0 {
		held := e.now - c.enqueued
		e.qlog(from, c.id, "", "TRANSFER", to.cfg.ID, "overflow", secs(held), "0", itoa(c.origPos))
		e.unqueue(c)
		c.waited += held
	}
	c.state = 0
	from.stats.roll(from, e.now).overflowed++
	c.hops++
	e.emit(Action{Kind: Overflow, CallID: c.id, Queue: to.cfg.ID, From: from.cfg.ID, Outcome: OutcomeOverflowed, Wait: dur(c.waited)})
	e.enter(c, to)
}

// endCall ends a call the engine gave up on: the call path plays prompt
// and hangs up.
func (e *Engine) endCall(c *call, outcome, prompt string) {
	st := c.q.stats.roll(c.q, e.now)
	switch outcome {
	case OutcomeTimeout:
		st.timeout++
	case OutcomeClosed:
		st.closed++
	default:
		st.rejected++
	}
	e.emit(Action{Kind: EndCall, CallID: c.id, Queue: c.q.cfg.ID, Outcome: outcome, Prompt: prompt})
	e.finishCall(c, outcome)
}

// finishCall removes the call and reports its one terminal outcome.
func (e *Engine) finishCall(c *call, outcome string) {
	wait, talk := c.waited, int64(0)
	switch c.state {
	case callQueued, callRinging:
		wait += e.now - c.enqueued
	case callConnected:
		wait += c.answered - c.enqueued
		talk = e.now - c.answered
	}
	a := Action{Kind: Finished, CallID: c.id, Queue: c.q.cfg.ID, Outcome: outcome, Wait: dur(wait), Talk: dur(talk)}
	if c.agent != nil {
		a.AgentID = c.agent.id
	}
	e.schedule(&c.tm, 0)
	c.state = 0
	delete(e.calls, c.id)
	e.emit(a)
}

// CallerHangup: the caller left. Queued or ringing: abandoned (offers are
// cancelled); connected: answered, the agent goes to wrap-up.
func (e *Engine) CallerHangup(callID string) []Action {
	e.begin()
	c := e.calls[callID]
	if c == nil {
		return nil
	}
	switch c.state {
	case callConnected:
		e.endConnected(c, "COMPLETECALLER")
	default:
		if !e.noQlog { // position walks the queue
			e.qlog(c.q, c.id, "", "ABANDON", itoa(e.position(c)), itoa(c.origPos), secs(e.now-c.enqueued))
		}
		e.withdraw(c, nil)
		e.unqueue(c)
		c.q.stats.roll(c.q, e.now).abandoned++
		e.finishCall(c, OutcomeAbandoned)
	}
	return e.finish()
}

// AgentHangup: the agent ended a connected call (outcome answered).
func (e *Engine) AgentHangup(callID string) []Action {
	e.begin()
	if c := e.calls[callID]; c != nil && c.state == callConnected {
		e.endConnected(c, "COMPLETEAGENT")
	}
	return e.finish()
}

// Unreached: the agent took a callback but the citizen could not be reached (no
// answer, busy, failure). The agent is released as after a call (wrap-up), and
// the attempt leaves the engine as abandoned; a retry arrives as a new call.
func (e *Engine) Unreached(callID string) []Action {
	e.begin()
	if c := e.calls[callID]; c != nil && c.state == callConnected {
		e.endConnectedAs(c, "COMPLETEAGENT", OutcomeAbandoned)
	}
	return e.finish()
}

// withdraw cancels the offers of a ringing call, except to keep; the
// agents are ready again (they did nothing wrong).
func (e *Engine) withdraw(c *call, keep *agent) {
	if c.state != callRinging {
		return
	}
	for _, a := range c.ringing {
		if a == keep {
			continue
		}
		e.emit(Action{Kind: CancelOffer, CallID: c.id, AgentID: a.id, Queue: c.q.cfg.ID})
		a.call = nil
		e.transition(a, agents.Hangup, "")
	}
	c.ringing = nil
}

// Answered: agentID picked up callID. An answer to an offer the engine no
// longer holds (withdrawn, timed out) gets a CancelOffer back: hang that
// agent leg up.
func (e *Engine) Answered(callID, agentID string) []Action {
	e.begin()
	c, a := e.calls[callID], e.agentIdx[agentID]
	if c == nil || a == nil || c.state != callRinging || a.call != c {
		if c == nil || c.agent != a || a == nil {
			e.emit(Action{Kind: CancelOffer, CallID: callID, AgentID: agentID})
		}
		return e.finish()
	}
	e.withdraw(c, a)
	q := c.q
	c.state, c.agent, c.answered = callConnected, a, e.now
	e.schedule(&c.tm, 0)
	a.misses = 0
	a.taken++
	e.transition(a, agents.Answer, "")
	held := e.now - c.enqueued
	st := q.stats.roll(q, e.now)
	st.answered++
	st.waitSum += c.waited + held
	if c.waited+held <= int64(q.cfg.ServiceLevel) {
		st.withinSL++
	}
	e.qlog(q, c.id, a.id, "CONNECT", secs(held), c.id, secs(e.now-c.ringStart))
	return e.finish()
}

// Declined: the agent's leg refused or failed before answering. It counts
// as a ring-no-answer for that agent; the call goes back to the head of
// its queue once nobody rings for it.
func (e *Engine) Declined(callID, agentID string) []Action {
	e.begin()
	c, a := e.calls[callID], e.agentIdx[agentID]
	if c == nil || a == nil || c.state != callRinging || a.call != c {
		return nil
	}
	e.qlog(c.q, c.id, a.id, "RINGNOANSWER", itoa(int((e.now-c.ringStart)/1e6)))
	c.ringing = slices.DeleteFunc(c.ringing, func(x *agent) bool { return x == a })
	e.miss(a, c.q, agents.Decline)
	if len(c.ringing) == 0 {
		e.requeue(c)
	}
	return e.finish()
}

// ringTimeout: nobody answered in time.
func (e *Engine) ringTimeout(c *call) {
	for _, a := range c.ringing {
		e.emit(Action{Kind: CancelOffer, CallID: c.id, AgentID: a.id, Queue: c.q.cfg.ID})
		e.qlog(c.q, c.id, a.id, "RINGNOANSWER", itoa(int((e.now-c.ringStart)/1e6)))
		e.miss(a, c.q, agents.RingTimeout)
	}
	e.requeue(c)
}

// miss applies the ring-no-answer policy: after RonaMisses misses in a row
// the agent goes not_ready (reason rona); before that it is ready again.
func (e *Engine) miss(a *agent, q *queue, ev agents.Event) {
	a.call = nil
	a.misses++
	if a.misses >= q.cfg.RonaMisses {
		e.transition(a, ev, ReasonRONA)
		e.qlog(q, "NONE", a.id, "PAUSE", ReasonRONA)
		e.checkLeaveEmpty(a)
		return
	}
	e.transition(a, agents.Hangup, "")
}

// endConnected ends a connected call (answered); the agent goes to wrap-up.
func (e *Engine) endConnected(c *call, event string) {
	e.endConnectedAs(c, event, OutcomeAnswered)
}

// endConnectedAs releases a connected call's agent as after a call and lets the
// call leave with outcome.
func (e *Engine) endConnectedAs(c *call, event, outcome string) {
	a, q := c.agent, c.q
	talk := e.now - c.answered
	a.talk += talk
	e.qlog(q, c.id, a.id, event, secs(c.answered-c.enqueued), secs(talk), itoa(c.origPos))
	if outcome == OutcomeAnswered {
		q.handle.add(talk + int64(q.cfg.Wrapup))
	}
	e.finishCall(c, outcome)
	a.call = nil
	e.transition(a, agents.Hangup, "")
	switch {
	case a.pendOut:
		e.logout(a)
	case q.cfg.Wrapup <= 0:
		e.endWrapup(a)
	default:
		e.schedule(&a.tm, e.now+int64(q.cfg.Wrapup))
	}
}

// position is the call's place in its queue, 1 = next.
func (e *Engine) position(c *call) int {
	if c.state != callQueued {
		return 1
	}
	n := 1
	for ti := range c.q.tiers {
		for _, d := range c.q.tiers[ti].calls {
			if d.before(c) {
				n++
			}
		}
	}
	return n
}
