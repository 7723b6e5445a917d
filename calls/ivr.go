package calls

import (
	"context"
	"errors"
	"strconv"

	"github.com/frontdoor-project/frontdoor/media"
	"time"
)

// run is the call's whole life, on its own goroutine: IVR, identity step, queue, talk.
func (c *Call) run() {
	defer c.sb.finish(c)
	ctx := c.ctx
	cfg := &c.sb.cfg
	legacy := c.agency != ""
	if !legacy {
		c.say(ctx, true, "welcome")
	}
	c.mu.Lock()
	verified := c.identity != nil
	c.mu.Unlock()
	if cfg.IdentityMode != "off" && c.sb.identity != nil && !verified && !c.consult {
		if !c.identityStep(ctx) {
			return
		}
	}
	if !legacy && !c.menuStep(ctx) {
		return
	}
	c.queue(ctx)
}

// say plays prompts. With bargeIn a key press stops the prompt at once and the key
// stays buffered for whoever reads keys next. It reports false when the call is gone.
func (c *Call) say(ctx context.Context, bargeIn bool, names ...string) bool {
	if bargeIn && c.keys.pending() {
		return ctx.Err() == nil
	}
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		// A closed leg is the caller hanging up mid-prompt: nothing to report.
		if err := c.sb.audio.Play(pctx, c.leg.Media(), names...); err != nil && pctx.Err() == nil && !errors.Is(err, media.ErrClosed) {
			c.sb.log.Warn("prompt", "call", c.ID, "err", err)
		}
	}()
	if bargeIn {
		select {
		case <-done:
		case <-c.keys.notify:
			// The key stays in the buffer: nextKey pops before it waits.
			stop()
			<-done
		case <-ctx.Done():
			<-done
		}
	} else {
		<-done
	}
	return ctx.Err() == nil
}

// nextKey waits up to d for a key. ok is false on timeout or when the call is gone.
func (c *Call) nextKey(ctx context.Context, d time.Duration) (rune, bool) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		if k, ok := c.keys.pop(); ok {
			return k, true
		}
		select {
		case <-c.keys.notify:
		case <-timer.C:
			return 0, false
		case <-ctx.Done():
			return 0, false
		}
	}
}

// choose reads an agency choice: keys until a unique match, '#', or the
// inter-digit timeout. It returns "" for no input and ok=false for an invalid choice.
func (c *Call) choose(ctx context.Context, m *Menu) (agency string, ok bool, any bool) {
	cfg := &c.sb.cfg
	keys := ""
	wait := cfg.MenuTimeout
	for {
		k, got := c.nextKey(ctx, wait)
		if !got {
			if keys == "" {
				return "", false, false
			}
			a, ok := m.Finish(keys)
			return a, ok, true
		}
		if k == '#' {
			a, ok := m.Finish(keys)
			return a, ok, true
		}
		keys += string(k)
		switch v, a := m.Match(keys); v {
		case Chosen:
			return a, true, true
		case Invalid:
			return "", false, true
		}
		wait = cfg.InterDigit
	}
}

// menuStep runs the agency menu; false means the call ended.
func (c *Call) menuStep(ctx context.Context) bool {
	cfg := &c.sb.cfg
	for try := 0; try < cfg.MenuRetries; try++ {
		if !c.say(ctx, true, c.sb.menuPrompt...) {
			return false
		}
		agency, ok, any := c.choose(ctx, c.sb.menu)
		if ctx.Err() != nil {
			return false
		}
		if ok {
			c.mu.Lock()
			c.agency = agency
			c.mu.Unlock()
			return true
		}
		c.keys.clear()
		if any {
			c.say(ctx, false, "invalid")
		} else {
			c.say(ctx, false, "no-input")
		}
	}
	c.endPolitely(ctx, "rejected", "goodbye")
	return false
}

// endPolitely plays a last prompt, records the outcome and hangs up.
func (c *Call) endPolitely(ctx context.Context, outcome string, prompt string) {
	c.mu.Lock()
	if c.outcome == "" {
		c.outcome = outcome
	}
	c.mu.Unlock()
	c.say(ctx, false, prompt)
	c.hangup()
}

func (c *Call) hangup() {
	hctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.leg.Hangup(hctx); err != nil {
		c.sb.log.Debug("caller hangup", "call", c.ID, "err", err)
	}
}

// spellDigits turns "0427" into the prompt names of its digits.
func spellDigits(s string) []string {
	out := make([]string, 0, len(s))
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			out = append(out, "digit-"+string(r))
		case r == '*':
			out = append(out, "star")
		case r == '#':
			out = append(out, "hash")
		}
	}
	return out
}

// sayNumber names the prompts that read n aloud (0..69 from recorded numbers; larger
// numbers are read digit by digit).
func sayNumber(n int) []string {
	switch {
	case n < 0:
		return nil
	case n <= 20:
		return []string{numberName(n)}
	case n < 70:
		tens, units := n/10*10, n%10
		if units == 0 {
			return []string{numberName(tens)}
		}
		return []string{numberName(tens), numberName(units)}
	}
	return spellDigits(strconv.Itoa(n))
}

func numberName(n int) string { return "number-" + strconv.Itoa(n) }
