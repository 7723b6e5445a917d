package routing

import (
	"errors"
	"fmt"
	"time"
)

// InputKind names one of the engine's inputs in a serialised Input.
type InputKind string

// The kinds of Input, one per input method of the Engine.
const (
	InputArrive       InputKind = "arrive"        // Call
	InputCallerHangup InputKind = "caller_hangup" // CallID
	InputAgentHangup  InputKind = "agent_hangup"  // CallID
	InputUnreached    InputKind = "unreached"     // CallID
	InputAnswered     InputKind = "answered"      // CallID, AgentID
	InputDeclined     InputKind = "declined"      // CallID, AgentID
	InputLogin        InputKind = "login"         // AgentID
	InputLogout       InputKind = "logout"        // AgentID
	InputSetReady     InputKind = "set_ready"     // AgentID
	InputSetNotReady  InputKind = "set_not_ready" // AgentID, Reason
	InputAdvance      InputKind = "advance"       // nothing but At
)

// ErrBadInput is wrapped by Apply for an Input it cannot take (unknown
// kind, missing field, no time); the engine is left untouched.
var ErrBadInput = errors.New("bad input")

// Input is one engine input as data, so it can be written to a log and
// replayed: replicas that Apply the same Inputs in the same order, from
// engines built with the same Config and seed, make the same decisions.
type Input struct {
	Kind    InputKind `json:"kind"`
	At      time.Time `json:"at"` // the engine's time for this input
	Call    *Call     `json:"call,omitempty"`
	CallID  string    `json:"call_id,omitempty"`
	AgentID string    `json:"agent_id,omitempty"`
	Reason  string    `json:"reason,omitempty"`
}

// Validate says why Apply would refuse in, or nil.
func (in Input) Validate() error {
	bad := func(what string) error { return fmt.Errorf("%w: %s: %s", ErrBadInput, in.Kind, what) }
	if in.At.IsZero() {
		return bad("no time (at)")
	}
	switch in.Kind {
	case InputArrive:
		if in.Call == nil || in.Call.ID == "" {
			return bad("needs call with an id")
		}
	case InputCallerHangup, InputAgentHangup, InputUnreached:
		if in.CallID == "" {
			return bad("needs call_id")
		}
	case InputAnswered, InputDeclined:
		if in.CallID == "" || in.AgentID == "" {
			return bad("needs call_id and agent_id")
		}
	case InputLogin, InputLogout, InputSetReady, InputSetNotReady:
		if in.AgentID == "" {
			return bad("needs agent_id")
		}
	case InputAdvance:
	default:
		return fmt.Errorf("%w: unknown kind %q", ErrBadInput, in.Kind)
	}
	return nil
}

// Apply hands one Input to the method it names, with the engine's time
// taken from in.At instead of the Clock (never backwards: an At before
// the last input's time counts as that time). The error is the method's
// own (ErrUnknownAgent, ErrLoggedOut) or ErrBadInput.
func (e *Engine) Apply(in Input) ([]Action, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	e.inputAt = in.At.UnixNano()
	defer func() { e.inputAt = 0 }()
	switch in.Kind {
	case InputArrive:
		return e.Arrive(*in.Call), nil
	case InputCallerHangup:
		return e.CallerHangup(in.CallID), nil
	case InputAgentHangup:
		return e.AgentHangup(in.CallID), nil
	case InputUnreached:
		return e.Unreached(in.CallID), nil
	case InputAnswered:
		return e.Answered(in.CallID, in.AgentID), nil
	case InputDeclined:
		return e.Declined(in.CallID, in.AgentID), nil
	case InputLogin:
		return e.Login(in.AgentID), nil
	case InputLogout:
		return e.Logout(in.AgentID), nil
	case InputSetReady:
		return e.SetReady(in.AgentID)
	case InputSetNotReady:
		return e.SetNotReady(in.AgentID, in.Reason)
	default: // InputAdvance; Validate refused the rest
		return e.Advance(), nil
	}
}
