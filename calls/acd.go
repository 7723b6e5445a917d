package calls

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/frontdoor-project/frontdoor/agents"
	"github.com/frontdoor-project/frontdoor/routing"
)

// Input is one engine input as data (routing.Input): a cluster orders the
// inputs of every node in one log and every replica replays them.
type Input = routing.Input

// ACD is where the switchboard's engine inputs go when a cluster shares one
// center. Submit appends the input to the cluster's log and returns once this
// node's replica of the engine applied it, with the error the engine gave for
// it. The replica delivers every entry's actions, its own and other nodes', to
// Switchboard.Applied under the switchboard's lock (Locker), in log order.
// Submit is never called with the switchboard's lock held: the replica needs
// it to deliver the very entry Submit waits for.
//
// Without an ACD (Config.ACD nil) inputs go to Config.Engine at once, under
// the lock, and the switchboard fires the engine's timers itself.
type ACD interface {
	Submit(ctx context.Context, in Input) error
	// CallOwner is the node holding a call's leg ("" if unknown). Callers hold the lock.
	CallOwner(callID string) string
}

// submitTimeout bounds one input's trip through a cluster's log; the ACD fails
// faster when it knows it has no quorum.
const submitTimeout = 5 * time.Second

// submit hands one input to the ACD. Callers must not hold s.mu.
func (s *Switchboard) submit(in Input) error {
	in.At = s.now()
	if s.cfg.ACD == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		acts, err := s.eng.Apply(in)
		if err == nil {
			s.apply(acts)
		}
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), submitTimeout)
	defer cancel()
	if err := s.cfg.ACD.Submit(ctx, in); err != nil {
		return fmt.Errorf("acd %s: %w", in.Kind, err)
	}
	return nil
}

// submitOrLog is submit for inputs whose failure the caller cannot act on
// (a hang-up, an answer). A cluster that cannot take it now (no quorum) gets
// it again in the background until it does: every such input is idempotent
// in the engine (a second hang-up finds no call), so a first attempt that
// did land after all does no harm, and the shared engine never keeps a call
// or a busy agent that is gone.
func (s *Switchboard) submitOrLog(in Input) {
	err := s.submit(in)
	if err == nil || s.cfg.ACD == nil || engineRefused(err) {
		if err != nil {
			s.log.Error("acd input refused", "kind", in.Kind, "call", in.CallID, "agent", in.AgentID, "err", err)
		}
		return
	}
	s.log.Warn("acd input not taken; retrying in the background", "kind", in.Kind, "call", in.CallID, "agent", in.AgentID, "err", err)
	go s.resubmit(in)
}

// resubmitFor bounds how long an input is retried: past it the cluster has
// been without quorum so long that its operators restart it.
const resubmitFor = 10 * time.Minute

func (s *Switchboard) resubmit(in Input) {
	deadline := time.Now().Add(resubmitFor)
	for wait := time.Second; time.Now().Before(deadline); wait = min(2*wait, 10*time.Second) {
		time.Sleep(wait) // a retry pace, not synchronisation
		err := s.submit(in)
		if err == nil || engineRefused(err) {
			s.log.Info("acd input taken after retrying", "kind", in.Kind, "call", in.CallID, "agent", in.AgentID)
			return
		}
	}
	s.log.Error("acd input lost after retrying", "kind", in.Kind, "call", in.CallID, "agent", in.AgentID)
}

// engineRefused tells an engine's own answer from a failure to reach it.
func engineRefused(err error) bool {
	return errors.Is(err, routing.ErrBadInput) || errors.Is(err, routing.ErrLoggedOut) || errors.Is(err, routing.ErrUnknownAgent)
}

// Applied carries out the actions the cluster's replica decided for one log
// entry that node origin submitted. Callers (the cluster ACD) hold s.mu, the
// Locker. Every node's views follow the shared engine; only the node holding
// a call's leg acts on it (rings agents, plays prompts, bridges, counts it),
// only an agent's home node persists its state, and the queue log line is
// written by the node whose input caused it.
func (s *Switchboard) Applied(origin string, acts []routing.Action) {
	mine := make([]routing.Action, 0, len(acts))
	var ghosts []string
	for _, a := range acts {
		if a.CallID != "" && s.ghost(a.CallID) && !slices.Contains(ghosts, a.CallID) {
			ghosts = append(ghosts, a.CallID)
		}
		switch a.Kind {
		case routing.Offer, routing.EndCall, routing.Announce, routing.Play, routing.Overflow, routing.Finished:
			if _, held := s.calls[a.CallID]; !held {
				if a.Kind == routing.Offer || a.Kind == routing.Finished {
					s.publish("call", s.remoteStatus(a.CallID, a.Kind == routing.Finished))
				}
				continue
			}
		case routing.AgentState:
			if !s.home[a.AgentID] {
				s.publish("agent", s.agentStatus(a.AgentID)) // the dashboard shows the whole center
				continue
			}
		case routing.QueueLog:
			if origin != s.cfg.Node {
				continue
			}
		}
		mine = append(mine, a)
	}
	s.apply(mine)
	for _, id := range ghosts {
		s.log.Warn("cluster: a call of this node that it no longer holds is in the ACD; ending it there", "call", id)
		go s.submitOrLog(Input{Kind: routing.InputCallerHangup, CallID: id})
	}
}

// ghost says whether callID is this node's call in the shared engine that
// the node does not hold: an arrival that landed after the node gave up on
// the call (its Submit timed out, the caller heard busy, and the hang-up it
// sent then went in first, one node's Puts being concurrent). Nobody would
// ever ring for it or end it. Callers hold s.mu.
func (s *Switchboard) ghost(callID string) bool {
	if s.cfg.ACD == nil || s.cfg.ACD.CallOwner(callID) != s.cfg.Node {
		return false
	}
	if _, held := s.calls[callID]; held {
		return false
	}
	_, live := s.eng.Call(callID)
	return live
}

// agentState asks the ACD for a state change the dashboard or a restart wants.
func (s *Switchboard) agentState(agentID string, st agents.State, reason string) error {
	switch st {
	case agents.Ready:
		return s.submit(Input{Kind: routing.InputSetReady, AgentID: agentID})
	case agents.NotReady:
		return s.submit(Input{Kind: routing.InputSetNotReady, AgentID: agentID, Reason: reason})
	case agents.LoggedOut:
		return s.submit(Input{Kind: routing.InputLogout, AgentID: agentID})
	}
	return fmt.Errorf("%q can only be ready, not_ready or logged_out", st)
}
