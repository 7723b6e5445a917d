package center

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/cluster"
	"github.com/frontdoor-project/frontdoor/cluster/etcdtest"
	"github.com/frontdoor-project/frontdoor/routing"
	"github.com/frontdoor-project/frontdoor/store"
	"github.com/frontdoor-project/frontdoor/store/etcdstore"
)

// TestCutOffSweepSparesTheLeadersOwnCalls: the leader's own presence key is
// gone for a moment (its lease lapsed, an operator deleted it) while it
// leads and carries calls. Those calls go on (the leader never declares
// itself lost), so its sweep must not record them cut off: that CDR would
// stand in for the real one, which the store then refuses. A lost node's
// call next to them is recorded as usual.
func TestCutOffSweepSparesTheLeadersOwnCalls(t *testing.T) {
	etcd := etcdtest.Start(t, 1)
	cli := etcd.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := etcdstore.Open(etcdstore.Config{Client: cli, Prefix: "/fd"})
	if err != nil {
		t.Fatal(err)
	}
	acd, err := cluster.New(ctx, cluster.Config{NodeID: "n1", Client: cli, Prefix: "/fd",
		Engine: routing.Config{Queues: []routing.QueueConfig{{ID: "tax"}}}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer acd.Close()
	for !acd.IsLeader() {
		if ctx.Err() != nil {
			t.Fatal("n1 never led")
		}
		time.Sleep(20 * time.Millisecond)
	}
	started := time.Now().Add(-time.Minute)
	for _, c := range []store.ActiveCall{{CallID: "own", Node: "n1", StartedAt: started}, {CallID: "lost", Node: "gone", StartedAt: started}} {
		if err := st.PutActiveCall(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cli.Delete(ctx, "/fd/nodes/n1"); err != nil {
		t.Fatal(err)
	}
	sweep := &CutOffs{ACD: acd, Store: st, Log: slog.New(slog.DiscardHandler), Now: time.Now}
	n, err := sweep.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cdrs, err := st.CDRs(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cdrs {
		if c.CallID == "own" {
			t.Fatalf("the leader's own call in progress recorded as %s", c.Outcome)
		}
	}
	if n != 1 || len(cdrs) != 1 || cdrs[0].CallID != "lost" || cdrs[0].Outcome != OutcomeCutOff {
		t.Fatalf("sweep wrote %d: %+v; want the lost node's call cut off", n, cdrs)
	}
	active, err := st.ActiveCalls(ctx)
	if err != nil || len(active) != 1 || active[0].CallID != "own" {
		t.Fatalf("calls in progress after the sweep: %+v %v; want the leader's own kept", active, err)
	}
}
