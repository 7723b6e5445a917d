package calls

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/frontdoor-project/frontdoor/routing"
	"github.com/frontdoor-project/frontdoor/store"
)

// enqueue hands the call to the ACD.
func (s *Switchboard) enqueue(c *Call) {
	c.mu.Lock()
	rc := routing.Call{ID: c.ID, Queue: c.agency, Priority: c.priority, Attrs: callAttrs(c)}
	c.mu.Unlock()
	if err := s.submit(Input{Kind: routing.InputArrive, Call: &rc, CallID: rc.ID}); err != nil {
		// A cluster without quorum: queueing on stale state would break the
		// center's order, so the caller hears busy (finish tells the ACD
		// it left, in case the arrival landed after all).
		s.log.Error("call not queued", "call", c.ID, "err", err)
		c.mu.Lock()
		c.outcome = routing.OutcomeRejected
		c.mu.Unlock()
		c.post(callEvent{kind: evEnd, prompt: routing.PromptBusy})
	}
}

// callAttrs is what routing policy rules may look at. Callers hold c.mu.
func callAttrs(c *Call) map[string]string {
	a := map[string]string{"caller": c.From, "number": c.Number}
	if len(c.history) > 0 {
		a["transfer"] = "true"
	}
	if c.callback != nil {
		a["callback"] = "true"
	}
	if c.identity != nil {
		a["verified"] = "true"
		for k, v := range c.identity {
			a[k] = v
		}
	}
	return a
}

// callerLeft tells the ACD the caller hung up.
func (s *Switchboard) callerLeft(c *Call) {
	s.submitOrLog(Input{Kind: routing.InputCallerHangup, CallID: c.ID})
}

// agentLeft tells the ACD the agent hung up a connected call.
func (s *Switchboard) agentLeft(c *Call) {
	s.submitOrLog(Input{Kind: routing.InputAgentHangup, CallID: c.ID})
}

func offerKey(callID, agentID string) string { return callID + "/" + agentID }

// apply carries out the engine's decisions, in order. Callers hold s.mu; nothing
// here blocks: ringing and prompts happen on their own goroutines.
func (s *Switchboard) apply(acts []routing.Action) {
	for _, a := range acts {
		switch a.Kind {
		case routing.Offer:
			s.startOffer(a)
		case routing.CancelOffer:
			if cancel, ok := s.offers[offerKey(a.CallID, a.AgentID)]; ok {
				cancel()
				delete(s.offers, offerKey(a.CallID, a.AgentID))
			}
		case routing.EndCall:
			if c, ok := s.calls[a.CallID]; ok {
				c.post(callEvent{kind: evEnd, prompt: a.Prompt})
			}
		case routing.Announce:
			if c, ok := s.calls[a.CallID]; ok {
				c.post(callEvent{kind: evAnnounce, position: a.Position, ewt: a.EWT})
			}
		case routing.Play:
			if c, ok := s.calls[a.CallID]; ok && a.Prompt != "" {
				c.post(callEvent{kind: evAnnounce, prompt: a.Prompt})
			}
		case routing.Overflow:
			if c, ok := s.calls[a.CallID]; ok {
				c.mu.Lock()
				c.agency = a.Queue
				c.mu.Unlock()
			}
			s.recordOutcome(a.From, routing.OutcomeOverflowed)
		case routing.AgentState:
			s.agentStateChanged(a)
		case routing.Finished:
			s.callFinished(a)
		case routing.QueueLog:
			if s.cfg.QueueLog != nil {
				io.WriteString(s.cfg.QueueLog, a.Line+"\n")
			}
		}
	}
	s.poke()
}

func (s *Switchboard) recordOutcome(agency, outcome string) {
	if s.cfg.Metrics != nil && agency != "" {
		s.cfg.Metrics.CallFinished(agency, outcome)
	}
}

// callFinished records the ACD's verdict on a call; the CDR is written when the
// call's goroutine ends (legs torn down).
func (s *Switchboard) callFinished(a routing.Action) {
	c, ok := s.calls[a.CallID]
	if ok {
		c.mu.Lock()
		c.outcome = a.Outcome
		c.counted = true
		if a.Queue != "" {
			c.agency = a.Queue
		}
		c.mu.Unlock()
	}
	s.recordOutcome(a.Queue, a.Outcome)
	if s.cfg.Metrics != nil && a.Queue != "" && a.Outcome == routing.OutcomeAnswered {
		s.cfg.Metrics.ObserveTalk(a.Queue, a.Talk)
	}
}

func (s *Switchboard) agentStateChanged(a routing.Action) {
	s.agents.save(store.AgentRecord{ID: a.AgentID, State: string(a.State), Reason: a.Reason, Since: s.now()})
	s.publish("agent", s.agentStatus(a.AgentID))
}

// startOffer rings an agent on its own goroutine. Callers hold s.mu.
func (s *Switchboard) startOffer(a routing.Action) {
	c, ok := s.calls[a.CallID]
	if !ok {
		s.log.Error("offer for unknown call", "call", a.CallID)
		return
	}
	ctx, cancel := context.WithCancel(c.ctx)
	key := offerKey(a.CallID, a.AgentID)
	s.offers[key] = cancel
	c.mu.Lock()
	if err := c.to(StateRinging); err != nil {
		s.log.Warn("call state", "err", err)
	}
	o := Offer{CallID: c.ID, Agency: c.agency, From: c.From, Verified: c.identity != nil, Identity: c.identity, History: c.history,
		Waited: s.now().Sub(c.queuedAt).Seconds(), Codec: c.leg.Media().Codec()}
	if c.callback != nil {
		o.Callback = c.callback.Number
	}
	c.mu.Unlock()
	go s.ring(ctx, c, a.AgentID, key, o)
}

func (s *Switchboard) ring(ctx context.Context, c *Call, agentID, key string, o Offer) {
	leg, err := s.cfg.Dialer.Dial(ctx, agentID, o)
	s.mu.Lock()
	_, live := s.offers[key]
	delete(s.offers, key)
	s.mu.Unlock()
	if err != nil {
		if live {
			s.log.Info("agent did not take the call", "call", c.ID, "agent", agentID, "err", err)
			s.submitOrLog(Input{Kind: routing.InputDeclined, CallID: c.ID, AgentID: agentID})
		}
		return
	}
	if !live {
		// Withdrawn (ring timeout, caller gone, another agent won) just as it was answered.
		hangupAgent(leg)
		return
	}
	s.submitOrLog(Input{Kind: routing.InputAnswered, CallID: c.ID, AgentID: agentID})
	// The offer may have been withdrawn between the answer and the engine
	// taking it (a ring timeout ordered first): the engine then gave the
	// agent back and this leg is stale.
	s.mu.Lock()
	cs, found := s.eng.Call(c.ID)
	s.mu.Unlock()
	if !found || cs.State != "connected" || len(cs.Agents) != 1 || cs.Agents[0] != agentID {
		s.log.Info("answer came after the offer was withdrawn", "call", c.ID, "agent", agentID)
		hangupAgent(leg)
		return
	}
	if s.cfg.Metrics != nil {
		c.mu.Lock()
		agency, waited := c.agency, s.now().Sub(c.queuedAt)
		c.mu.Unlock()
		s.cfg.Metrics.ObserveWait(agency, waited)
	}
	c.post(callEvent{kind: evConnect, agentID: agentID, leg: leg})
}

// finish writes the CDR and forgets the call. It runs when the call's goroutine ends.
func (s *Switchboard) finish(c *Call) {
	c.mu.Lock()
	suspended := c.suspended
	c.mu.Unlock()
	if suspended {
		// Shutting down with a booked callback: it stays in the store, unfinished.
		s.mu.Lock()
		delete(s.calls, c.ID)
		s.mu.Unlock()
		return
	}
	c.hangup()
	c.mu.Lock()
	c.endedAt = s.now()
	inEngine := c.state == StateQueued || c.state == StateRinging || c.state == StateConnected
	c.mu.Unlock()
	if inEngine {
		// The goroutine ended without the engine's Finished (e.g. shutdown): make sure
		// the ACD lets go of the call. A finished call is unknown to it: no actions.
		s.callerLeft(c)
	}
	c.mu.Lock()
	if c.outcome == "" {
		c.outcome = routing.OutcomeAbandoned
	}
	cutOff := c.cutOff
	if cutOff {
		c.outcome = OutcomeCutOff
	}
	c.state = StateEnded
	cdr := cdrOf(c)
	// A call that ended before the ACD saw it (hang-up or refusal in the IVR)
	// still counts: under its agency if a legacy number named one, else "none".
	uncounted := !c.counted
	c.counted = true
	c.mu.Unlock()
	if uncounted && s.cfg.Metrics != nil {
		s.cfg.Metrics.CallFinished(cdr.Agency, cdr.Outcome)
	}
	c.cancel()
	s.mu.Lock()
	delete(s.calls, c.ID)
	s.mu.Unlock()
	switch err := s.cfg.Store.PutCDR(context.Background(), cdr); {
	case cutOff && errors.Is(err, store.ErrCDRExists):
		// The leader's cut-off sweep wrote it first: the same outcome.
		s.log.Info("cut-off call already recorded by the cluster's leader", "call", c.ID)
		s.forgetActive(c.ID)
	case err != nil:
		s.log.Error("store CDR", "call", c.ID, "err", err)
	default:
		s.forgetActive(c.ID) // recovery.go
	}
	s.publish("cdr", cdr)
}

// cdrOf builds the record of a finished call. Callers hold c.mu.
func cdrOf(c *Call) store.CDR {
	cdr := store.CDR{CallID: c.ID, StartedAt: c.startedAt, EndedAt: c.endedAt, Number: c.Number,
		Agency: c.agency, Agent: c.agent, Outcome: c.outcome, Identity: c.identity, Recording: c.recording, TransferredTo: c.transferredTo}
	if !c.queuedAt.IsZero() {
		end := c.endedAt
		if !c.answeredAt.IsZero() {
			end = c.answeredAt
		}
		cdr.WaitSeconds = end.Sub(c.queuedAt).Seconds()
	}
	if !c.answeredAt.IsZero() {
		at := c.answeredAt
		cdr.AnsweredAt = &at
		cdr.TalkSeconds = c.endedAt.Sub(c.answeredAt).Seconds()
	}
	return cdr
}

func (s *Switchboard) observeIdentity(method, result string) {
	if s.cfg.Metrics != nil {
		s.cfg.Metrics.IdentityVerification(method, result)
	}
}

// errorf keeps error text consistent across the package.
func errorf(format string, args ...any) error { return fmt.Errorf("calls: "+format, args...) }
