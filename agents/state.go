// Package agents holds agent profiles (passwords, roles, skills) and the
// agent state machine.
package agents

import (
	"errors"
	"fmt"
)

// State is where an agent is in its working day.
type State string

const (
	LoggedOut State = "logged_out"
	NotReady  State = "not_ready" // carries a reason elsewhere (break, rona, ...)
	Ready     State = "ready"
	Ringing   State = "ringing"
	Busy      State = "busy"
	WrapUp    State = "wrap_up"
)

// States lists every state, in the order dashboards show them.
var States = []State{LoggedOut, NotReady, Ready, Ringing, Busy, WrapUp}

// Event is something that happens to an agent.
type Event string

const (
	Login       Event = "login"        // registered, or softphone connected
	Logout      Event = "logout"       // unregistered, or softphone gone
	SetReady    Event = "ready"        // agent or supervisor asks for calls
	SetNotReady Event = "not_ready"    // agent or supervisor stops calls (with a reason)
	Offer       Event = "offer"        // a call rings the agent
	Answer      Event = "answer"       // the agent picked up
	RingTimeout Event = "ring_timeout" // no answer in time: RONA
	Decline     Event = "decline"      // the agent's leg refused or failed
	Hangup      Event = "hangup"       // the call ended (either side) or the offer was withdrawn
	WrapupDone  Event = "wrapup_done"  // after-call work time is over
)

type edge struct {
	from State
	ev   Event
}

// transitions is the whole agent state machine. Anything not listed is
// refused. Notes on the less obvious rows:
//   - login lands in not_ready: an agent takes calls only once it says ready.
//   - ring_timeout and decline land in not_ready (reason rona): an agent who
//     does not answer must not be offered the next call straight away.
//   - hangup while ringing is the caller giving up or the offer withdrawn;
//     the agent did nothing wrong and is ready again.
//   - logout is refused while busy: the call stays bridged; whoever drives
//     the machine logs the agent out after hangup.
//   - ready/not_ready repeated are allowed so a reason can change and a
//     repeated API call is harmless; in wrap_up they end after-call work.
var transitions = map[edge]State{
	{LoggedOut, Login}: NotReady,

	{NotReady, SetReady}:    Ready,
	{NotReady, SetNotReady}: NotReady,
	{NotReady, Logout}:      LoggedOut,

	{Ready, SetReady}:    Ready,
	{Ready, SetNotReady}: NotReady,
	{Ready, Offer}:       Ringing,
	{Ready, Logout}:      LoggedOut,

	{Ringing, Answer}:      Busy,
	{Ringing, RingTimeout}: NotReady,
	{Ringing, Decline}:     NotReady,
	{Ringing, Hangup}:      Ready,
	{Ringing, Logout}:      LoggedOut,

	{Busy, Hangup}: WrapUp,

	{WrapUp, WrapupDone}:  Ready,
	{WrapUp, SetReady}:    Ready,
	{WrapUp, SetNotReady}: NotReady,
	{WrapUp, Logout}:      LoggedOut,
}

// ErrTransition is wrapped by every refusal of Next.
var ErrTransition = errors.New("transition not allowed")

// TransitionError names the state and event that have no transition.
type TransitionError struct {
	From  State
	Event Event
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("agent state %s: event %s not allowed", e.From, e.Event)
}

func (e *TransitionError) Unwrap() error { return ErrTransition }

// Next is the state after ev happens in from, or a *TransitionError.
func Next(from State, ev Event) (State, error) {
	to, ok := transitions[edge{from, ev}]
	if !ok {
		return from, &TransitionError{From: from, Event: ev}
	}
	return to, nil
}

// Valid says whether s is a known state.
func (s State) Valid() bool {
	for _, k := range States {
		if s == k {
			return true
		}
	}
	return false
}

// ParseState turns text (from an API or the store) into a State.
func ParseState(s string) (State, error) {
	if st := State(s); st.Valid() {
		return st, nil
	}
	return "", fmt.Errorf("unknown agent state %q", s)
}
