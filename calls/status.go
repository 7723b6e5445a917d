package calls

import (
	"context"
	"time"
)

// QueueStatus is one agency's live queue figures (GET /api/v1/queues).
type QueueStatus struct {
	Agency            string         `json:"agency"`
	Name              string         `json:"name"`
	Waiting           int            `json:"waiting"`
	OldestWaitSeconds float64        `json:"oldest_wait_seconds"`
	Agents            map[string]int `json:"agents"` // count by state, every state present
	Offered           int            `json:"offered"`
	Answered          int            `json:"answered"`
	Abandoned         int            `json:"abandoned"`
	ServiceLevel      float64        `json:"service_level"` // 0..1, today
	ServiceLevelSecs  int            `json:"service_level_seconds"`
	ASASeconds        float64        `json:"asa_seconds"`
	// ServiceLevelGoal is the share the agency aims to answer within
	// ServiceLevelSecs (0.8 for "80 % in 20 s").
	ServiceLevelGoal float64 `json:"service_level_goal"`
	// AverageHandleSeconds is the recent mean handle time (the ACD's EWT basis).
	AverageHandleSeconds float64 `json:"average_handle_seconds"`
	Open                 bool    `json:"open"` // within the agency's opening hours now
}

// AgentStatus is one agent as the API shows it (GET /api/v1/agents).
type AgentStatus struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Role        string         `json:"role"`
	State       string         `json:"state"`
	Reason      string         `json:"reason"`
	Since       time.Time      `json:"since"`
	Skills      map[string]int `json:"skills"`
	CurrentCall string         `json:"current_call"`
	Agency      string         `json:"agency,omitempty"` // of the current call
	CallsToday  int            `json:"calls_today"`
	Contact     string         `json:"contact,omitempty"`
}

// CallStatus is one call in progress (GET /api/v1/calls).
type CallStatus struct {
	ID        string            `json:"call_id"`
	Number    string            `json:"number"`
	From      string            `json:"from"`
	Agency    string            `json:"agency"`
	State     string            `json:"state"` // ivr identity queued ringing connected
	Agent     string            `json:"agent"`
	StartedAt time.Time         `json:"started_at"`
	QueuedAt  *time.Time        `json:"queued_at,omitempty"`
	Verified  bool              `json:"verified"`
	Identity  map[string]string `json:"identity,omitempty"`
	Node      string            `json:"node,omitempty"` // in a cluster: the node holding the caller's leg
}

// Event is one live update for /api/v1/events (server-sent events).
type Event struct {
	Type string `json:"type"` // queue agent call cdr
	Data any    `json:"data"`
}

// View is what the HTTP edge reads and changes; implemented by *Switchboard.
type View interface {
	Queues() []QueueStatus
	Agents() []AgentStatus
	Calls() []CallStatus
	// SetAgentState sets ready / not_ready (with reason) or logged_out.
	// Errors: ErrUnknownAgent, ErrBadState (wrapped with detail).
	SetAgentState(ctx context.Context, agentID, state, reason string) error
	// Subscribe delivers events until ctx ends; slow readers lose events, never block the core.
	Subscribe(ctx context.Context) <-chan Event
}
