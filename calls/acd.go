package calls

import (
	"context"
	"fmt"
	"time"

	"github.com/frontdoor-project/frontdoor/agents"
	"github.com/frontdoor-project/frontdoor/routing"
)

// InputKind names one kind of engine input.
type InputKind string

// The engine's inputs, as a log of them carries them (JSON).
const (
	InArrive       InputKind = "arrive"
	InCallerHangup InputKind = "caller_hangup"
	InAgentHangup  InputKind = "agent_hangup"
	InUnreached    InputKind = "unreached"
	InAnswered     InputKind = "answered"
	InDeclined     InputKind = "declined"
	InLogin        InputKind = "login"
	InLogout       InputKind = "logout"
	InSetReady     InputKind = "set_ready"
	InSetNotReady  InputKind = "set_not_ready"
	InAdvance      InputKind = "advance"
)

// Input is one engine input, serialisable so a cluster can order inputs from
// every node in one log and every replica can replay them.
type Input struct {
	Kind    InputKind     `json:"kind"`
	At      time.Time     `json:"at"`
	Call    *routing.Call `json:"call,omitempty"`
	CallID  string        `json:"call_id,omitempty"`
	AgentID string        `json:"agent_id,omitempty"`
	Reason  string        `json:"reason,omitempty"`
}

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
		acts, err := applyInput(s.eng, in)
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
// (a hang-up, an arrival): the failure is logged.
func (s *Switchboard) submitOrLog(in Input) {
	if err := s.submit(in); err != nil {
		s.log.Error("acd input lost", "kind", in.Kind, "call", in.CallID, "agent", in.AgentID, "err", err)
	}
}

// applyInput gives one input to the local engine (the engine's clock tells the time).
func applyInput(eng *routing.Engine, in Input) ([]routing.Action, error) {
	switch in.Kind {
	case InArrive:
		if in.Call == nil {
			return nil, fmt.Errorf("arrive without a call")
		}
		return eng.Arrive(*in.Call), nil
	case InCallerHangup:
		return eng.CallerHangup(in.CallID), nil
	case InAgentHangup:
		return eng.AgentHangup(in.CallID), nil
	case InUnreached:
		return eng.Unreached(in.CallID), nil
	case InAnswered:
		return eng.Answered(in.CallID, in.AgentID), nil
	case InDeclined:
		return eng.Declined(in.CallID, in.AgentID), nil
	case InLogin:
		return eng.Login(in.AgentID), nil
	case InLogout:
		return eng.Logout(in.AgentID), nil
	case InSetReady:
		return eng.SetReady(in.AgentID)
	case InSetNotReady:
		return eng.SetNotReady(in.AgentID, in.Reason)
	case InAdvance:
		return eng.Advance(), nil
	}
	return nil, fmt.Errorf("unknown input kind %q", in.Kind)
}

// Applied carries out the actions the cluster's replica decided for one log
// entry that node origin submitted. Callers (the cluster ACD) hold s.mu, the
// Locker. Every node's views follow the shared engine; only the node holding
// a call's leg acts on it (rings agents, plays prompts, bridges, counts it),
// only an agent's home node persists its state, and the queue log line is
// written by the node whose input caused it.
func (s *Switchboard) Applied(origin string, acts []routing.Action) {
	mine := make([]routing.Action, 0, len(acts))
	for _, a := range acts {
		switch a.Kind {
		case routing.Offer, routing.EndCall, routing.Announce, routing.Play, routing.Overflow, routing.Finished:
			if _, held := s.calls[a.CallID]; !held {
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
}

// Locker is the lock the cluster's replica applies entries under, so views
// read the shared engine consistently.
func (s *Switchboard) Locker() interface {
	Lock()
	Unlock()
} {
	return &s.mu
}

// agentState asks the ACD for a state change the dashboard or a restart wants.
func (s *Switchboard) agentState(agentID string, st agents.State, reason string) error {
	switch st {
	case agents.Ready:
		return s.submit(Input{Kind: InSetReady, AgentID: agentID})
	case agents.NotReady:
		return s.submit(Input{Kind: InSetNotReady, AgentID: agentID, Reason: reason})
	case agents.LoggedOut:
		return s.submit(Input{Kind: InLogout, AgentID: agentID})
	}
	return fmt.Errorf("%q can only be ready, not_ready or logged_out", st)
}
