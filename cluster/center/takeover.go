package center

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/frontdoor-project/frontdoor/store"
)

// Resumer takes a callback up on this node (calls.Switchboard).
type Resumer interface {
	CanResumeCallback(callID string) bool
	ResumeCallback(rec store.Callback) bool
}

// Takeovers is the leader's other sweep: each booked callback whose node has
// no presence key any more (kill -9, power loss, a node drained for good) is
// claimed by the leader and resumed here, keeping its schedule (NextAt,
// Attempts), so the citizen is still called back, once. The claim is a
// transaction on the record as read, so two leaders in a race (a deposed one
// still sweeping), or the lost node restarting and claiming its own, cannot
// both get it. An attempt the lost node was making at that moment (dialling
// the citizen) is lost with it and not counted: the leader makes the next one.
type Takeovers struct {
	ACD     Leadership
	Store   store.Store
	Node    string // this node's id
	Resumer Resumer
	Log     *slog.Logger
}

// Run sweeps while this node leads, until ctx ends.
func (t *Takeovers) Run(ctx context.Context) {
	whileLeading(ctx, t.ACD, t.Log, "callback takeover sweep", t.Sweep)
}

// Sweep takes over the callbacks of absent nodes and says how many.
func (t *Takeovers) Sweep(ctx context.Context) (int, error) {
	// Callbacks first, nodes second (as in CutOffs.Sweep): a node registers
	// its presence before it books or claims a callback, so one read here
	// whose node is absent next is of a node that was gone at the read; a
	// node that came back since has claimed it anew, and the claim below,
	// made on this older read, fails.
	recs, err := t.Store.Callbacks(ctx)
	if err != nil {
		return 0, fmt.Errorf("read callbacks: %w", err)
	}
	alive, err := present(ctx, t.ACD)
	if err != nil {
		return 0, err
	}
	taken := 0
	for _, rec := range recs {
		if rec.Node == "" || rec.Node == t.Node || alive[rec.Node] {
			continue
		}
		// Until the lost node's node_lost entry is applied the shared engine
		// still queues the call: resuming it now would queue it twice. The
		// next sweep sees it gone.
		if !t.Resumer.CanResumeCallback(rec.CallID) {
			continue
		}
		claimed, ok, err := t.Store.ClaimCallback(ctx, rec, t.Node)
		if err != nil {
			return taken, fmt.Errorf("claim callback %s of lost node %s: %w", rec.CallID, rec.Node, err)
		}
		if !ok {
			continue // another node claimed it first
		}
		if !t.Resumer.ResumeCallback(claimed) {
			// Draining since the check: the record is ours, and our
			// presence key goes with the drain, so a survivor's leader
			// takes it over in turn.
			t.Log.Warn("cluster: callback of a lost node claimed but not resumed", "call", rec.CallID, "node", rec.Node)
			continue
		}
		taken++
		t.Log.Warn("cluster: callback of a lost node taken over", "call", rec.CallID, "node", rec.Node,
			"attempts", claimed.Attempts, "next_at", claimed.NextAt)
	}
	return taken, nil
}
