package calls

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/frontdoor-project/frontdoor/store"
)

// TransferPriority is the routing priority a transferred caller gets in the new
// queue: they already waited once, and were handed on, not sent back to the start.
const TransferPriority = 5

// ErrUnknownTarget: a transfer names no agency (id or legacy number).
var ErrUnknownTarget = errors.New("no such agency to transfer to")

// ResolveAgency finds an agency by id or by one of its legacy numbers.
func (s *Switchboard) ResolveAgency(target string) (string, bool) {
	if _, ok := s.agencies[target]; ok {
		return target, true
	}
	a, ok := s.numbers[target]
	return a, ok
}

// Transfer hands a connected call to another agency's queue (blind transfer):
// the agent's leg ends, the caller hears hold music and queues again with transfer
// priority, keeping the verified identity and the history of who had the call.
// It returns when the call has accepted the transfer (or refused it).
//
// beforeRelease, when set, runs on the call's goroutine after the transfer is taken
// and before the agent's leg is hung up (the SIP edge sends its final NOTIFY there,
// so the transferor hears the outcome before the BYE).
func (s *Switchboard) Transfer(ctx context.Context, callID, target string, beforeRelease func()) error {
	agency, ok := s.ResolveAgency(target)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownTarget, target)
	}
	c, ok := s.Call(callID)
	if !ok {
		return errorf("no call %s in progress", callID)
	}
	return c.ask(ctx, callEvent{kind: evTransfer, target: agency, then: beforeRelease})
}

// ask hands an event to the call's goroutine and waits for its answer: the call
// is busy with its own life (prompts, bridging), so a request waits its turn,
// but never for long.
func (c *Call) ask(ctx context.Context, ev callEvent) error {
	ev.done = make(chan error, 1)
	c.post(ev)
	select {
	case err := <-ev.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(5 * time.Second):
		return errorf("call %s did not take the request", c.ID)
	}
}

// transferred closes the agent's leg of c in the ACD and in the records: the
// leg's CDR is written (outcome answered, transferred_to set) and the call starts
// its next leg. Runs on the call's goroutine.
func (s *Switchboard) transferred(c *Call, target string) {
	s.agentLeft(c) // the agent's part is over: wrap-up, metrics for the first leg
	c.mu.Lock()
	c.endedAt = s.now()
	leg := cdrOf(c)
	leg.TransferredTo = target
	c.history = append(c.history, c.agency+"/"+c.agent)
	c.agent, c.outcome, c.recording = "", "", ""
	c.answeredAt, c.queuedAt, c.endedAt = time.Time{}, s.now(), time.Time{}
	c.priority = max(c.priority, TransferPriority)
	if err := c.to(StateQueued); err != nil {
		s.log.Warn("call state", "err", err)
	}
	c.mu.Unlock()
	s.writeCDR(leg)
	s.log.Info("call transferred", "call", c.ID, "to", target)
}

// writeCDR stores the CDR of a leg that ended in a transfer and tells live views;
// the call itself goes on (its active-call record stays until its last leg ends).
func (s *Switchboard) writeCDR(cdr store.CDR) {
	if err := s.cfg.Store.PutCDR(context.Background(), cdr); err != nil {
		s.log.Error("store CDR", "call", cdr.CallID, "err", err)
	}
	s.publish("cdr", cdr)
}
