package center

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/frontdoor-project/frontdoor/cluster"
	"github.com/frontdoor-project/frontdoor/store"
)

// OutcomeCutOff is the CDR outcome of a call whose node died (calls.OutcomeCutOff).
const OutcomeCutOff = "cut_off"

// sweepEvery is how often the leader looks for calls of nodes that are gone.
const sweepEvery = time.Second

// Leadership is the ACD replica's view of who leads (cluster.ACD).
type Leadership interface {
	IsLeader() bool
	NodeID() string
	Nodes(ctx context.Context) ([]cluster.NodeInfo, error)
}

// CutOffs is the leader's sweep: each call in progress whose node has no
// presence key any more (kill -9, power loss) gets its CDR, outcome cut_off,
// written once (the store refuses a second CDR of a call), and is forgotten.
// Any new leader sweeps again, so a leader dying halfway loses nothing.
type CutOffs struct {
	ACD   Leadership
	Store store.Store
	Log   *slog.Logger
	Now   func() time.Time
}

// Run sweeps while this node leads, until ctx ends.
func (c *CutOffs) Run(ctx context.Context) { whileLeading(ctx, c.ACD, c.Log, "cut-off sweep", c.Sweep) }

// whileLeading runs sweep every sweepEvery while acd says this node leads.
func whileLeading(ctx context.Context, acd Leadership, log *slog.Logger, what string, sweep func(context.Context) (int, error)) {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !acd.IsLeader() {
			continue
		}
		if _, err := sweep(ctx); err != nil && ctx.Err() == nil {
			log.Warn("cluster: "+what, "err", err)
		}
	}
}

// present is the set of nodes with a presence key now.
func present(ctx context.Context, acd Leadership) (map[string]bool, error) {
	nodes, err := acd.Nodes(ctx)
	if err != nil {
		return nil, fmt.Errorf("read nodes: %w", err)
	}
	out := map[string]bool{}
	for _, n := range nodes {
		out[n.NodeID] = true
	}
	return out, nil
}

// Sweep writes the cut-off CDRs of calls held by absent nodes and says how many.
func (c *CutOffs) Sweep(ctx context.Context) (int, error) {
	// Calls first, nodes second: a node registers its presence before it
	// records any call, so a call listed here whose node is not present
	// next belongs to a node that is gone.
	active, err := c.Store.ActiveCalls(ctx)
	if err != nil {
		return 0, fmt.Errorf("read calls in progress: %w", err)
	}
	alive, err := present(ctx, c.ACD)
	if err != nil {
		return 0, err
	}
	written := 0
	for _, a := range active {
		// The leader's own calls go on whatever its presence key says (it
		// never declares itself lost, and registers again): a cut-off CDR
		// now would take the place of the one the call ends with.
		if a.Node == "" || a.Node == c.ACD.NodeID() || alive[a.Node] {
			continue
		}
		cdr := a.CutOffCDR(c.Now(), OutcomeCutOff)
		switch err := c.Store.PutCDR(ctx, cdr); {
		case errors.Is(err, store.ErrCDRExists):
			// The node wrote the call's own CDR just before it died.
		case err != nil:
			return written, fmt.Errorf("CDR of cut-off call %s: %w", a.CallID, err)
		default:
			written++
			c.Log.Warn("cluster: call of a lost node recorded as cut off", "call", a.CallID, "node", a.Node, "started_at", a.StartedAt)
		}
		if err := c.Store.DeleteActiveCall(ctx, a.CallID); err != nil {
			return written, fmt.Errorf("forget cut-off call %s: %w", a.CallID, err)
		}
	}
	return written, nil
}
