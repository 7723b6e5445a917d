package calls

import (
	"context"
	"time"

	"github.com/frontdoor-project/frontdoor/routing"
)

// In a cluster the views show the whole center: the shared engine knows every
// queued, ringing and connected call; the store's calls in progress (written
// by each node before it answers) add the calls still in another node's IVR
// and tell who called.

// storeReadTimeout bounds the store read behind one /api/v1/calls.
const storeReadTimeout = 2 * time.Second

// remoteStatus is a call another node holds, as the shared engine sees it.
// Callers hold s.mu.
func (s *Switchboard) remoteStatus(callID string, ended bool) CallStatus {
	st := CallStatus{ID: callID, State: string(StateEnded), Node: s.cfg.ACD.CallOwner(callID)}
	if cs, ok := s.eng.Call(callID); ok && !ended {
		s.fillFromEngine(&st, cs)
	}
	return st
}

func (s *Switchboard) fillFromEngine(st *CallStatus, cs routing.CallSnapshot) {
	st.Agency, st.State = cs.Queue, cs.State
	if st.StartedAt.IsZero() {
		st.StartedAt = cs.Arrived
	}
	q := cs.Arrived
	st.QueuedAt = &q
	if cs.State == "connected" && len(cs.Agents) == 1 {
		st.Agent = cs.Agents[0]
	}
}

// remoteCalls are the calls other nodes of the cluster hold.
func (s *Switchboard) remoteCalls() []CallStatus {
	byID := map[string]*CallStatus{}
	ctx, cancel := context.WithTimeout(context.Background(), storeReadTimeout)
	defer cancel()
	active, err := s.cfg.Store.ActiveCalls(ctx)
	if err != nil {
		s.log.Warn("calls view: other nodes' calls in the IVR not shown", "err", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range active {
		if _, mine := s.calls[a.CallID]; mine || a.Node == s.cfg.Node {
			continue
		}
		byID[a.CallID] = &CallStatus{ID: a.CallID, Number: a.Number, From: a.From, Agency: a.Agency,
			State: string(StateIVR), StartedAt: a.StartedAt, Node: a.Node}
	}
	for _, cs := range s.eng.Calls() {
		if _, mine := s.calls[cs.ID]; mine {
			continue
		}
		st, ok := byID[cs.ID]
		if !ok {
			st = &CallStatus{ID: cs.ID, Node: s.cfg.ACD.CallOwner(cs.ID)}
			byID[cs.ID] = st
		}
		s.fillFromEngine(st, cs)
	}
	out := make([]CallStatus, 0, len(byID))
	for _, st := range byID {
		out = append(out, *st)
	}
	return out
}
