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
func (c *CutOffs) Run(ctx context.Context) {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !c.ACD.IsLeader() {
			continue
		}
		if _, err := c.Sweep(ctx); err != nil && ctx.Err() == nil {
			c.Log.Warn("cluster: cut-off sweep", "err", err)
		}
	}
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
	nodes, err := c.ACD.Nodes(ctx)
	if err != nil {
		return 0, fmt.Errorf("read nodes: %w", err)
	}
	present := map[string]bool{}
	for _, n := range nodes {
		present[n.NodeID] = true
	}
	written := 0
	for _, a := range active {
		if a.Node == "" || present[a.Node] {
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
