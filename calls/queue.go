package calls

import (
	"context"
	"time"
)

// queue puts the call in its agency's queue and stays with it: hold audio and
// announcements until an agent answers (then talk) or the call ends.
func (c *Call) queue(ctx context.Context) {
	c.mu.Lock()
	c.queuedAt = c.sb.now()
	c.mu.Unlock()
	c.setState(StateQueued)
	c.sb.enqueue(c)

	hold := c.background(ctx, nil, "please-hold")
	defer func() { hold() }()
	for {
		select {
		case <-c.leg.Done():
			c.sb.callerLeft(c)
			return
		case ev := <-c.events:
			switch ev.kind {
			case evAnnounce:
				hold()
				hold = c.background(ctx, announcement(ev.position, ev.ewt))
			case evEnd:
				hold()
				c.endPolitely(ctx, "", ev.prompt)
				return
			case evConnect:
				hold()
				c.talk(ctx, ev.agentID, ev.leg)
				return
			}
		}
	}
}

// background plays prompts then hold music until the returned stop is called.
func (c *Call) background(ctx context.Context, first []string, more ...string) (stop func()) {
	bctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		ep := c.leg.Media()
		if len(first) > 0 {
			c.sb.audio.Play(bctx, ep, first...)
		}
		if len(more) > 0 {
			c.sb.audio.Play(bctx, ep, more...)
		}
		if bctx.Err() == nil {
			c.sb.audio.Loop(bctx, ep, "hold")
		}
	}()
	return func() { cancel(); <-done }
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

// talk bridges the caller with the agent until either side hangs up.
func (c *Call) talk(ctx context.Context, agentID string, leg AgentLeg) {
	c.mu.Lock()
	c.agent = agentID
	c.answeredAt = c.sb.now()
	if err := c.to(StateConnected); err != nil {
		c.sb.log.Warn("call state", "err", err)
	}
	c.mu.Unlock()
	stop := c.sb.cfg.Bridge(c.leg.Media(), leg.Media())
	defer stop()
	select {
	case <-c.leg.Done():
		c.sb.callerLeft(c)
		hangupAgent(leg)
	case <-leg.Done():
		c.sb.agentLeft(c)
		c.hangup()
	}
}

func hangupAgent(leg AgentLeg) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	leg.Hangup(ctx)
}
