package cluster

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/frontdoor-project/frontdoor/agents"
	"github.com/frontdoor-project/frontdoor/routing"
)

// A live node whose presence lease is revoked (as a lapse would end it) is
// declared lost by the leader: its own replica applies the node_lost entry
// naming it, sees DeclaresLost, and Registered returns once the presence
// loop has put the key back on a new lease. The leader's replica and the
// node's start-up node_lost for its previous run never count as declared.
func TestLeaseLapseDeclaresLiveNodeLost(t *testing.T) {
	etcd := startEtcd(t, 1)
	declared := map[string]chan Entry{"n1": make(chan Entry, 4), "n2": make(chan Entry, 4)}
	tell := func(c *Config) {
		prev, id := c.OnApplied, c.NodeID
		c.OnApplied = func(e Entry, acts []routing.Action, err error) {
			prev(e, acts, err)
			if e.DeclaresLost(id) {
				declared[id] <- e
			}
		}
	}
	n1 := newReplica(t, etcd, "n1", testRouting(), tell)
	leaderOf(t, n1)
	n2 := newReplica(t, etcd, "n2", testRouting(), tell)
	login(n2, "a1", true)
	arrive(n2, "held", "tax") // offered to a1, homed on n2 too

	old := clientv3.LeaseID(n2.acd.lease.Load())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := etcd.client(t).Revoke(ctx, old); err != nil {
		t.Fatalf("revoke n2's presence lease: %v", err)
	}
	select {
	case e := <-declared["n2"]:
		if e.Node != "n1" || e.Lost != "n2" {
			t.Fatalf("declared lost by %+v, want n1's node_lost for n2", e)
		}
	case <-ctx.Done():
		t.Fatal("n2 never applied a node_lost declaring it lost")
	}
	n2.until("n2's call and agent ended", func() bool {
		_, live := n2.acd.Engine().Call("held")
		return !live && n2.agentState("a1") == agents.LoggedOut
	})
	if err := n2.acd.Registered(ctx); err != nil {
		t.Fatal(err)
	}
	resp, err := etcd.client(t).Get(ctx, "/fd/nodes/n2")
	if err != nil || len(resp.Kvs) != 1 || clientv3.LeaseID(resp.Kvs[0].Lease) == old {
		t.Fatalf("n2's presence after Registered: %+v %v; want the key on a new lease", resp, err)
	}
	// Back in: its new login is homed on it again, like any login.
	login(n2, "a1", false)
	n2.mu.Lock()
	home := n2.acd.AgentHome("a1")
	n2.mu.Unlock()
	if home != "n2" {
		t.Fatalf("a1 homed on %q after logging in again, want n2", home)
	}

	// A restart under the same id ends its previous run's calls itself:
	// not a declaration.
	arrive(n2, "before-restart", "tax")
	n2.kill()
	newReplica(t, etcd, "n2", testRouting(), tell)
	agree(t, n1)
	select {
	case e := <-declared["n1"]:
		t.Fatalf("the leader counted itself declared lost: %+v", e)
	case e := <-declared["n2"]:
		t.Fatalf("a restart counted as declared lost: %+v", e)
	default:
	}
}
