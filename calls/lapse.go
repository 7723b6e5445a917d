package calls

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/frontdoor-project/frontdoor/agents"
	"github.com/frontdoor-project/frontdoor/routing"
	"github.com/frontdoor-project/frontdoor/store"
)

// A cluster node can be declared lost while it lives (its presence lease
// lapsed: a long pause, an etcd hiccup). The center then ended its calls and
// logged out its agents in the shared engine, the leader records the calls as
// cut off and takes its callbacks over. The node falls in with that, rather
// than going on as if nothing happened: docs/architecture-cluster.md, "A node
// declared lost while alive".

// ErrDeclaredLost refuses new calls between a node being declared lost and
// its presence being registered again (Admit wraps it in ErrOverloaded: 503).
var ErrDeclaredLost = errors.New("declared lost by the cluster; registering again")

// lapse is the switchboard's state while declared lost. Guarded by s.mu.
type lapse struct {
	lost bool
	// gen counts declarations: a rejoin opens the node again only for the
	// latest, since the presence it waited for may have lapsed once more.
	gen       uint64
	relogin   []string // agents of this node the center logged out, to log in again
	suspended []string // callbacks dropped here, to claim again once registered
}

// rejoinWait bounds how long Rejoined waits for the calls it ended to go.
const rejoinWait = 10 * time.Second

// DeclaredLost ends what the center ended for this node: every call it holds
// is hung up (caller and agent legs) and recorded cut off, as the leader
// records it; callbacks waiting here (nobody on the line) are dropped from
// memory, their store records left for whoever claims them; new calls are
// refused until Rejoined. acts are the node_lost entry's actions. Callers
// hold s.mu (the replica applies the entry under it); nothing here blocks.
// The result names this declaration for Rejoined.
func (s *Switchboard) DeclaredLost(acts []routing.Action) uint64 {
	s.lapse.lost = true
	s.lapse.gen++
	for _, a := range acts {
		if a.Kind == routing.AgentState && a.State == agents.LoggedOut && s.home[a.AgentID] && !slices.Contains(s.lapse.relogin, a.AgentID) {
			s.lapse.relogin = append(s.lapse.relogin, a.AgentID)
		}
	}
	for id := range s.home {
		// Busy on another node's call: the center logs it out when that ends.
		if st, ok := s.eng.Agent(id); ok && st.State != agents.LoggedOut && !slices.Contains(s.lapse.relogin, id) {
			s.lapse.relogin = append(s.lapse.relogin, id)
		}
	}
	for _, c := range s.calls {
		c.mu.Lock()
		state := c.state
		if c.callback != nil && state != StateConnected {
			// An attempt being made (the citizen's phone ringing) is lost,
			// not counted: the node that claims the callback makes the next.
			c.suspended = true
			c.cancel()
			s.lapse.suspended = append(s.lapse.suspended, c.ID)
		} else {
			c.cutOff = true
		}
		c.mu.Unlock()
		if c.callback != nil && state != StateConnected {
			s.log.Warn("cluster: declared lost; callback dropped here until claimed again", "call", c.ID)
			continue
		}
		s.log.Warn("cluster: declared lost; ending call as cut off", "call", c.ID, "state", state)
		go c.hangup() // the call's goroutine sees the leg end and hangs up the agent
	}
	return s.lapse.gen
}

// Rejoined is called once the node's presence is registered again after
// DeclaredLost: the agents the center logged out are logged in again (not
// ready: the agent sees the change and presses ready; a phone that is still
// registered cannot tell it was ever out), the callbacks still this node's in
// the store are claimed and resumed (those the leader claimed are its), and
// new calls are taken again. gen is DeclaredLost's result: a rejoin for an
// earlier declaration than the latest does nothing (the latest's own rejoin
// follows once the presence is back). Callers must not hold s.mu.
func (s *Switchboard) Rejoined(ctx context.Context, gen uint64) {
	s.mu.Lock()
	if gen != s.lapse.gen {
		s.mu.Unlock()
		return
	}
	var relogin []string
	for _, id := range s.lapse.relogin {
		if s.home[id] { // not gone offline meanwhile
			relogin = append(relogin, id)
		}
	}
	suspended := s.lapse.suspended
	s.lapse.relogin, s.lapse.suspended = nil, nil
	s.mu.Unlock()
	for _, id := range relogin {
		s.submitOrLog(Input{Kind: routing.InputLogin, AgentID: id})
		s.log.Info("cluster: agent logged in again after the node was declared lost", "agent", id)
	}
	s.waitGone(ctx, suspended)
	if err := s.ResumeCallbacks(ctx); err != nil {
		s.log.Error("cluster: callbacks not claimed again after the node was declared lost", "err", err)
	}
	s.mu.Lock()
	latest := gen == s.lapse.gen
	if latest {
		s.lapse.lost = false
	}
	s.mu.Unlock()
	if !latest {
		return // declared lost again meanwhile: that declaration's rejoin opens
	}
	s.log.Info("cluster: registered again after being declared lost; taking new calls", "agents", len(relogin))
}

// waitGone waits until the calls ids have left the switchboard (their
// goroutines ended), so a callback can be resumed under its own id.
func (s *Switchboard) waitGone(ctx context.Context, ids []string) {
	ctx, cancel := context.WithTimeout(ctx, rejoinWait)
	defer cancel()
	for {
		s.mu.Lock()
		held := slices.ContainsFunc(ids, func(id string) bool { _, ok := s.calls[id]; return ok })
		s.mu.Unlock()
		if !held {
			return
		}
		select {
		case <-ctx.Done():
			s.log.Warn("cluster: dropped callbacks still held; resuming the others")
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Lapsed is ErrDeclaredLost between the node being declared lost and
// registering again (for /readyz: a balancer should send elsewhere), else nil.
func (s *Switchboard) Lapsed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lapseErr()
}

// lapseErr refuses new calls while declared lost. Callers hold s.mu.
func (s *Switchboard) lapseErr() error {
	if s.lapse.lost {
		return ErrDeclaredLost
	}
	return nil
}

// callbackTakenOver says whether c's callback record is no longer this
// node's (the leader claimed it while this node was declared lost) or is
// gone; c is then dropped here without writing anything: the record's node
// calls the citizen. Asked before each attempt and each retry's write. A
// store that cannot answer keeps the callback (a read failure is no claim).
func (c *Call) callbackTakenOver(ctx context.Context) bool {
	s := c.sb
	if s.cfg.Node == "" {
		return false
	}
	recs, err := s.cfg.Store.Callbacks(ctx)
	if err != nil {
		s.log.Warn("callback: cannot tell whose it is; keeping it", "call", c.ID, "err", err)
		return false
	}
	i := slices.IndexFunc(recs, func(r store.Callback) bool { return r.CallID == c.ID })
	if i >= 0 && recs[i].Node == s.cfg.Node {
		return false
	}
	owner := ""
	if i >= 0 {
		owner = recs[i].Node
	}
	s.log.Warn("callback taken over by another node; dropped here", "call", c.ID, "node", owner)
	c.mu.Lock()
	c.suspended = true
	c.mu.Unlock()
	return true
}
