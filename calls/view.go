package calls

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/frontdoor-project/frontdoor/agents"
	"github.com/frontdoor-project/frontdoor/routing"
)

// AgentOnline logs an agent in: its phone registered or its softphone connected.
// It starts not_ready unless its last stored state was ready (a restart must not
// silently take ready agents out of service, nor put paused ones in).
func (s *Switchboard) AgentOnline(agentID string) {
	s.mu.Lock()
	s.home[agentID] = true // its state changes are this node's to persist
	s.mu.Unlock()
	s.submitOrLog(Input{Kind: routing.InputLogin, AgentID: agentID})
	s.resumeAgent(agentID) // back as before a restart (recovery.go)
}

// AgentOffline logs an agent out: registration expired or removed, softphone gone.
func (s *Switchboard) AgentOffline(agentID string) {
	s.submitOrLog(Input{Kind: routing.InputLogout, AgentID: agentID})
	s.mu.Lock()
	delete(s.home, agentID)
	s.mu.Unlock()
}

// SetAgentState implements View: ready, not_ready (reason) or logged_out.
func (s *Switchboard) SetAgentState(ctx context.Context, agentID, state, reason string) error {
	if s.cfg.Directory != nil {
		if _, ok := s.cfg.Directory.Name(agentID); !ok {
			return fmt.Errorf("%w: %q", ErrUnknownAgent, agentID)
		}
	}
	st, err := agents.ParseState(state)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadState, err)
	}
	if st == agents.NotReady && reason == "" {
		reason = "break"
	}
	if err := s.agentState(agentID, st, reason); err != nil {
		return fmt.Errorf("%w: %v", ErrBadState, err)
	}
	return nil
}

// Queues implements View.
func (s *Switchboard) Queues() []QueueStatus {
	s.mu.Lock()
	snaps := s.eng.Queues()
	s.mu.Unlock()
	out := make([]QueueStatus, 0, len(snaps))
	for _, q := range snaps {
		st := QueueStatus{Agency: q.ID, Name: s.agencies[q.ID].Name, Waiting: q.Waiting,
			OldestWaitSeconds: q.OldestWait.Seconds(), Agents: map[string]int{}, Offered: q.Offered,
			Answered: q.Answered, Abandoned: q.Abandoned, ServiceLevel: q.ServiceLevel,
			ServiceLevelSecs: int(q.ServiceLevelTime.Seconds()), ASASeconds: q.ASA.Seconds(),
			ServiceLevelGoal: q.ServiceLevelGoal, AverageHandleSeconds: q.AverageHandle.Seconds(), Open: q.Open}
		for _, state := range agents.States {
			st.Agents[string(state)] = q.Agents[state]
		}
		out = append(out, st)
	}
	return out
}

// Agents implements View.
func (s *Switchboard) Agents() []AgentStatus {
	s.mu.Lock()
	snaps := s.eng.Agents()
	s.mu.Unlock()
	out := make([]AgentStatus, 0, len(snaps))
	for _, a := range snaps {
		out = append(out, s.statusOf(a))
	}
	return out
}

// agentStatus is one agent's status for an event. Callers hold s.mu.
func (s *Switchboard) agentStatus(id string) AgentStatus {
	if a, ok := s.eng.Agent(id); ok {
		return s.statusOf(a)
	}
	return AgentStatus{ID: id}
}

func (s *Switchboard) statusOf(a routing.AgentSnapshot) AgentStatus {
	{
		st := AgentStatus{ID: a.ID, State: string(a.State), Reason: a.Reason, Since: a.Since,
			CurrentCall: a.CallID, Agency: a.Queue, CallsToday: a.CallsTaken}
		if st.Since.IsZero() {
			// Never logged in since start-up: logged out since then.
			st.Since = s.started
		}
		if s.cfg.Directory != nil {
			st.Name, _ = s.cfg.Directory.Name(a.ID)
			st.Role = s.cfg.Directory.Role(a.ID)
			st.Skills = s.cfg.Directory.Skills(a.ID)
		}
		return st
	}
}

// ActiveCalls is how many calls are in progress (metrics; no snapshots built).
func (s *Switchboard) ActiveCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

// Calls implements View.
func (s *Switchboard) Calls() []CallStatus {
	s.mu.Lock()
	list := make([]*Call, 0, len(s.calls))
	for _, c := range s.calls {
		list = append(list, c)
	}
	s.mu.Unlock()
	out := make([]CallStatus, 0, len(list))
	for _, c := range list {
		st := c.Status()
		st.Node = s.cfg.Node
		out = append(out, st)
	}
	if s.cfg.ACD != nil {
		out = append(out, s.remoteCalls()...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StartedAt.Before(out[j].StartedAt) })
	return out
}

var _ View = (*Switchboard)(nil)

// QueuePosition is a waiting call's place in its queue (1 = next) and the ACD's
// estimated wait, the same the IVR announces (known is false while nobody works
// the queue). ok is false when the call is not waiting. A call ringing an agent
// is next: position 1.
func (s *Switchboard) QueuePosition(callID string) (pos int, ewt time.Duration, known, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, found := s.eng.Call(callID)
	switch {
	case !found:
		return 0, 0, false, false
	case cs.State == "ringing":
		return 1, 0, true, true
	case cs.State != "queued":
		return 0, 0, false, false
	}
	return cs.Position, cs.EWT, cs.EWTKnown, true
}
