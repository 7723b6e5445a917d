package calls

import (
	"context"
	"fmt"
	"time"

	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/media/mix"
)

// queue puts the call in its agency's queue and stays with it: hold audio and
// announcements until an agent answers (then talk) or the call ends.
func (c *Call) queue(ctx context.Context) {
	c.mu.Lock()
	c.queuedAt = c.sb.now()
	c.mu.Unlock()
	c.setState(StateQueued)
	c.sb.enqueue(c)

	var notice []string
	if c.sb.recorded(c.agency) && c.sb.cfg.AnnounceRecording {
		notice = []string{"recording-notice"}
	}
	bg := c.background(ctx, append(notice, "please-hold")...)
	defer func() { bg.stop() }()
	if c.offerCallback(ctx, &bg) {
		bg.stop()
		c.waitCallback(ctx)
		return
	}
	for {
		select {
		case <-c.leg.Done():
			c.sb.callerLeft(c)
			return
		case ev := <-c.events:
			switch ev.kind {
			case evAnnounce:
				if bg.speaking() {
					// Never cut an announcement short for the next one: the caller
					// would hear only beginnings. The next period brings a fresh one.
					continue
				}
				bg.stop()
				words := announcement(ev.position, ev.ewt)
				if ev.prompt != "" {
					words = []string{ev.prompt}
				}
				bg = c.background(ctx, words...)
			case evEnd:
				bg.stop()
				c.endPolitely(ctx, "", ev.prompt)
				return
			case evConnect:
				bg.stop()
				if target, ok := c.talk(ctx, ev.agentID, ev.leg); ok {
					// Blind transfer: queue again in the target agency.
					c.mu.Lock()
					c.agency = target
					c.mu.Unlock()
					c.sb.enqueue(c)
					bg = c.background(ctx, "please-hold")
					continue
				}
				return
			case evTransfer:
				ev.done <- errorf("call %s is not connected to an agent", c.ID)
			}
		}
	}
}

// backgroundAudio is what a queued caller hears: prompts, then hold music.
type backgroundAudio struct {
	cancel context.CancelFunc
	done   chan struct{} // the goroutine ended
	spoken chan struct{} // the prompts are over (hold music playing)
}

// speaking tells whether the prompts are still playing.
func (b *backgroundAudio) speaking() bool {
	select {
	case <-b.spoken:
		return false
	default:
		return true
	}
}

func (b *backgroundAudio) stop() { b.cancel(); <-b.done }

// background plays prompts then hold music until stopped.
func (c *Call) background(ctx context.Context, prompts ...string) *backgroundAudio {
	bctx, cancel := context.WithCancel(ctx)
	b := &backgroundAudio{cancel: cancel, done: make(chan struct{}), spoken: make(chan struct{})}
	go func() {
		defer close(b.done)
		ep := c.leg.Media()
		if len(prompts) > 0 {
			c.sb.audio.Play(bctx, ep, prompts...)
		}
		close(b.spoken)
		if bctx.Err() == nil {
			c.sb.audio.Loop(bctx, ep, "hold")
		}
	}()
	return b
}

// announcement names the prompts for "you are caller number N; your estimated
// waiting time is ...".
func announcement(position int, ewt time.Duration) []string {
	var p []string
	if position > 0 {
		p = append(p, "position")
		p = append(p, sayNumber(position)...)
		p = append(p, "in-queue")
	}
	if ewt > 0 {
		p = append(p, "ewt")
		if ewt < time.Minute {
			p = append(p, "less-than-a-minute")
		} else {
			m := int((ewt + 30*time.Second) / time.Minute)
			p = append(p, sayNumber(m)...)
			if m == 1 {
				p = append(p, "minute")
			} else {
				p = append(p, "minutes")
			}
		}
	}
	return p
}

// talk bridges the caller with the agent until either side hangs up, or the
// agent transfers the call: then it returns the target agency and true.
func (c *Call) talk(ctx context.Context, agentID string, leg AgentLeg) (string, bool) {
	c.mu.Lock()
	c.agent = agentID
	c.answeredAt = c.sb.now()
	if err := c.to(StateConnected); err != nil {
		c.sb.log.Warn("call state", "err", err)
	}
	c.mu.Unlock()
	callerEP, agentEP, stopRecording := c.startRecording(c.leg.Media(), leg.Media())
	defer func() { stopRecording() }()
	stop := c.sb.cfg.Bridge(callerEP, agentEP)
	defer func() { stop() }()
	c.sb.recordAnswered(c) // with the media already flowing (recovery.go)
	defer c.endCoaching()
	for {
		select {
		case <-c.leg.Done():
			c.sb.callerLeft(c)
			hangupAgent(leg)
			return "", false
		case <-leg.Done():
			c.sb.agentLeft(c)
			c.hangup()
			return "", false
		case <-c.coachDone():
			// The supervisor left: the caller and the agent talk on their own again.
			c.endCoaching()
			stop = c.sb.cfg.Bridge(callerEP, agentEP)
		case ev := <-c.events:
			switch ev.kind {
			case evCoach:
				ev.done <- c.coachEvent(ev, callerEP, agentEP, &stop)
			case evSplice: // attended transfer: our caller moves to a consult call
				c.endCoaching()
				if c.splice(ev, func() { stop(); stop = func() {} }, leg) {
					return "", false
				}
				stop = c.sb.cfg.Bridge(callerEP, agentEP)
			case evTakeCaller: // attended transfer: the consulting agent hands us its caller
				c.endCoaching()
				stop()
				stopRecording()
				old := c.takeCaller(ev.hand)
				callerEP, agentEP, stopRecording = c.startRecording(c.leg.Media(), leg.Media())
				stop = c.sb.cfg.Bridge(callerEP, agentEP)
				ev.done <- nil
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					old.Hangup(ctx) // the consulting agent's own leg
				}()
			case evTransfer:
				ev.done <- nil
				c.endCoaching()
				stop()
				c.sb.transferred(c, ev.target)
				if ev.then != nil {
					ev.then()
				}
				hangupAgent(leg)
				return ev.target, true
			}
			// Announcements and the like do not concern a connected call.
		}
	}
}

// coachEvent brings a supervisor in, or changes its role.
func (c *Call) coachEvent(ev callEvent, callerEP, agentEP media.Endpoint, stop *func()) error {
	c.mu.Lock()
	co := c.coach
	c.mu.Unlock()
	if co != nil {
		if ev.leg != nil { // a second supervisor: one at a time
			hangupAgent(ev.leg)
			return fmt.Errorf("%w: supervisor %s is already on call %s", ErrBadState, co.supervisor, c.ID)
		}
		role, _ := mix.ParseRole(ev.target)
		return co.mixer.SetRole("supervisor", role)
	}
	if ev.leg == nil {
		return fmt.Errorf("%w: nobody coaches call %s", ErrBadState, c.ID)
	}
	(*stop)()
	if err := c.startCoaching(callerEP, agentEP, ev); err != nil {
		*stop = c.sb.cfg.Bridge(callerEP, agentEP)
		return err
	}
	*stop = func() {}
	return nil
}

func hangupAgent(leg AgentLeg) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	leg.Hangup(ctx)
}
