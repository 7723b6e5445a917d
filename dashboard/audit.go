package dashboard

import (
	"context"
	"errors"
	"time"

	"github.com/frontdoor-project/frontdoor/calls"
)

// AuditKindAgentState is the kind of the record a supervisor's (or the
// admin token's) change of an agent's state leaves.
const AuditKindAgentState = "supervisor.agent_state"

// adminActor names the admin token in audit records: it has no agent id.
const adminActor = "admin-token"

// AuditEntry is one supervisor action for the audit log.
type AuditEntry struct {
	Time   time.Time
	Kind   string // AuditKindAgentState
	Actor  string // the supervisor's id, or "admin-token"
	Agent  string // whose state
	State  string // asked for: ready, not_ready, logged_out
	Reason string
	Result string // "ok", or the refusal: unknown_agent, state_conflict, internal
	Detail string // the core's words when it refused
}

// audit records a supervisor's state change, refused ones too: who tried
// to pause whom is as telling as who did. A failing audit log is logged
// loudly; the change itself has already happened and is not undone.
func (s *Server) audit(ctx context.Context, p principal, agent string, req stateRequest, err error) {
	if s.cfg.Audit == nil {
		return
	}
	e := AuditEntry{Time: s.clock.Now().UTC(), Kind: AuditKindAgentState, Actor: p.ID, Agent: agent,
		State: req.State, Reason: req.Reason, Result: "ok"}
	if e.Actor == "" {
		e.Actor = adminActor
	}
	switch {
	case err == nil:
	case errors.Is(err, calls.ErrUnknownAgent):
		e.Result = "unknown_agent"
	case errors.Is(err, calls.ErrBadState):
		e.Result, e.Detail = "state_conflict", err.Error()
	default:
		e.Result, e.Detail = "internal", err.Error()
	}
	if aerr := s.cfg.Audit(context.WithoutCancel(ctx), e); aerr != nil {
		s.log.Error("audit: supervisor action not recorded", "actor", e.Actor, "agent", agent, "state", req.State, "err", aerr)
	}
}
