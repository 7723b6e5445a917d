package calls

import (
	"context"
	"strings"
	"time"

	"github.com/pion/rtp"

	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/routing"
	"github.com/frontdoor-project/frontdoor/store"
)

// CitizenDialer calls a citizen back (the SIP edge, through its outbound trunk).
type CitizenDialer interface {
	DialCitizen(ctx context.Context, number, callID string) (CallerLeg, error)
}

// CallbackConfig turns callbacks (virtual hold) on: when a queued caller's
// estimated wait is long, the IVR offers to call them back, keeping their place.
// When an agent takes the call, the agent is connected first (as Amazon Connect's
// queued callbacks do), hears that the citizen is being called, and is bridged
// once the citizen answers. An unanswered callback is tried again later.
type CallbackConfig struct {
	Dialer     CitizenDialer // nil: callbacks off
	OfferWhen  time.Duration // offer when the estimated wait is at least this (or unknown)
	Retries    int           // further attempts after an unanswered one
	RetryAfter time.Duration
	Ring       time.Duration // how long the citizen's phone rings
	// Allowed is the destination policy (config.Callback.CallbackAllowed):
	// a number it refuses is never called back. nil allows every number.
	Allowed func(number string) bool
	// PerNumber allows one booking per number in this period; 0: no limit.
	PerNumber time.Duration
}

// evRetry asks a booked callback's goroutine to queue its next attempt.
const evRetry eventKind = 100

// estimate is the call's estimated wait; known is false when nobody works its
// queue, queued false when the call is no longer waiting.
func (s *Switchboard) estimate(callID string) (ewt time.Duration, known, queued bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.eng.Call(callID)
	if !ok || cs.State != "queued" {
		return 0, false, false
	}
	return cs.EWT, cs.EWTKnown, true
}

// offerCallback offers a callback to a caller who just joined a queue with a long
// wait. It returns true when a callback was booked and the caller's leg hung up.
func (c *Call) offerCallback(ctx context.Context, bg **backgroundAudio) bool {
	cb := &c.sb.cfg.Callback
	if cb.Dialer == nil {
		return false
	}
	ewt, known, queued := c.sb.estimate(c.ID)
	if !queued || (known && ewt < cb.OfferWhen) {
		return false
	}
	// Stop asking when the caller hangs up, or when an agent takes the call.
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.leg.Done():
			cancel()
		case <-lctx.Done():
		}
	}()
	(*bg).stop()
	booked := false
	defer func() {
		if !booked {
			*bg = c.background(ctx)
		}
	}()
	c.keys.clear()
	if !c.say(lctx, true, "callback-offer") {
		return false
	}
	if k, ok := c.nextKey(lctx, c.sb.cfg.MenuTimeout); !ok || k != '1' {
		return false
	}
	number := c.sb.callbackNumber(c.From) // "" when the policy refuses it: keyed in instead
	for try := 0; try < 3 && lctx.Err() == nil; try++ {
		var words []string
		if number != "" {
			words = append(append([]string{"callback-number"}, spellDigits(number)...), "callback-confirm")
		} else {
			words = []string{"callback-confirm"}
		}
		if !c.say(lctx, true, words...) {
			return false
		}
		keys := c.readKeys(lctx)
		switch {
		case keys == "1" && number != "":
			booked = c.sb.bookCallback(c, number)
			if booked {
				c.say(lctx, false, "callback-booked")
				c.hangup()
			}
			return booked
		case len(keys) >= 3 && phoneNumber(keys) == keys:
			// Another number: read it back for confirmation, if the policy allows it.
			if n := c.sb.callbackNumber(keys); n != "" {
				number = n
			} else {
				c.sb.log.Warn("security: callback number refused by policy", "call", c.ID, "digits", len(keys))
			}
		}
	}
	return false
}

// readKeys collects keys until '#' or a pause: the first key may take the menu
// timeout, the next ones the inter-digit timeout.
func (c *Call) readKeys(ctx context.Context) string {
	var b strings.Builder
	wait := c.sb.cfg.MenuTimeout
	for {
		k, ok := c.nextKey(ctx, wait)
		if !ok || k == '#' {
			return b.String()
		}
		b.WriteRune(k)
		wait = c.sb.cfg.InterDigit
	}
}

// phoneNumber keeps a number made of digits (and a leading +), else "".
func phoneNumber(s string) string {
	if s == "" || strings.Trim(s, "+0123456789") != "" || strings.LastIndex(s, "+") > 0 {
		return ""
	}
	return s
}

// bookCallback stores the callback; the store record replaces the call's
// active-call trace (a restart resumes the callback rather than cutting it off).
func (s *Switchboard) bookCallback(c *Call, number string) bool {
	if s.callbackNumber(number) == "" || !s.booked.take(number, s.now(), s.cfg.Callback.PerNumber) {
		s.log.Warn("security: callback refused", "call", c.ID, "reason", "policy or already booked in the period")
		return false
	}
	c.mu.Lock()
	rec := store.Callback{CallID: c.ID, Number: number, Dialled: c.Number, Agency: c.agency, Identity: c.identity,
		BookedAt: s.now(), StartedAt: c.startedAt, Node: s.cfg.Node}
	c.callback = &rec
	c.mu.Unlock()
	if err := s.cfg.Store.PutCallback(context.Background(), rec); err != nil {
		s.log.Error("store callback", "call", c.ID, "err", err)
		return false
	}
	s.forgetActive(c.ID)
	s.log.Info("callback booked", "call", c.ID, "agency", rec.Agency)
	return true
}

// waitCallback is a booked callback's life after the caller hung up: the call
// keeps its place in the queue; each time an agent takes it, the citizen is called.
func (c *Call) waitCallback(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-c.events:
			switch ev.kind {
			case evEnd: // closed, max wait: the engine gave up on the call
				c.sb.dropCallback(c)
				return
			case evTransfer:
				ev.done <- errorf("call %s is a callback, not connected", c.ID)
			case evRetry:
				if c.callbackTakenOver(ctx) {
					return
				}
				c.mu.Lock()
				c.queuedAt = c.sb.now()
				c.mu.Unlock()
				c.sb.enqueue(c)
			case evConnect:
				if c.callBack(ctx, ev.agentID, ev.leg) {
					return
				}
			}
		}
	}
}

// callBack calls the citizen while the agent waits, and bridges them. It returns
// false when a retry was scheduled (the citizen did not answer).
func (c *Call) callBack(ctx context.Context, agentID string, agent AgentLeg) bool {
	cb := &c.sb.cfg.Callback
	if c.callbackTakenOver(ctx) {
		hangupAgent(agent)
		c.sb.agentLeft(c) // the agent is free again; the call leaves this node's hands
		return true
	}
	c.mu.Lock()
	number := c.callback.Number
	c.mu.Unlock()
	// The agent hears why it waits, then hold music, while the citizen's phone rings.
	actx, stopAgentAudio := context.WithCancel(ctx)
	go func() {
		c.sb.audio.Play(actx, agent.Media(), "callback-agent")
		if actx.Err() == nil {
			c.sb.audio.Loop(actx, agent.Media(), "hold")
		}
	}()
	dctx, cancel := context.WithTimeout(ctx, cb.Ring)
	go func() {
		select {
		case <-agent.Done(): // the agent gave up waiting
			cancel()
		case <-dctx.Done():
		}
	}()
	citizen, err := cb.Dialer.DialCitizen(dctx, number, c.ID)
	cancel()
	stopAgentAudio()
	if err != nil {
		c.sb.log.Info("callback not answered", "call", c.ID, "err", err)
		return c.unreached(ctx, agentID, agent)
	}
	c.mu.Lock()
	c.leg = citizen
	c.mu.Unlock()
	citizen.Media().OnDTMF(c.PressKey)
	// The trace first, then the record goes: a crash in between (the intro
	// plays for seconds) would otherwise leave neither, and no CDR at all.
	c.sb.recordActive(c)
	c.sb.dropCallback(c)
	c.say(ctx, false, "callback-intro")
	if target, ok := c.talk(ctx, agentID, agent); ok {
		// A transfer during a callback: the citizen queues again as a live caller.
		c.mu.Lock()
		c.agency = target
		c.mu.Unlock()
		c.sb.enqueue(c)
		c.queue(ctx)
	}
	return true
}

// unreached ends an attempt whose citizen did not answer: the agent is released,
// the attempt is recorded, and a retry is scheduled while attempts remain.
func (c *Call) unreached(ctx context.Context, agentID string, agent AgentLeg) bool {
	s := c.sb
	cb := &s.cfg.Callback
	c.mu.Lock()
	suspended := c.suspended
	c.mu.Unlock()
	if suspended || c.callbackTakenOver(context.Background()) {
		// Dropped here (declared lost, or claimed elsewhere): this attempt
		// is not counted and nothing is written; the agent is let go.
		hangupAgent(agent)
		if !suspended {
			s.agentLeft(c)
		}
		return true
	}
	s.say(ctx, agent.Media(), "callback-unreached")
	hangupAgent(agent)
	s.submitOrLog(Input{Kind: routing.InputUnreached, CallID: c.ID})
	c.mu.Lock()
	c.callback.Attempts++
	rec := *c.callback
	last := rec.Attempts > cb.Retries
	if !last {
		// Record this attempt; the call goes on with the next one.
		c.agent, c.endedAt = agentID, s.now()
		attempt := cdrOf(c)
		attempt.Retried = true
		c.agent, c.outcome, c.endedAt = "", "", time.Time{}
		if err := c.to(StateQueued); err != nil {
			s.log.Warn("call state", "err", err)
		}
		rec.NextAt = s.now().Add(cb.RetryAfter)
		*c.callback = rec
		c.mu.Unlock()
		s.writeCDR(attempt)
		// Conditional: the leader may have claimed the record since the
		// check above (this node declared lost meanwhile); writing over its
		// claim would have both nodes call the citizen. Refused, the retry's
		// own check of the record drops the callback here.
		switch ok, err := s.cfg.Store.UpdateCallback(context.Background(), rec); {
		case err != nil:
			s.log.Error("store callback", "call", c.ID, "err", err)
		case !ok:
			s.log.Warn("callback claimed by another node during the attempt; not rewritten", "call", c.ID)
		}
		time.AfterFunc(cb.RetryAfter, func() { c.post(callEvent{kind: evRetry}) })
		return false
	}
	c.agent = agentID
	c.mu.Unlock()
	s.dropCallback(c)
	return true
}

// say plays prompts to any endpoint (the agent's, during a callback).
func (s *Switchboard) say(ctx context.Context, ep media.Endpoint, names ...string) {
	if err := s.audio.Play(ctx, ep, names...); err != nil && ctx.Err() == nil {
		s.log.Debug("prompt to agent", "err", err)
	}
}

// dropCallback forgets a callback that is done (connected, or given up).
func (s *Switchboard) dropCallback(c *Call) {
	if err := s.cfg.Store.DeleteCallback(context.Background(), c.ID); err != nil {
		s.log.Error("store callback", "call", c.ID, "err", err)
	}
}

var closedChan = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()

// goneLeg stands for the caller's leg of a callback resumed after a restart:
// the caller hung up long ago; there is nothing to play to or hang up.
type goneLeg struct{ done chan struct{} }

func (g goneLeg) Media() media.Endpoint            { return silentEndpoint{g.done} }
func (g goneLeg) Hangup(ctx context.Context) error { return nil }
func (g goneLeg) Done() <-chan struct{}            { return g.done }

// silentEndpoint is a media.Endpoint that is already closed.
type silentEndpoint struct{ done chan struct{} }

func (silentEndpoint) Codec() media.Codec         { return media.PCMU }
func (silentEndpoint) WriteRTP(*rtp.Packet) error { return media.ErrClosed }
func (silentEndpoint) SetSink(func(*rtp.Packet))  {}
func (silentEndpoint) OnDTMF(func(rune))          {}
func (e silentEndpoint) Done() <-chan struct{}    { return e.done }
func (silentEndpoint) Close() error               { return nil }
