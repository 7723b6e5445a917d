package main

import (
	"context"
	"time"

	"github.com/frontdoor-project/frontdoor/calls"
	"github.com/frontdoor-project/frontdoor/routing"
)

// rejoinFor bounds the wait for this node's presence to be registered again
// after it was declared lost; past it etcd has been gone so long that the
// operators restart the node (which ends and resumes everything anyway).
const rejoinFor = 10 * time.Minute

// declaredLost: the leader declared this live node lost (its presence lease
// lapsed). The switchboard ends what the center ended, then, once the
// presence key is back, logs its agents in again and takes calls again.
// Called from onApplied, under cn.mu.
func (cn *clusterNode) declaredLost(sb *calls.Switchboard, acts []routing.Action) {
	cn.cutoffs.Log.Warn("cluster: this node was declared lost while alive (its presence lease lapsed); ending its calls")
	gen := sb.DeclaredLost(acts)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), rejoinFor)
		defer cancel()
		if err := cn.acd.Registered(ctx); err != nil {
			cn.cutoffs.Log.Error("cluster: declared lost and not registered again", "err", err)
			return
		}
		sb.Rejoined(ctx, gen)
	}()
}
