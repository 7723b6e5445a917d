package calls

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/frontdoor-project/frontdoor/agents"
	"github.com/frontdoor-project/frontdoor/store"
)

// OutcomeCutOff is the CDR outcome of a call that was in progress when the node
// died (kill -9, power loss): found in the store's active calls at start-up. It
// is a CDR outcome only, never a metrics outcome: the contract's
// frontdoor_calls_total outcomes describe calls the node saw end.
const OutcomeCutOff = "cut_off"

// recoveryTimeout bounds the start-up reading of what a crash left behind.
const recoveryTimeout = 30 * time.Second

// resumeStates holds agents' last stored states, read at start-up, so an agent
// whose phone's registration is restored comes back ready (or paused with its
// reason) as before the restart, not always not_ready. Each is used once.
type resumeStates struct {
	mu    sync.Mutex
	by    map[string]store.AgentRecord
	until time.Time // logins after it are new ones: they start not_ready
}

// resumeWindow is how long after start-up a login counts as coming back:
// restored registrations log in at once; a phone registering later is a new login.
const resumeWindow = time.Minute

// take returns and forgets agentID's stored state.
func (r *resumeStates) take(agentID string) (store.AgentRecord, bool) {
	if r == nil {
		return store.AgentRecord{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rec, ok := r.by[agentID]
	delete(r.by, agentID)
	return rec, ok && time.Now().Before(r.until)
}

// recoverFromStore runs once, before any call: calls the last run left in
// progress become CDRs with outcome cut_off, and agents' states are kept to
// resume when they log in again.
func (s *Switchboard) recoverFromStore() {
	ctx, cancel := context.WithTimeout(context.Background(), recoveryTimeout)
	defer cancel()
	s.resume = &resumeStates{by: map[string]store.AgentRecord{}, until: time.Now().Add(resumeWindow)}
	if recs, err := s.cfg.Store.Agents(ctx); err != nil {
		s.log.Error("recovery: reading agent states", "err", err)
	} else {
		for _, r := range recs {
			s.resume.by[r.ID] = r
		}
	}
	active, err := s.cfg.Store.ActiveCalls(ctx)
	if err != nil {
		s.log.Error("recovery: reading calls in progress", "err", err)
		return
	}
	if len(active) == 0 {
		return
	}
	since := active[0].StartedAt
	for _, a := range active {
		if a.StartedAt.Before(since) {
			since = a.StartedAt
		}
	}
	written := map[string]bool{}
	if cdrs, err := s.cfg.Store.CDRs(ctx, since); err == nil {
		for _, c := range cdrs {
			written[c.CallID] = true
		}
	}
	now := s.now()
	for _, a := range active {
		if a.Node != s.cfg.Node {
			continue // another node's call: the cluster's leader answers for it
		}
		// A CDR already written means the node died between writing it and
		// forgetting the call: the call did finish.
		if !written[a.CallID] {
			cdr := a.CutOffCDR(now, OutcomeCutOff)
			if err := s.cfg.Store.PutCDR(ctx, cdr); err != nil && !errors.Is(err, store.ErrCDRExists) {
				s.log.Error("recovery: CDR of a cut-off call", "call", a.CallID, "err", err)
				continue
			}
			s.log.Warn("recovery: call was in progress when the node stopped; recorded as cut off", "call", a.CallID, "started_at", a.StartedAt)
		}
		if err := s.cfg.Store.DeleteActiveCall(ctx, a.CallID); err != nil {
			s.log.Error("recovery: forgetting a cut-off call", "call", a.CallID, "err", err)
		}
	}
}

// recordActive leaves a trace of a call in the store before it is answered, so
// a crash cannot make it vanish. Durable when it returns.
func (s *Switchboard) recordActive(c *Call) {
	a := store.ActiveCall{CallID: c.ID, Number: c.Number, From: c.From, Agency: c.agency, StartedAt: c.startedAt, Node: s.cfg.Node}
	if err := s.cfg.Store.PutActiveCall(context.Background(), a); err != nil {
		s.log.Error("store call in progress", "call", c.ID, "err", err)
	}
}

// recordAnswered writes the call's trace again with its agent and times, so
// a crash during the talk still leaves a CDR that names the agent.
func (s *Switchboard) recordAnswered(c *Call) {
	c.mu.Lock()
	a := store.ActiveCall{CallID: c.ID, Number: c.Number, From: c.From, Agency: c.agency, StartedAt: c.startedAt,
		Node: s.cfg.Node, Agent: c.agent}
	if !c.queuedAt.IsZero() {
		q := c.queuedAt
		a.QueuedAt = &q
	}
	if !c.answeredAt.IsZero() {
		at := c.answeredAt
		a.AnsweredAt = &at
	}
	done := !c.endedAt.IsZero()
	c.mu.Unlock()
	if done {
		return // the CDR is written (or being written): no trace to refresh
	}
	if err := s.cfg.Store.PutActiveCall(context.Background(), a); err != nil {
		s.log.Error("store answered call in progress", "call", c.ID, "err", err)
	}
}

// forgetActive removes the trace once the call's CDR is written.
func (s *Switchboard) forgetActive(callID string) {
	if err := s.cfg.Store.DeleteActiveCall(context.Background(), callID); err != nil {
		s.log.Error("store: forget finished call", "call", callID, "err", err)
	}
}

// resumeAgent puts an agent who logs in again after a restart back in the state
// it had: ready if it was taking calls (ready, ringing, busy, wrap-up: the
// calls themselves were cut off), not_ready with its reason if it was paused.
// Callers must not hold s.mu.
func (s *Switchboard) resumeAgent(agentID string) {
	rec, ok := s.resume.take(agentID)
	if !ok {
		return
	}
	switch agents.State(rec.State) {
	case agents.Ready, agents.Ringing, agents.Busy, agents.WrapUp:
		s.agentState(agentID, agents.Ready, "")
	case agents.NotReady:
		if rec.Reason != "" {
			s.agentState(agentID, agents.NotReady, rec.Reason)
		}
	}
}
