package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/frontdoor-project/frontdoor/routing"
	"github.com/frontdoor-project/frontdoor/routing/routingtest"
)

// snapshotting makes the leader snapshot every n entries and compact at once.
func snapshotting(n int) func(*Config) {
	return func(c *Config) { c.SnapshotEvery, c.CompactAfter = n, time.Nanosecond }
}

// traffic submits n random inputs through r, drawn from r's own engine
// (the property test's script), so calls get offered, answered and hung up.
func traffic(r *replica, sc *routingtest.Inputs, n int) {
	r.t.Helper()
	for range n {
		r.mu.Lock()
		in := sc.At(r.acd.Engine(), time.Now())
		r.mu.Unlock()
		// Refusals (a hang-up of a call already gone, ...) are part of it.
		if err := r.submit(in); err != nil && !errors.Is(err, routing.ErrLoggedOut) && !errors.Is(err, routing.ErrUnknownAgent) {
			r.t.Fatalf("node %s: submit %s: %v", r.id, in.Kind, err)
		}
	}
}

// untilSnapshot waits until the newest snapshot is past revision rev.
func untilSnapshot(t testing.TB, r *replica, rev int64) *snapshot {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		snap, _, _, err := r.acd.readSnapshot(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		if snap != nil && snap.Rev > rev {
			return snap
		}
		if time.Now().After(deadline) {
			t.Fatalf("no snapshot past revision %d in 30 s", rev)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sameState waits until every replica has applied the same log records
// and checks their engines, ownership maps and entry counts are identical.
func sameState(t testing.TB, rs ...*replica) {
	t.Helper()
	states := atOneRevision(t, rs, func(r *replica) string {
		eng, err := r.acd.Engine().MarshalState()
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("entries %d owner %v home %v\n%s", r.acd.entries, r.acd.owner, r.acd.home, eng)
	})
	for i, r := range rs[1:] {
		if states[i+1] != states[0] {
			t.Fatalf("node %s differs from node %s at revision %d:\n%s\n---\n%s", r.id, rs[0].id, r.acd.Applied(), states[i+1], states[0])
		}
	}
}

// TestSnapshotStartsNewReplica: after many entries and snapshots, a new
// node starts from the newest snapshot plus the log after it and holds
// exactly the state of the node that applied every entry; the log below
// the previous snapshot is gone, and so is etcd's old history.
func TestSnapshotStartsNewReplica(t *testing.T) {
	etcd := startEtcd(t, 1)
	n1 := newReplica(t, etcd, "n1", propertyRouting(), snapshotting(40))
	leaderOf(t, n1)
	sc := newScript(rand.New(rand.NewPCG(1, 2)))
	traffic(n1, sc, 300)
	snap := untilSnapshot(t, n1, 0)
	trimmedLog(t, n1)
	if snap.Trimmed == 0 {
		t.Fatalf("snapshot at %d trimmed nothing", snap.Rev)
	}
	if _, err := n1.cli.Get(ctxT(t), n1.acd.logPrefix(), clientv3.WithPrefix(), clientv3.WithRev(1)); !errors.Is(err, rpctypes.ErrCompacted) {
		t.Fatalf("revision 1 is still readable (%v): etcd's history was not compacted", err)
	}
	n2 := newReplica(t, etcd, "n2", propertyRouting(), snapshotting(40))
	if n2.acd.restored.Load() != 1 {
		t.Fatalf("n2 restored %d snapshots, want 1", n2.acd.restored.Load())
	}
	if recs := len(n2.records()); int64(recs) >= n1.acd.entries {
		t.Fatalf("n2 applied %d entries itself of %d: it replayed the whole log", recs, n1.acd.entries)
	}
	sameState(t, n1, n2)
	// Both go on alike, whoever submits.
	traffic(n2, sc, 60)
	agree(t, n1, n2)
	sameState(t, n1, n2)
}

// TestSnapshotLeaderGoneAfterSnapshot: the leader dies right after writing
// a snapshot; the next leader fires the timers and writes the next
// snapshots, trimming on, and a node joining later agrees with it.
func TestSnapshotLeaderGoneAfterSnapshot(t *testing.T) {
	etcd := startEtcd(t, 1)
	n1 := newReplica(t, etcd, "n1", propertyRouting(), snapshotting(30))
	leaderOf(t, n1)
	n2 := newReplica(t, etcd, "n2", propertyRouting(), snapshotting(30))
	sc := newScript(rand.New(rand.NewPCG(3, 4)))
	traffic(n2, sc, 40)
	first := untilSnapshot(t, n2, 0)
	n1.kill()
	if leaderOf(t, n2) != n2 {
		t.Fatal("n2 does not lead")
	}
	// A ring timeout only the new leader can fire: every call ends, every
	// agent but a1 leaves, and a1 lets a new call ring out.
	n2.mu.Lock()
	calls := n2.acd.Engine().Calls()
	n2.mu.Unlock()
	for _, c := range calls {
		n2.must(routing.Input{Kind: routing.InputCallerHangup, CallID: c.ID})
	}
	for _, id := range agentIDs {
		n2.must(routing.Input{Kind: routing.InputLogout, AgentID: id})
	}
	n2.must(routing.Input{Kind: routing.InputLogin, AgentID: "a1"})
	n2.must(routing.Input{Kind: routing.InputSetReady, AgentID: "a1"})
	n2.must(routing.Input{Kind: routing.InputArrive, Call: &routing.Call{ID: "ring-out", Queue: "random"}})
	n2.until("the ring timeout fired", func() bool {
		return count(n2.log, routing.Offer, "ring-out") > 0 && count(n2.log, routing.CancelOffer, "ring-out") > 0
	})
	traffic(n2, sc, 100)
	later := untilSnapshot(t, n2, first.Rev+1)
	if later.Trimmed < first.Rev {
		t.Fatalf("the new leader's snapshot trimmed through %d, want at least the first one's %d", later.Trimmed, first.Rev)
	}
	trimmedLog(t, n2)
	n3 := newReplica(t, etcd, "n3", propertyRouting(), snapshotting(30))
	sameState(t, n2, n3)
	traffic(n3, sc, 20)
	agree(t, n2, n3)
}

// TestSnapshotReplicaBehindCompaction: a replica cut off from etcd while
// the log is trimmed and etcd's history compacted past it comes back by
// the snapshot (its watch fails with ErrCompacted) and holds the same
// state as the rest.
func TestSnapshotReplicaBehindCompaction(t *testing.T) {
	etcd := startEtcd(t, 3)
	// n1 talks to the members that stay, n2 only to the one that goes.
	n1 := newReplicaOn(t, clientOf(t, etcd.Endpoints()[:2]), "n1", propertyRouting(), snapshotting(25))
	leaderOf(t, n1)
	n2 := newReplicaOn(t, clientOf(t, etcd.Endpoints()[2:]), "n2", propertyRouting(), snapshotting(25))
	sc := newScript(rand.New(rand.NewPCG(5, 6)))
	traffic(n1, sc, 30)
	sameState(t, n1, n2)
	behind := n2.acd.Applied()
	etcd.Stop(2)
	traffic(n1, sc, 150)
	snap := untilSnapshot(t, n1, behind)
	if snap.Trimmed <= behind {
		traffic(n1, sc, 60)
		snap = untilSnapshot(t, n1, snap.Rev)
	}
	trimmedLog(t, n1)
	etcd.Restart(2)
	sameState(t, n1, n2)
	if n2.acd.restored.Load() == 0 {
		t.Fatal("n2 caught up without the snapshot, though the log it missed was trimmed")
	}
}

func clientOf(t testing.TB, endpoints []string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

func TestSnapshotRefusesOtherConfig(t *testing.T) {
	etcd := startEtcd(t, 1)
	n1 := newReplica(t, etcd, "n1", propertyRouting(), snapshotting(10))
	leaderOf(t, n1)
	traffic(n1, newScript(rand.New(rand.NewPCG(7, 8))), 30)
	untilSnapshot(t, n1, 0)
	other := propertyRouting()
	other.Queues[0].RingTimeout++
	_, err := New(ctxT(t), Config{NodeID: "n2", Client: etcd.client(t), Prefix: "/fd", Engine: other, Seed: 7, Logger: quietLogger()})
	if !errors.Is(err, routing.ErrStateConfig) {
		t.Fatalf("a node of another config started on the snapshot: %v", err)
	}
}

func TestSnapshotEncoding(t *testing.T) {
	in := &snapshot{Rev: 9, Index: 2, Entries: 30, Trimmed: 4, Clock: time.Unix(5, 0).UTC(), Owner: map[string]string{"c1": "n1"},
		Home: map[string]string{"a1": "n2"}, Engine: []byte(`{"version":1}`), Written: time.Unix(6, 0).UTC(), Older: []mark{{Rev: 3, At: time.Unix(1, 0).UTC()}}}
	val, err := encodeSnapshot(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeSnapshot(val)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := fmt.Sprintf("%+v", *in), fmt.Sprintf("%+v", *out); a != b || !bytes.Equal(in.Engine, out.Engine) {
		t.Fatalf("round trip:\n%s\n%s", a, b)
	}
	if _, err := decodeSnapshot([]byte("not gzip")); err == nil {
		t.Fatal("decoded garbage")
	}
}

// TestSnapshotNoCompactionKeepsNoMarks: a leader told never to compact
// (CompactAfter < 0) does not carry every earlier snapshot's mark from one
// snapshot to the next: they would only grow the snapshot value, one mark
// per snapshot, until etcd refuses it.
func TestSnapshotNoCompactionKeepsNoMarks(t *testing.T) {
	etcd := startEtcd(t, 1)
	n1 := newReplica(t, etcd, "n1", testRouting(), func(c *Config) { c.SnapshotEvery, c.CompactAfter = 2, -1 })
	leaderOf(t, n1)
	var rev int64
	for i := range 5 {
		login(n1, "a1", false)
		n1.must(routing.Input{Kind: routing.InputLogout, AgentID: "a1"})
		snap := untilSnapshot(t, n1, rev)
		rev = snap.Rev
		if len(snap.Older) > 0 {
			t.Fatalf("snapshot %d carries %d marks of earlier snapshots, none of which will be compacted: %+v", i, len(snap.Older), snap.Older)
		}
	}
}
