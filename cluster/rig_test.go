package cluster

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/frontdoor-project/frontdoor/agents"
	"github.com/frontdoor-project/frontdoor/routing"
)

// record is what a replica applied for one log entry.
type record struct {
	Rev  int64
	Node string
	Kind routing.InputKind
	Lost string
	Acts []routing.Action
	Err  string
}

// replica is one node of a test cluster: its own etcd client, its ACD and
// everything OnApplied told it.
type replica struct {
	t   testing.TB
	id  string
	cli *clientv3.Client
	acd *ACD
	mu  sync.Mutex // the Locker, as the switchboard's mutex would be
	log []record
}

func testRouting() routing.Config {
	return routing.Config{
		Queues: []routing.QueueConfig{
			{ID: "tax", RingTimeout: time.Second},
			{ID: "civil", Strategy: routing.StrategyRingAll, RingTimeout: time.Second},
		},
		Agents: []routing.AgentConfig{
			{ID: "a1", Skills: map[string]int{"tax": 5}},
			{ID: "a2", Skills: map[string]int{"tax": 3, "civil": 4}},
			{ID: "a3", Skills: map[string]int{"civil": 5}},
		},
	}
}

func newReplica(t testing.TB, etcd *testEtcd, id string, rcfg routing.Config, tune ...func(*Config)) *replica {
	t.Helper()
	return newReplicaOn(t, etcd.client(t), id, rcfg, tune...)
}

// newReplicaOn is newReplica with its own etcd client.
func newReplicaOn(t testing.TB, cli *clientv3.Client, id string, rcfg routing.Config, tune ...func(*Config)) *replica {
	t.Helper()
	r := &replica{t: t, id: id, cli: cli}
	cfg := Config{NodeID: id, Client: r.cli, Prefix: "/fd", Engine: rcfg, Seed: 7, Locker: &r.mu,
		Logger: quietLogger(), OnApplied: r.onApplied}
	for _, f := range tune {
		f(&cfg)
	}
	acd, err := New(ctxT(t), cfg)
	if err != nil {
		t.Fatalf("node %s: %v", id, err)
	}
	r.acd = acd
	t.Cleanup(acd.Close)
	return r
}

func (r *replica) onApplied(e Entry, acts []routing.Action, err error) {
	rec := record{Rev: e.Rev, Node: e.Node, Kind: e.Input.Kind, Lost: e.Lost, Acts: slices.Clone(acts)}
	if err != nil {
		rec.Err = err.Error()
	}
	r.log = append(r.log, rec)
}

// kill ends the node as a crash would: its client goes away at once, so
// nothing is withdrawn and its leases run out in etcd on their own.
func (r *replica) kill() {
	r.cli.Close()
	r.acd.Close()
}

func (r *replica) submit(in routing.Input) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return r.acd.Submit(ctx, in)
}

// must submits and fails the test on an error.
func (r *replica) must(in routing.Input) {
	r.t.Helper()
	if err := r.submit(in); err != nil {
		r.t.Fatalf("node %s: submit %s: %v", r.id, in.Kind, err)
	}
}

// until waits (on the replica's changes, no polling) for cond, which runs
// with the Locker held.
func (r *replica) until(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		changed := r.acd.changed.wait()
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			r.t.Fatalf("node %s: %s: not reached in 30 s", r.id, what)
		}
	}
}

func (r *replica) records() []record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.log)
}

// snapshot is the replica's view of the center.
func (r *replica) snapshot() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.view()
}

// view is snapshot with r.mu held.
func (r *replica) view() string {
	e := r.acd.Engine()
	return fmt.Sprintf("agents %+v\ncalls %+v\nqueues %+v", e.Agents(), e.Calls(), e.Queues())
}

func (r *replica) agentState(id string) agents.State {
	s, _ := r.acd.Engine().Agent(id)
	return s.State
}

// agree waits until every replica has applied the same log and checks
// they made the same decisions and hold the same state.
func agree(t testing.TB, rs ...*replica) {
	t.Helper()
	recs, snaps := settled(t, rs)
	want, wantSnap := recs[0], snaps[0]
	for i, r := range rs[1:] {
		// A replica that started from a snapshot saw only the records
		// after it: compare from there.
		got, want := tails(recs[i+1], want)
		for i := range min(len(got), len(want)) {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("node %s entry %d differs from node %s:\n%+v\n%+v", r.id, i, rs[0].id, got[i], want[i])
			}
		}
		if len(got) != len(want) {
			t.Fatalf("node %s applied %d entries, node %s %d", r.id, len(got), rs[0].id, len(want))
		}
		if snap := snaps[i+1]; snap != wantSnap {
			t.Fatalf("node %s state differs from node %s:\n%s\n---\n%s", r.id, rs[0].id, snap, wantSnap)
		}
	}
}

// settled reads every replica's records and state at one revision.
func settled(t testing.TB, rs []*replica) ([][]record, []string) {
	t.Helper()
	type cut struct {
		recs []record
		view string
	}
	cuts := atOneRevision(t, rs, func(r *replica) cut { return cut{slices.Clone(r.log), r.view()} })
	recs, views := make([][]record, len(rs)), make([]string, len(rs))
	for i, c := range cuts {
		recs[i], views[i] = c.recs, c.view
	}
	return recs, views
}

// atOneRevision waits until every replica has applied the same revision
// and reads each (read runs with r.mu held: the Locker, so the replica's
// records, engine and applied revision change together) while none applies
// another. The leader may append a timer's entry at any moment; a
// comparison across it would see one replica ahead, a false disagreement.
func atOneRevision[T any](t testing.TB, rs []*replica, read func(*replica) T) []T {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var last int64
		for _, r := range rs {
			last = max(last, r.acd.Applied())
		}
		for _, r := range rs {
			r.until(fmt.Sprintf("applied revision %d", last), func() bool { return r.acd.Applied() >= last })
		}
		out, still := make([]T, len(rs)), true
		for i, r := range rs {
			func() {
				r.mu.Lock()
				defer r.mu.Unlock() // read may t.Fatal
				out[i] = read(r)
				still = still && r.acd.Applied() == last
			}()
		}
		if still {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replicas never stood still at one revision for 30 s (last %d)", last)
		}
	}
}

// tails cuts the longer of two replicas' records to start where the
// shorter's do.
func tails(a, b []record) ([]record, []record) {
	cut := func(long, short []record) []record {
		for len(short) > 0 && len(long) > 0 && long[0].Rev < short[0].Rev {
			long = long[1:]
		}
		return long
	}
	if len(a) < len(b) {
		return a, cut(b, a)
	}
	return cut(a, b), b
}

// count counts actions of kind (for callID, or any call if "") in recs.
func count(recs []record, kind routing.ActionKind, callID string) int {
	n := 0
	for _, rec := range recs {
		for _, a := range rec.Acts {
			if a.Kind == kind && (callID == "" || a.CallID == callID) {
				n++
			}
		}
	}
	return n
}

// untilAny waits for cond (run without any Locker) and re-checks it
// whenever any of rs changes.
func untilAny(t testing.TB, what string, rs []*replica, cond func() bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		changed := make(chan struct{}, len(rs))
		stop := make(chan struct{})
		for _, r := range rs {
			go func(ch <-chan struct{}) {
				select {
				case <-ch:
					changed <- struct{}{}
				case <-stop:
				}
			}(r.acd.changed.wait())
		}
		ok := cond()
		if !ok {
			select {
			case <-changed:
			case <-deadline:
				close(stop)
				t.Fatalf("%s: not reached in 30 s", what)
			}
		}
		close(stop)
		if ok {
			return
		}
	}
}

// leaderOf waits until one of rs leads and returns it.
func leaderOf(t testing.TB, rs ...*replica) *replica {
	t.Helper()
	var found *replica
	untilAny(t, "a leader among the nodes", rs, func() bool {
		for _, r := range rs {
			if r.acd.IsLeader() {
				found = r
				return true
			}
		}
		return false
	})
	return found
}

// trimmedLog reads the newest snapshot and waits until the log holds no
// record at or below the revision it says the log was trimmed to (the
// leader deletes them right after writing it).
func trimmedLog(t testing.TB, r *replica) *snapshot {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		snap, _, _, err := r.acd.readSnapshot(ctxT(t))
		if err != nil || snap == nil {
			t.Fatalf("node %s: no snapshot (%v)", r.id, err)
		}
		// Not WithCountOnly: etcd counts before it filters by revision.
		resp, err := r.cli.Get(ctxT(t), r.acd.logPrefix(), clientv3.WithPrefix(), clientv3.WithKeysOnly(), clientv3.WithMaxModRev(snap.Trimmed))
		if err != nil {
			t.Fatal(err)
		}
		if snap.Trimmed == 0 || len(resp.Kvs) == 0 {
			return snap
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s: %d log records at or below revision %d, which the snapshot says are trimmed", r.id, len(resp.Kvs), snap.Trimmed)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
