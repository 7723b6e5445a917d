package calls

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// In a cluster a call's switchboard Call lives on the node holding its leg,
// while the agent or supervisor acting on it may be logged in on any node.
// The dashboard asks this node's switchboard (TransferCall, CoachCall); a
// call held elsewhere is forwarded to its owner (Config.Forward), which runs
// the same Execute on its own switchboard. Who may act is decided before,
// on the node the user is logged in on.

// Kinds of Action.
const (
	ActionTransfer = "transfer" // Arg: the target agency (id or legacy number)
	ActionCoach    = "coach"    // Arg: the mode; Principal: the supervisor to ring
)

// Action is something done to a call on a user's behalf.
type Action struct {
	Kind      string
	CallID    string
	Arg       string
	Principal string // the user asking (for coaching, also whose phone rings)
}

// Forwarder carries an action to the node holding the call (cluster.Commands
// behind an adapter) and returns the error that node's Execute gave, as
// ErrorFromCode rebuilds it; ErrOwnerGone or ErrOwnerTimeout when it could not.
type Forwarder interface {
	Forward(ctx context.Context, node string, a Action) error
}

var (
	// ErrUnknownCall: no call with that id is in progress anywhere.
	ErrUnknownCall = errors.New("no such call in progress")
	// ErrOwnerGone: the node holding the call is not in the cluster (any more).
	ErrOwnerGone = errors.New("the node holding the call is unavailable")
	// ErrOwnerTimeout: the node holding the call did not answer in time.
	ErrOwnerTimeout = errors.New("the node holding the call did not answer in time")
)

// How long a forwarded action may take: a transfer is quick; coaching rings
// the supervisor's phone for up to coachRing before it answers.
const (
	forwardTransferTimeout = 10 * time.Second
	coachRing              = 30 * time.Second
	forwardCoachTimeout    = coachRing + 10*time.Second
)

// TransferCall is Transfer for a call held on any node of the cluster.
func (s *Switchboard) TransferCall(ctx context.Context, callID, target, by string) error {
	if _, ok := s.ResolveAgency(target); !ok { // every node has the same agencies
		return fmt.Errorf("%w: %q", ErrUnknownTarget, target)
	}
	return s.onOwner(ctx, Action{Kind: ActionTransfer, CallID: callID, Arg: target, Principal: by}, forwardTransferTimeout)
}

// CoachCall is Coach for a call held on any node of the cluster.
func (s *Switchboard) CoachCall(ctx context.Context, callID, supervisorID, mode string) error {
	return s.onOwner(ctx, Action{Kind: ActionCoach, CallID: callID, Arg: mode, Principal: supervisorID}, forwardCoachTimeout)
}

// onOwner runs a here when this node holds the call (or nobody is known to),
// else forwards it to the node that does.
func (s *Switchboard) onOwner(ctx context.Context, a Action, wait time.Duration) error {
	if _, local := s.Call(a.CallID); local || s.cfg.Forward == nil || s.cfg.ACD == nil {
		return s.Execute(ctx, a)
	}
	s.mu.Lock()
	owner := s.cfg.ACD.CallOwner(a.CallID)
	s.mu.Unlock()
	if owner == "" || owner == s.cfg.Node {
		return s.Execute(ctx, a) // the local answer: no such call, or not connected yet
	}
	s.log.Info("forwarding to the call's node", "kind", a.Kind, "call", a.CallID, "arg", a.Arg, "principal", a.Principal, "node", owner)
	fctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := s.cfg.Forward.Forward(fctx, owner, a); err != nil {
		return fmt.Errorf("%s on node %s: %w", a.Kind, owner, err)
	}
	return nil
}

// Execute carries out a on this node's own calls.
func (s *Switchboard) Execute(ctx context.Context, a Action) error {
	if _, ok := s.Call(a.CallID); !ok {
		if !s.engineKnows(a.CallID) {
			return fmt.Errorf("%w: %s", ErrUnknownCall, a.CallID)
		}
	}
	switch a.Kind {
	case ActionTransfer:
		return s.Transfer(ctx, a.CallID, a.Arg, nil)
	case ActionCoach:
		return s.Coach(ctx, a.CallID, a.Principal, a.Arg)
	}
	return fmt.Errorf("%w: no action %q", ErrBadState, a.Kind)
}

// engineKnows tells whether the ACD knows the call (queued, ringing or
// connected, on any node).
func (s *Switchboard) engineKnows(callID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.eng.Call(callID)
	return ok
}

// wireErrors are the errors an owner's Execute gives, by the code a reply
// carries them under; the requesting node rebuilds them so that its HTTP
// answer is the one the owner's own dashboard would give.
var wireErrors = []struct {
	code string
	err  error
}{
	{"unknown_call", ErrUnknownCall},
	{"unknown_target", ErrUnknownTarget},
	{"bad_state", ErrBadState},
	{"not_connected", ErrNotConnected},
	{"deadline", context.DeadlineExceeded},
	{"canceled", context.Canceled},
}

// ErrorCode is the wire code of an Execute error ("" for nil, "failed" for
// an error without one).
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	for _, w := range wireErrors {
		if errors.Is(err, w.err) {
			return w.code
		}
	}
	return "failed"
}

// ErrorFromCode rebuilds an owner's error from its reply (nil for code "").
func ErrorFromCode(code, message string) error {
	if code == "" {
		return nil
	}
	for _, w := range wireErrors {
		if w.code == code {
			return fmt.Errorf("%w (%s)", w.err, message)
		}
	}
	return errors.New(message)
}
