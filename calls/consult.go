package calls

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Consultative (attended) transfer: agent A, talking with citizen C on call X,
// calls another agency from the phone (a consult call Y: A is Y's caller and
// agent B answers it), talks to B, then completes: C takes A's place on Y and A
// leaves both calls. The engine's view stays true: B stays busy on Y, A wraps up
// after X, whose CDR says transferred_to. Cancelling is just A hanging up Y.

const (
	evSplice     eventKind = 102 // to X: hand the caller over to call ev.target
	evTakeCaller eventKind = 103 // to Y: take over X's caller
)

// ErrNotConsult: the call to complete into is not the transferring agent's consult call.
var ErrNotConsult = errors.New("not a consult call of this agent")

// handover carries a citizen's leg and what is known of them from X to Y.
type handover struct {
	leg      CallerLeg
	from     string
	identity map[string]string
	history  []string
}

// CompleteTransfer completes an attended transfer: the caller of call x is
// connected to the agent of consult call y, and x's agent leaves both.
// beforeRelease runs before x's agent leg is hung up (the edge's final NOTIFY).
func (s *Switchboard) CompleteTransfer(ctx context.Context, x, y string, beforeRelease func()) error {
	cx, ok := s.Call(x)
	if !ok {
		return errorf("no call %s in progress", x)
	}
	cy, ok := s.Call(y)
	if !ok {
		return errorf("no consult call %s in progress", y)
	}
	cx.mu.Lock()
	agentX, stateX := cx.agent, cx.state
	cx.mu.Unlock()
	cy.mu.Lock()
	consult, fromY, stateY := cy.consult, cy.From, cy.state
	cy.mu.Unlock()
	if stateX != StateConnected {
		return fmt.Errorf("%w: call %s", ErrNotConnected, x)
	}
	if !consult || fromY != agentX {
		return fmt.Errorf("%w: %s (from %q, agent %q)", ErrNotConsult, y, fromY, agentX)
	}
	if stateY != StateConnected {
		return fmt.Errorf("%w: consult call %s is not answered yet", ErrNotConnected, y)
	}
	return cx.ask(ctx, callEvent{kind: evSplice, peer: cy, then: beforeRelease})
}

// splice runs on X's goroutine inside talk: it hands the caller's leg to Y and
// reports whether X's part is over (true: talk returns, X's agent is released).
func (c *Call) splice(ev callEvent, stopMedia func(), agentLeg AgentLeg) bool {
	y := ev.peer
	stopMedia()
	c.mu.Lock()
	h := handover{leg: c.leg, from: c.From, identity: c.identity, history: append(append([]string(nil), c.history...), c.agency+"/"+c.agent)}
	c.mu.Unlock()
	took := make(chan error, 1)
	y.post(callEvent{kind: evTakeCaller, hand: &h, done: took})
	var err error
	select {
	case err = <-took:
	case <-time.After(3 * time.Second):
		err = errorf("consult call %s did not take the caller", y.ID)
	}
	ev.done <- err
	if err != nil {
		return false // the caller stays with this agent; talk re-bridges
	}
	if ev.then != nil {
		ev.then()
	}
	c.sb.agentLeft(c) // X's agent wraps up; X's outcome is answered
	c.mu.Lock()
	c.transferredTo = y.agency
	c.leg = goneLeg{done: closedChan} // the caller lives on in Y: never hang it up from here
	c.mu.Unlock()
	hangupAgent(agentLeg)
	c.sb.log.Info("attended transfer completed", "call", c.ID, "into", y.ID)
	return true
}

// takeCaller runs on Y's goroutine inside talk: the transferring agent's leg is
// replaced by the caller's, who now talks with Y's agent.
func (c *Call) takeCaller(h *handover) (old CallerLeg) {
	c.mu.Lock()
	old = c.leg
	c.leg = h.leg
	c.From, c.identity, c.history = h.from, h.identity, h.history
	c.consult = false
	c.mu.Unlock()
	h.leg.Media().OnDTMF(c.PressKey)
	return old
}
