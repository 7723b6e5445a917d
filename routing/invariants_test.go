package routing

import (
	"fmt"

	"github.com/frontdoor-project/frontdoor/agents"
)

// checkInvariants inspects the engine's insides for what must hold between
// inputs.
func (e *Engine) checkInvariants() error {
	ringingFor := map[*agent]*call{}
	for id, c := range e.calls {
		if c.id != id {
			return fmt.Errorf("call map key %s holds %s", id, c.id)
		}
		switch c.state {
		case callQueued:
			if c.hidx < 0 || c.q.tiers[c.tier].calls[c.hidx] != c {
				return fmt.Errorf("queued call %s not in its tier heap", c.id)
			}
			if err := e.noIdleMatch(c); err != nil {
				return err
			}
		case callRinging:
			if len(c.ringing) == 0 {
				return fmt.Errorf("ringing call %s rings nobody", c.id)
			}
			for _, a := range c.ringing {
				if a.state != agents.Ringing || a.call != c {
					return fmt.Errorf("call %s rings %s which is %s on %v", c.id, a.id, a.state, a.call)
				}
				if other := ringingFor[a]; other != nil {
					return fmt.Errorf("agent %s offered %s and %s", a.id, other.id, c.id)
				}
				ringingFor[a] = c
			}
		case callConnected:
			if c.agent == nil || c.agent.state != agents.Busy || c.agent.call != c {
				return fmt.Errorf("connected call %s has agent %v", c.id, c.agent)
			}
		default:
			return fmt.Errorf("call %s in the map with state %d", c.id, c.state)
		}
	}
	for _, q := range e.queues {
		n := 0
		for ti := range q.tiers {
			n += len(q.tiers[ti].calls)
		}
		if n != q.waiting {
			return fmt.Errorf("queue %s: waiting %d, tiers hold %d", q.cfg.ID, q.waiting, n)
		}
		var counts [nStates]int
		for _, a := range e.agents {
			for i := range a.members {
				if a.members[i].q == q && a.members[i].level > 0 {
					counts[stateIndex(a.state)]++
				}
			}
		}
		if counts != q.counts {
			return fmt.Errorf("queue %s: counts %v, agents say %v", q.cfg.ID, q.counts, counts)
		}
	}
	for _, a := range e.agents {
		if !a.state.Valid() {
			return fmt.Errorf("agent %s in state %q", a.id, a.state)
		}
		for i := range a.members {
			if in := a.members[i].hidx >= 0; in != (a.state == agents.Ready) {
				return fmt.Errorf("agent %s (%s): in ready bucket of %s = %v", a.id, a.state, a.members[i].q.cfg.ID, in)
			}
		}
		switch a.state {
		case agents.Ringing:
			if ringingFor[a] == nil {
				return fmt.Errorf("agent %s ringing for no call", a.id)
			}
		case agents.Busy:
			if a.call == nil || a.call.state != callConnected || a.call.agent != a {
				return fmt.Errorf("busy agent %s without its call", a.id)
			}
		default:
			if a.call != nil {
				return fmt.Errorf("agent %s (%s) holds call %s", a.id, a.state, a.call.id)
			}
		}
		if (a.state == agents.WrapUp) != (a.tm.idx >= 0) {
			return fmt.Errorf("agent %s (%s): wrap-up timer set = %v", a.id, a.state, a.tm.idx >= 0)
		}
	}
	return nil
}

// noIdleMatch: a queued call never waits while a ready agent could take it.
func (e *Engine) noIdleMatch(c *call) error {
	t := &c.q.tiers[c.tier]
	for _, a := range e.agents {
		if a.state != agents.Ready {
			continue
		}
		for i := range a.members {
			if m := &a.members[i]; m.q == c.q && eligible(m, t) {
				return fmt.Errorf("call %s waits in %s (tier %d) while %s is ready", c.id, c.q.cfg.ID, c.tier, a.id)
			}
		}
	}
	return nil
}
