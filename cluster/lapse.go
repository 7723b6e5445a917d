package cluster

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// A node alive while its presence lease lapsed (a long pause, an etcd
// hiccup) is lost to the center all the same: the leader saw its key go and
// appended node_lost, and every replica, this node's too, ended its calls and
// logged out its agents at that point of the log. The node learns it from
// that entry, not from its lease: a lease lost and granted again while no
// leader looked ended nothing, and the entry is what every replica agrees on.

// DeclaresLost says whether e is a node_lost entry, written by another node
// (the leader), that ends node's calls while node takes part: node is alive
// and was declared lost. The node_lost a node writes for its own id while it
// starts (its previous run's calls) is not one, nor is a replayed entry.
func (e Entry) DeclaresLost(node string) bool {
	return e.Input.Kind == NodeLost && e.Lost == node && e.Node != node && !e.Replayed
}

// Registered waits until this node's presence key is in etcd on its current
// lease: the presence loop registers again once the lapsed lease is gone,
// and from then on the leader counts this node as present again.
func (a *ACD) Registered(ctx context.Context) error {
	for {
		tctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
		resp, err := a.cli.Get(tctx, a.nodeKey())
		cancel()
		if err == nil && len(resp.Kvs) == 1 && resp.Kvs[0].Lease == a.lease.Load() && a.leaseAlive(ctx) {
			return nil
		}
		if err := sleepCtx(ctx, retryDelay); err != nil {
			return fmt.Errorf("cluster: wait for presence to be registered again: %w", err)
		}
	}
}

// leaseAlive: the key of a lease that has just lapsed may still be read
// for a moment before etcd deletes it.
func (a *ACD) leaseAlive(ctx context.Context) bool {
	tctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	ttl, err := a.cli.TimeToLive(tctx, clientv3.LeaseID(a.lease.Load()))
	return err == nil && ttl.TTL > 0
}
