package routing

import (
	"time"

	"github.com/frontdoor-project/frontdoor/agents"
)

// schedule sets (at > 0) or clears (at == 0) a timer.
func (e *Engine) schedule(t *timer, at int64) {
	if at == 0 {
		if t.idx >= 0 {
			e.timers.remove(t.idx)
		}
		t.at = 0
		return
	}
	e.seq++
	t.at, t.seq = at, e.seq
	if t.idx >= 0 {
		e.timers.fix(t.idx)
	} else {
		e.timers.push(t)
	}
}

// scheduleCall sets a call's timer to its next deadline: the ring timeout
// while ringing; while queued the earliest of max wait, overflow, the next
// widening step, the next announcement and the next message.
func (e *Engine) scheduleCall(c *call) {
	var at int64
	soonest := func(t int64) {
		if t > 0 && (at == 0 || t < at) {
			at = t
		}
	}
	cfg := &c.q.cfg
	switch c.state {
	case callRinging:
		at = c.ringStart + int64(cfg.RingTimeout)
	case callQueued:
		if cfg.MaxWait > 0 {
			soonest(c.enqueued + int64(cfg.MaxWait))
		}
		if c.q.overflow != nil && cfg.OverflowAfter > 0 && !c.overDone {
			soonest(c.enqueued + int64(cfg.OverflowAfter))
		}
		if c.tier+1 < len(c.q.tiers) {
			soonest(c.enqueued + c.q.tiers[c.tier+1].after)
		}
		soonest(c.nextAnn)
		soonest(c.nextMsg)
	}
	e.schedule(&c.tm, at)
}

// NextDeadline is when Advance next has work, if ever.
func (e *Engine) NextDeadline() (time.Time, bool) {
	if len(e.timers) == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, e.timers[0].at), true
}

// Advance fires every timer due at clock.Now(): ring timeouts, wrap-up
// ends, max wait, overflow, skill widening, announcements, messages.
func (e *Engine) Advance() []Action {
	e.begin()
	for len(e.timers) > 0 && e.timers[0].at <= e.now {
		t := e.timers[0]
		e.timers.remove(0)
		t.at = 0
		if t.c != nil {
			e.callTimer(t.c)
		} else {
			e.agentTimer(t.a)
		}
		e.dispatch()
	}
	return e.finish()
}

func (e *Engine) agentTimer(a *agent) {
	if a.state == agents.WrapUp {
		e.endWrapup(a)
	}
}

func (e *Engine) callTimer(c *call) {
	switch c.state {
	case callRinging:
		e.ringTimeout(c)
		return
	case callQueued:
	default:
		return
	}
	cfg := &c.q.cfg
	waited := e.now - c.enqueued
	if cfg.MaxWait > 0 && waited >= int64(cfg.MaxWait) {
		if !e.noQlog {
			e.qlog(c.q, c.id, "", "EXITWITHTIMEOUT", itoa(e.position(c)), itoa(c.origPos), secs(waited))
		}
		e.unqueue(c)
		e.endCall(c, OutcomeTimeout, PromptTimeout)
		return
	}
	if c.q.overflow != nil && cfg.OverflowAfter > 0 && !c.overDone && waited >= int64(cfg.OverflowAfter) {
		c.overDone = true
		if ok, _, _ := e.accepts(c.q.overflow); ok {
			e.overflow(c, c.q.overflow)
			return
		}
	}
	for c.tier+1 < len(c.q.tiers) && waited >= c.q.tiers[c.tier+1].after {
		e.unqueue(c)
		c.tier++
		c.q.tiers[c.tier].calls.push(c)
		c.q.waiting++
		e.pendC = append(e.pendC, c)
	}
	// A widened call may meet an agent now; only a call still waiting
	// afterwards hears announcements.
	e.dispatch()
	if c.state != callQueued {
		return
	}
	if c.nextAnn > 0 && e.now >= c.nextAnn {
		e.announce(c)
	}
	if c.nextMsg > 0 && e.now >= c.nextMsg {
		e.emit(Action{Kind: Play, CallID: c.id, Queue: c.q.cfg.ID, Prompt: cfg.MessagePrompt})
		c.nextMsg = e.now + int64(cfg.MessageEvery)
	}
	e.scheduleCall(c)
}

// announce tells a waiting call its position and expected wait, and sets
// the next announcement.
func (e *Engine) announce(c *call) {
	every := c.q.cfg.AnnounceEvery
	if every <= 0 {
		return
	}
	pos := e.position(c)
	e.emit(Action{Kind: Announce, CallID: c.id, Queue: c.q.cfg.ID, Position: pos, EWT: e.ewt(c.q, pos)})
	c.nextAnn = e.now + int64(every)
	e.scheduleCall(c)
}
