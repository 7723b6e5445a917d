package calls

import (
	"context"
	"time"

	"github.com/frontdoor-project/frontdoor/store"
)

// ResumeCallbacks brings back the callbacks booked before a restart. One node
// alone resumes them all. In a cluster a node resumes its own (Node its id)
// and those booked before callbacks named a node, each claimed first: the
// leader may be taking them over at this moment (it saw the node absent),
// and the claim gives each to one of the two. Other nodes' callbacks are left
// alone: their node is alive and waits with them, or the leader takes them
// over once it is gone (cluster/center's Takeovers).
func (s *Switchboard) ResumeCallbacks(ctx context.Context) error {
	if s.cfg.Callback.Dialer == nil {
		return nil
	}
	recs, err := s.cfg.Store.Callbacks(ctx)
	if err != nil {
		return errorf("resume callbacks: %w", err)
	}
	for _, rec := range recs {
		if s.cfg.Node != "" {
			if rec.Node != "" && rec.Node != s.cfg.Node {
				continue
			}
			claimed, ok, err := s.cfg.Store.ClaimCallback(ctx, rec, s.cfg.Node)
			if err != nil {
				s.log.Error("callback not resumed", "call", rec.CallID, "err", err)
				continue
			}
			if !ok {
				s.log.Info("callback taken over by another node meanwhile", "call", rec.CallID)
				continue
			}
			rec = claimed
		}
		if !s.ResumeCallback(rec) {
			s.log.Warn("callback not resumed: the call is still in progress", "call", rec.CallID)
		}
	}
	return nil
}

// CanResumeCallback says whether ResumeCallback would take the call up now:
// callbacks are on, this node is not draining and does not hold the call,
// and the shared engine no longer has it (in a cluster, the lost node's
// node_lost entry has been applied).
func (s *Switchboard) CanResumeCallback(callID string) bool {
	if s.cfg.Callback.Dialer == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resumable(callID)
}

// resumable: callers hold s.mu.
func (s *Switchboard) resumable(callID string) bool {
	_, held := s.calls[callID]
	_, inEngine := s.eng.Call(callID)
	return !s.closed && !held && !inEngine
}

// ResumeCallback takes up one stored callback on this node (in a cluster the
// record must be this node's: Node). It keeps the record's schedule: the call
// joins its queue at once, or when its next attempt is due (NextAt), with the
// attempts made so far (Attempts). The wait in the queue before is not kept:
// the queue lost it with the node. It returns false when CanResumeCallback
// says no.
func (s *Switchboard) ResumeCallback(rec store.Callback) bool {
	if s.cfg.Callback.Dialer == nil {
		return false
	}
	cctx, cancel := context.WithCancel(context.Background())
	c := &Call{ID: rec.CallID, Number: rec.Dialled, From: rec.Number, sb: s, leg: goneLeg{done: closedChan},
		keys: newKeyBuffer(), events: make(chan callEvent, 16), ctx: cctx, cancel: cancel,
		state: StateIVR, agency: rec.Agency, identity: rec.Identity, startedAt: rec.StartedAt, callback: &rec}
	s.mu.Lock()
	if !s.resumable(rec.CallID) {
		s.mu.Unlock()
		cancel()
		return false
	}
	s.calls[c.ID] = c
	s.wg.Add(1)
	s.mu.Unlock()
	s.log.Info("callback resumed", "call", c.ID, "agency", c.agency, "attempts", rec.Attempts, "next_at", rec.NextAt)
	go func() {
		defer s.wg.Done()
		defer s.finish(c)
		if wait := time.Until(rec.NextAt); wait > 0 {
			select {
			case <-time.After(wait):
			case <-cctx.Done():
				return
			}
		}
		c.mu.Lock()
		c.queuedAt = s.now()
		c.mu.Unlock()
		c.setState(StateQueued)
		s.enqueue(c)
		c.waitCallback(cctx)
	}()
	return true
}
