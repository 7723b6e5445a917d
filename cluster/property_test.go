package cluster

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/frontdoor-project/frontdoor/agents"
	"github.com/frontdoor-project/frontdoor/routing"
	"github.com/frontdoor-project/frontdoor/routing/routingtest"
)

var seedFlag = flag.Uint64("seed", 0, "run TestPropertyClusterMatchesEngine for this seed only")

func propertyRouting() routing.Config {
	return routing.Config{
		Queues: []routing.QueueConfig{
			{ID: "tax", Strategy: routing.StrategyRandom, RingTimeout: 8 * time.Second, Wrapup: 3 * time.Second, MaxWait: 90 * time.Second, AnnounceEvery: 20 * time.Second,
				Widen: []routing.WidenStep{{After: 15 * time.Second, MinLevel: 1}}, MinLevel: 4, OverflowTo: "civil", OverflowAfter: 60 * time.Second},
			{ID: "civil", Strategy: routing.StrategyRingAll, RingTimeout: 5 * time.Second, RonaMisses: 2, MaxWaiting: 3},
			{ID: "random", Strategy: routing.StrategyRandom, RingTimeout: 6 * time.Second},
		},
		Agents: []routing.AgentConfig{
			{ID: "a1", Skills: map[string]int{"tax": 6, "random": 3}}, // random: equal levels, so the rng picks
			{ID: "a2", Skills: map[string]int{"tax": 2, "civil": 4, "random": 3}},
			{ID: "a3", Skills: map[string]int{"civil": 5, "random": 3}},
			{ID: "a4", Skills: map[string]int{"random": 3, "tax": 5}},
		},
	}
}

var agentIDs = []string{"a1", "a2", "a3", "a4"}

// newScript draws the random inputs from the reference engine's state,
// mostly acting on an agent that has a call (ringing or connected) and on
// that call, so offers get answered and calls hung up. The test keeps the
// time: the leader fires the timers.
func newScript(rng *rand.Rand) *routingtest.Inputs {
	return routingtest.New(routingtest.Config{
		Rng:    rng,
		Agents: agentIDs,
		Queues: []string{"tax", "civil", "random", "none"},
		Weights: map[routing.InputKind]int{routing.InputArrive: 22, routing.InputCallerHangup: 8, routing.InputAgentHangup: 8,
			routing.InputUnreached: 2, routing.InputAnswered: 18, routing.InputDeclined: 4, routing.InputLogin: 8,
			routing.InputLogout: 2, routing.InputSetReady: 20, routing.InputSetNotReady: 3},
		Stray: 6,
	})
}

// TestPropertyClusterMatchesEngine: one random sequence of inputs, applied
// by a plain Engine and by a three-node cluster (inputs submitted from
// random nodes, the leader's timers, leader changes at random points, a
// fourth node joining by replay), ends in the same decisions and state.
func TestPropertyClusterMatchesEngine(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	if *seedFlag != 0 {
		seeds = []uint64{*seedFlag}
	}
	etcd := startEtcd(t, 3)
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { runClusterProperty(t, etcd, seed, 200) })
	}
}

func runClusterProperty(t *testing.T, etcd *testEtcd, seed uint64, steps int) {
	rng := rand.New(rand.NewPCG(seed, 77))
	start := time.Date(2026, 3, 6, 10, 0, 0, 0, time.UTC)
	// The nodes' wall clock is virtual, so the leader's timers fire at the
	// moments the test chooses.
	var clock atomic.Int64
	clock.Store(start.UnixNano())
	virtualNow := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	prefix := fmt.Sprintf("/prop%d", seed)
	// Snapshots (with trimming and compaction) at points that differ by seed.
	tune := func(c *Config) {
		c.Now, c.Prefix, c.Seed = virtualNow, prefix, int64(seed)
		c.SnapshotEvery, c.CompactAfter = 12+int(seed)*5, time.Nanosecond
	}
	nodes := []*replica{newReplica(t, etcd, "n1", propertyRouting(), tune), newReplica(t, etcd, "n2", propertyRouting(), tune),
		newReplica(t, etcd, "n3", propertyRouting(), tune)}
	refClock := &logClock{now: start}
	ref, err := routing.NewEngine(propertyRouting(), refClock, int64(seed))
	if err != nil {
		t.Fatal(err)
	}
	var want []routing.Action
	refApply := func(in routing.Input) error {
		if in.At.After(refClock.now) {
			refClock.now = in.At
		}
		acts, err := ref.Apply(in)
		want = append(want, acts...)
		return err
	}
	sc := newScript(rng)
	now, changes := start, 0
	// Start with every agent ready and a call for the random queue: the
	// engines' rngs pick the agent, so a replica seeded apart shows at once.
	var prelude []routing.Input
	for _, id := range agentIDs {
		prelude = append(prelude, routing.Input{Kind: routing.InputLogin, AgentID: id, At: now},
			routing.Input{Kind: routing.InputSetReady, AgentID: id, At: now})
	}
	prelude = append(prelude, sc.Arrival(now, "random"))
	for i, in := range prelude {
		if err := refApply(in); err != nil {
			t.Fatal(err)
		}
		nodes[i%len(nodes)].must(in)
	}
	for step := range steps {
		switch op := rng.IntN(100); {
		case op < 18: // time passes: the reference fires each deadline, the cluster's leader must too
			now = now.Add(time.Duration(rng.IntN(12_000)) * time.Millisecond)
			for {
				at, ok := ref.NextDeadline()
				if !ok || at.After(now) {
					break
				}
				_ = refApply(routing.Input{Kind: routing.InputAdvance, At: at})
			}
			if rng.IntN(4) == 0 {
				changeLeader(t, nodes)
				changes++
			}
			clock.Store(now.UnixNano())
			for _, r := range nodes {
				r.acd.poke()
			}
			// Check on a replica that has applied everything submitted so
			// far, or the leader may still be about to fire a timer.
			var last int64
			for _, r := range nodes {
				last = max(last, r.acd.Applied())
			}
			r := nodes[0]
			r.until(fmt.Sprintf("step %d: timers up to %v fired", step, now), func() bool {
				at, ok := r.acd.Engine().NextDeadline()
				return r.acd.Applied() >= last && (!ok || at.After(now))
			})
		case op < 20 && len(nodes) == 3 && step > steps/2: // a new node joins and replays the log
			nodes = append(nodes, newReplica(t, etcd, "n4", propertyRouting(), tune))
		default:
			in := sc.At(ref, now)
			wantErr := refApply(in)
			r := nodes[rng.IntN(len(nodes))]
			if err := r.submit(in); fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Fatalf("seed %d step %d: %s via %s: error %v, engine said %v", seed, step, in.Kind, r.id, err, wantErr)
			}
		}
	}
	agree(t, nodes...)
	var got []routing.Action
	for _, rec := range nodes[0].records() {
		got = append(got, rec.Acts...)
	}
	if !reflect.DeepEqual(got, want) {
		for i := range min(len(got), len(want)) {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("seed %d: action %d: cluster %+v, engine %+v", seed, i, got[i], want[i])
			}
		}
		t.Fatalf("seed %d: cluster made %d actions, engine %d", seed, len(got), len(want))
	}
	if snap := nodes[0].snapshot(); snap != fmt.Sprintf("agents %+v\ncalls %+v\nqueues %+v", ref.Agents(), ref.Calls(), ref.Queues()) {
		t.Fatalf("seed %d: final state differs from the engine's:\n%s", seed, snap)
	}
	offers, answered := 0, 0
	for _, a := range want {
		switch {
		case a.Kind == routing.Offer:
			offers++
		case a.Kind == routing.AgentState && a.State == agents.Busy:
			answered++
		}
	}
	if offers < 10 || answered < 3 {
		t.Fatalf("seed %d: the sequence made only %d offers and %d answers; it proves little", seed, offers, answered)
	}
	snap := trimmedLog(t, nodes[0])
	restored := int64(0)
	for _, r := range nodes {
		restored += r.acd.restored.Load()
	}
	t.Logf("seed %d: %d actions agree (%d offers, %d answered), %d leader changes, %d nodes, snapshot at revision %d (%d entries), %d restored",
		seed, len(want), offers, answered, changes, len(nodes), snap.Rev, snap.Entries, restored)
}

// changeLeader ends the leader's election session, as a lost keepalive
// would, and waits for a leader on another session. The leader is read
// from etcd: a deposed leader's IsLeader lags until its keepalive fails.
func changeLeader(t *testing.T, nodes []*replica) {
	t.Helper()
	leaderLease := func() (string, clientv3.LeaseID) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := nodes[0].cli.Get(ctx, nodes[0].acd.key("acd", "leader")+"/", clientv3.WithFirstCreate()...)
		if err != nil || len(resp.Kvs) == 0 {
			t.Fatalf("read the leader: %v (%d keys)", err, len(resp.Kvs))
		}
		return string(resp.Kvs[0].Value), clientv3.LeaseID(resp.Kvs[0].Lease)
	}
	leaderOf(t, nodes...)
	id, lease := leaderLease()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := nodes[0].cli.Revoke(ctx, lease); err != nil {
		t.Fatalf("revoke the leader's session: %v", err)
	}
	// Wait for the old leader to notice (it campaigns again) and another to lead.
	untilAny(t, "a new leader", nodes, func() bool {
		var deposed, elected bool
		for _, r := range nodes {
			deposed = deposed || (r.id == id && !r.acd.IsLeader())
			elected = elected || (r.id != id && r.acd.IsLeader())
		}
		return deposed && elected
	})
}
