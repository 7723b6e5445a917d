package calls

import (
	"context"
	"time"
)

// identityStep offers verification with the caller's digital ID: press 1 to verify,
// 2 to go on without. The code of a fresh session is read out; the wallet answers it
// while the caller hears hold audio. '*' repeats the code; where a text can be sent
// (identity_text.go), '1' texts the wallet link. It returns false when the
// call ended (hang-up, or identity.mode require and no verified identity).
func (c *Call) identityStep(ctx context.Context) bool {
	cfg := &c.sb.cfg
	require := cfg.IdentityMode == "require"
	c.setState(StateIdentity)
	defer c.setState(StateIVR)

	if !c.say(ctx, true, "identity-offer") {
		return false
	}
	k, _ := c.nextKey(ctx, cfg.MenuTimeout)
	if ctx.Err() != nil {
		return false
	}
	if k != '1' {
		c.sb.observeIdentity("phone-code", "skipped")
		if require {
			c.endPolitely(ctx, "rejected", "identity-required")
			return false
		}
		return true
	}
	asserted := ""
	if c.fromAsserted {
		asserted = c.From
	}
	sessionID, code, match, err := c.sb.identity.Start(ctx, c.ID, asserted)
	if err != nil {
		c.sb.log.Error("identity session", "call", c.ID, "err", err)
		return c.identityFailed(ctx, require)
	}
	c.mu.Lock()
	c.identityCode = code
	c.mu.Unlock()

	wctx, cancel := context.WithTimeout(ctx, cfg.IdentityWait)
	defer cancel()
	result := make(chan map[string]string, 1)
	go func() {
		claims, err := c.sb.identity.Wait(wctx, sessionID)
		if err != nil {
			claims = nil
		}
		result <- claims
	}()
	text := c.newIdentityText(asserted)
	readCode := func() []string {
		names := append(append(text.offer(), "identity-code"), spellDigits(code)...)
		names = append(names, "repeat")
		if match != "" {
			// Number matching: the pushed wallet shows these digits too.
			names = append(append(names, "identity-match"), spellDigits(match)...)
		}
		return append(names, "identity-wait")
	}
	announce := readCode()
	for {
		// Say the announcement (a key interrupts it), then hold audio until
		// verified, timed out, or a key: '*' asks for the code again, '1'
		// takes the text-message offer.
		pctx, stop := context.WithCancel(wctx)
		names := announce
		go func() {
			c.say(pctx, true, names...)
			if pctx.Err() == nil {
				c.sb.audio.Loop(pctx, c.leg.Media(), "hold")
			}
		}()
		select {
		case claims := <-result:
			stop()
			if ctx.Err() != nil {
				return false
			}
			if claims == nil {
				return c.identityFailed(ctx, require)
			}
			c.mu.Lock()
			c.identity = claims
			c.mu.Unlock()
			c.say(ctx, false, "identity-ok")
			return ctx.Err() == nil
		case <-c.keys.notify:
			stop()
			announce = readCode()
			for {
				k, ok := c.keys.pop()
				if !ok {
					break
				}
				if k == '1' {
					if a, ok := c.textPressed(wctx, text, sessionID, readCode); ok {
						announce = a
					}
				}
				if k == '*' {
					c.sb.log.Debug("identity code repeated", "call", c.ID)
				}
			}
		}
		if ctx.Err() != nil {
			return false
		}
	}
}

func (c *Call) identityFailed(ctx context.Context, require bool) bool {
	if require {
		c.endPolitely(ctx, "rejected", "identity-required")
		return false
	}
	c.say(ctx, false, "identity-failed")
	return ctx.Err() == nil
}

// identityTimeoutDefault is used when the config leaves the wait at zero.
const identityTimeoutDefault = 60 * time.Second
