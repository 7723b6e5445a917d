package routing

import (
	"fmt"
	"slices"

	"github.com/frontdoor-project/frontdoor/agents"
)

// Not-ready reasons the engine sets itself.
const (
	ReasonRONA  = "rona"  // ring-no-answer policy
	ReasonLogin = "login" // just logged in, not yet ready
)

// Login: the agent registered (or its softphone connected). It starts
// not_ready (reason "login"). Logging in again changes nothing, except
// that it cancels a logout pending until the current call ends.
func (e *Engine) Login(agentID string) []Action {
	e.begin()
	a := e.agentIdx[agentID]
	if a == nil {
		return nil
	}
	if a.state != agents.LoggedOut {
		a.pendOut = false // back before its call ended: stays logged in
		return nil
	}
	a.misses, a.pendNR, a.pendOut = 0, false, false
	e.transition(a, agents.Login, ReasonLogin)
	e.memberLog(a, "ADDMEMBER", "")
	return e.finish()
}

// Logout: the agent is gone. A ringing offer is withdrawn (the call goes
// back to the head of its queue); a busy agent is logged out when its call
// ends.
func (e *Engine) Logout(agentID string) []Action {
	e.begin()
	a := e.agentIdx[agentID]
	if a == nil || a.state == agents.LoggedOut {
		return nil
	}
	if a.state == agents.Busy {
		a.pendOut = true
		return nil
	}
	e.unring(a)
	e.logout(a)
	return e.finish()
}

func (e *Engine) logout(a *agent) {
	e.schedule(&a.tm, 0)
	a.pendOut, a.pendNR = false, false
	e.transition(a, agents.Logout, "")
	e.memberLog(a, "REMOVEMEMBER", "")
	e.checkLeaveEmpty(a)
}

// unring takes a ringing agent off its offer without counting a miss; the
// call goes back to the head of its queue when nobody else rings for it.
func (e *Engine) unring(a *agent) {
	c := a.call
	if a.state != agents.Ringing || c == nil {
		return
	}
	e.emit(Action{Kind: CancelOffer, CallID: c.id, AgentID: a.id, Queue: c.q.cfg.ID})
	a.call = nil
	for i, x := range c.ringing {
		if x == a {
			c.ringing = append(c.ringing[:i], c.ringing[i+1:]...)
			break
		}
	}
	if len(c.ringing) == 0 {
		e.requeue(c)
	}
}

// loggedIn starts an input about an agent that must be logged in.
func (e *Engine) loggedIn(agentID string) (*agent, error) {
	e.begin()
	a := e.agentIdx[agentID]
	switch {
	case a == nil:
		return nil, fmt.Errorf("agent %q: %w", agentID, ErrUnknownAgent)
	case a.state == agents.LoggedOut:
		return nil, fmt.Errorf("agent %q: %w", agentID, ErrLoggedOut)
	}
	return a, nil
}

// SetReady: the agent wants calls. In wrap-up it ends after-call work
// early; while busy it cancels a pending not_ready; ringing changes nothing.
func (e *Engine) SetReady(agentID string) ([]Action, error) {
	a, err := e.loggedIn(agentID)
	if err != nil {
		return nil, err
	}
	a.pendNR = false
	switch a.state {
	case agents.NotReady:
		a.misses = 0
		e.transition(a, agents.SetReady, "")
		e.memberLog(a, "UNPAUSE", "")
	case agents.WrapUp:
		e.schedule(&a.tm, 0)
		e.transition(a, agents.SetReady, "")
	}
	return e.finish(), nil
}

// SetNotReady: the agent stops taking calls, for reason. Ringing: the
// offer is withdrawn (no miss counted); busy: it happens when the call
// ends; wrap-up: straight away.
func (e *Engine) SetNotReady(agentID, reason string) ([]Action, error) {
	a, err := e.loggedIn(agentID)
	if err != nil {
		return nil, err
	}
	switch a.state {
	case agents.Busy:
		a.pendNR, a.pendWhy = true, reason
		return nil, nil
	case agents.Ringing:
		e.unring(a)
		e.transition(a, agents.Decline, reason)
	default:
		e.schedule(&a.tm, 0)
		e.transition(a, agents.SetNotReady, reason)
	}
	e.memberLog(a, "PAUSE", reason)
	e.checkLeaveEmpty(a)
	return e.finish(), nil
}

// endWrapup ends after-call work: ready, or not_ready when asked for
// during the call.
func (e *Engine) endWrapup(a *agent) {
	e.schedule(&a.tm, 0)
	if a.pendNR {
		a.pendNR = false
		e.transition(a, agents.SetNotReady, a.pendWhy)
		e.memberLog(a, "PAUSE", a.pendWhy)
		e.checkLeaveEmpty(a)
		return
	}
	e.transition(a, agents.WrapupDone, "")
}

// memberLog writes one queue_log line per queue the agent has a skill in.
func (e *Engine) memberLog(a *agent, event, data string) {
	if e.noQlog {
		return
	}
	for i := range a.members {
		if m := &a.members[i]; m.level > 0 {
			e.qlog(m.q, "NONE", a.id, event, data)
		}
	}
}

// staffed says whether q meets an empty-queue policy.
func (q *queue) staffed(policy string) bool {
	switch policy {
	case EmptyLoggedIn:
		return q.counts[stateIndex(agents.LoggedOut)] < q.agentsTotal()
	case EmptyAvailable:
		return q.counts[stateIndex(agents.Ready)]+q.counts[stateIndex(agents.Ringing)]+
			q.counts[stateIndex(agents.Busy)]+q.counts[stateIndex(agents.WrapUp)] > 0
	}
	return true
}

func (q *queue) agentsTotal() int {
	n := 0
	for _, k := range q.counts {
		n += k
	}
	return n
}

// checkLeaveEmpty makes waiting calls leave the agent's queues that no
// longer meet their leave_empty policy: overflow if the target takes
// them, else rejected.
func (e *Engine) checkLeaveEmpty(a *agent) {
	for i := range a.members {
		q := a.members[i].q
		if a.members[i].level == 0 || q.cfg.LeaveEmpty == EmptyAllow || q.waiting == 0 || q.staffed(q.cfg.LeaveEmpty) {
			continue
		}
		var leaving []*call
		for ti := range q.tiers {
			leaving = append(leaving, q.tiers[ti].calls...)
		}
		slices.SortFunc(leaving, func(x, y *call) int {
			if x.before(y) {
				return -1
			}
			return 1
		})
		for _, c := range leaving {
			if q.overflow != nil {
				if ok, _, _ := e.accepts(q.overflow); ok {
					e.overflow(c, q.overflow)
					continue
				}
			}
			if !e.noQlog {
				e.qlog(q, c.id, "", "EXITEMPTY", itoa(e.position(c)), itoa(c.origPos), secs(e.now-c.enqueued))
			}
			e.unqueue(c)
			e.endCall(c, OutcomeRejected, PromptBusy)
		}
	}
}
