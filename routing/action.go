package routing

import (
	"time"

	"github.com/frontdoor-project/frontdoor/agents"
)

// ActionKind says what an Action asks the caller of the engine to do.
type ActionKind uint8

// The kinds of Action. See doc.go for what the call path does with each.
const (
	Offer       ActionKind = iota + 1 // ring AgentID for CallID (agent already set ringing)
	CancelOffer                       // stop ringing AgentID for CallID (or hang up a stale answer)
	EndCall                           // play Prompt to CallID, then hang up; Outcome says why
	Overflow                          // CallID moved from queue From to queue Queue
	Announce                          // tell CallID its Position and EWT
	Play                              // play the periodic message Prompt to CallID
	AgentState                        // AgentID is now in State (Reason for not_ready)
	Finished                          // CallID left the engine with Outcome
	QueueLog                          // Line is one Asterisk queue_log line
)

var kindNames = [...]string{"", "offer", "cancel_offer", "end_call", "overflow", "announce", "play", "agent_state", "finished", "queue_log"}

func (k ActionKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Outcomes a call ends with (the Outcome of Finished, EndCall and Overflow).
const (
	OutcomeAnswered   = "answered"
	OutcomeAbandoned  = "abandoned"
	OutcomeOverflowed = "overflowed"
	OutcomeTimeout    = "timeout"
	OutcomeRejected   = "rejected"
	OutcomeClosed     = "closed"
)

// Outcomes lists every outcome, in the order metrics show them.
var Outcomes = []string{OutcomeAnswered, OutcomeAbandoned, OutcomeOverflowed, OutcomeTimeout, OutcomeRejected, OutcomeClosed}

// Prompts named by EndCall.
const (
	PromptTimeout = "timeout"
	PromptClosed  = "closed"
	PromptBusy    = "busy"
)

// Action is one thing the engine decided; the caller executes the actions
// of one input in order. Fields not used by a kind are zero.
type Action struct {
	Kind    ActionKind
	CallID  string
	AgentID string
	Queue   string // the call's queue; for Overflow the new queue
	From    string // Overflow: the queue the call left (count "overflowed" against it)
	Outcome string
	// Position (1 = next) and EWT (0 = unknown) for Announce.
	Position int
	EWT      time.Duration
	Prompt   string       // EndCall, Play
	Reason   string       // AgentState: not_ready reason
	State    agents.State // AgentState
	// Wait is time queued (all queues) and Talk the connected time, for
	// Finished (and Wait for Overflow).
	Wait, Talk time.Duration
	Line       string // QueueLog
}
