package calls

import (
	"context"
	"errors"
	"fmt"

	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/media/mix"
)

// evCoach asks a connected call to bring in (or change the role of) a supervisor.
const evCoach eventKind = 101

// ErrNotConnected: the call is not talking to an agent (nothing to coach).
var ErrNotConnected = errors.New("call is not connected to an agent")

// Coach lets a supervisor listen to a connected call, whisper to the agent only,
// or barge in (three-way). The first request rings the supervisor's registered
// phone; later ones change the mode; the supervisor hangs up to leave. The caller
// never hears a listening or whispering supervisor.
func (s *Switchboard) Coach(ctx context.Context, callID, supervisorID, mode string) error {
	role, err := mix.ParseRole(mode)
	if err != nil || (role != mix.Listen && role != mix.Whisper && role != mix.Barge) {
		return fmt.Errorf("%w: mode %q (listen, whisper or barge)", ErrBadState, mode)
	}
	c, ok := s.Call(callID)
	if !ok {
		return fmt.Errorf("%w: no call %s", ErrNotConnected, callID)
	}
	c.mu.Lock()
	connected, coached := c.state == StateConnected, c.coach != nil
	o := Offer{CallID: c.ID, Agency: c.agency, From: "coaching " + mode, Codec: media.PCMU}
	c.mu.Unlock()
	if !connected {
		return fmt.Errorf("%w: call %s", ErrNotConnected, callID)
	}
	var leg AgentLeg
	if !coached {
		dctx, cancel := context.WithTimeout(ctx, coachRing)
		defer cancel()
		if leg, err = s.cfg.Dialer.Dial(dctx, supervisorID, o); err != nil {
			return fmt.Errorf("ringing supervisor %s: %w", supervisorID, err)
		}
	}
	done := make(chan error, 1)
	c.post(callEvent{kind: evCoach, leg: leg, agentID: supervisorID, target: mode, done: done})
	select {
	case err := <-done:
		if err != nil && leg != nil {
			hangupAgent(leg)
		}
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// coaching is a connected call's mixer while a supervisor is on it.
type coaching struct {
	supervisor string
	leg        AgentLeg
	mixer      *mix.Mixer
	stop       context.CancelFunc
	ended      chan struct{} // the mixer's Run returned
}

// startCoaching replaces the caller-agent bridge by a mixer with the supervisor.
// stopBridge must already have been called. Runs on the call's goroutine.
func (c *Call) startCoaching(callerEP, agentEP media.Endpoint, ev callEvent) error {
	role, _ := mix.ParseRole(ev.target)
	m := mix.New(mix.Config{Logger: c.sb.log})
	for _, p := range []struct {
		id   string
		ep   media.Endpoint
		role mix.Role
	}{{"caller", callerEP, mix.Caller}, {"agent", agentEP, mix.Agent}, {"supervisor", ev.leg.Media(), role}} {
		if err := m.Add(p.id, p.ep, p.role); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancel(c.ctx)
	co := &coaching{supervisor: ev.agentID, leg: ev.leg, mixer: m, stop: cancel, ended: make(chan struct{})}
	go func() {
		defer close(co.ended)
		m.Run(ctx)
	}()
	c.mu.Lock()
	c.coach = co
	c.mu.Unlock()
	c.sb.log.Info("coaching", "call", c.ID, "supervisor", ev.agentID, "mode", ev.target)
	return nil
}

// endCoaching stops the mixer and hangs up the supervisor; the caller re-bridges.
func (c *Call) endCoaching() {
	c.mu.Lock()
	co := c.coach
	c.coach = nil
	c.mu.Unlock()
	if co == nil {
		return
	}
	co.stop()
	<-co.ended
	hangupAgent(co.leg)
	c.sb.log.Info("coaching ended", "call", c.ID, "supervisor", co.supervisor)
}

// coachDone is the supervisor's leg ending (nil channel when nobody coaches).
func (c *Call) coachDone() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.coach == nil {
		return nil
	}
	return c.coach.leg.Done()
}
