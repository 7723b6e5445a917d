package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/agents"
	"github.com/frontdoor-project/frontdoor/routing"
)

func login(r *replica, agent string, ready bool) {
	r.t.Helper()
	r.must(routing.Input{Kind: routing.InputLogin, AgentID: agent})
	if ready {
		r.must(routing.Input{Kind: routing.InputSetReady, AgentID: agent})
	}
}

func arrive(r *replica, id, queue string) {
	r.t.Helper()
	r.must(routing.Input{Kind: routing.InputArrive, Call: &routing.Call{ID: id, Queue: queue}})
}

// TestReplicasAgree: three nodes submit at the same time; every replica
// applies one order and makes the same decisions, timers included.
func TestReplicasAgree(t *testing.T) {
	etcd := startEtcd(t, 3)
	n1, n2, n3 := newReplica(t, etcd, "n1", testRouting()), newReplica(t, etcd, "n2", testRouting()), newReplica(t, etcd, "n3", testRouting())
	login(n1, "a1", true)
	login(n2, "a2", true)
	login(n3, "a3", true)
	var wg sync.WaitGroup
	for i, r := range []*replica{n1, n2, n3} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 4 {
				queue := []string{"tax", "civil"}[(i+j)%2]
				if err := r.submit(routing.Input{Kind: routing.InputArrive, Call: &routing.Call{ID: fmt.Sprintf("c%d%d", i, j), Queue: queue}}); err != nil {
					t.Errorf("node %s: arrive: %v", r.id, err)
				}
			}
		}()
	}
	wg.Wait()
	// Each agent's home node answers whatever rings it; the ring timer
	// (the leader's advance) takes the rest back to the queue.
	answered := map[string]bool{}
	for _, r := range []*replica{n1, n2, n3} {
		agent := map[string]string{"n1": "a1", "n2": "a2", "n3": "a3"}[r.id]
		var call string
		r.until(agent+" rings", func() bool {
			s, _ := r.acd.Engine().Agent(agent)
			call = s.CallID
			return s.State == agents.Ringing && !answered[call]
		})
		answered[call] = true
		r.must(routing.Input{Kind: routing.InputAnswered, CallID: call, AgentID: agent})
	}
	agree(t, n1, n2, n3)
	for id := range answered {
		n1.must(routing.Input{Kind: routing.InputAgentHangup, CallID: id})
	}
	// Wait for a ring timeout fired by the leader.
	n2.until("a ring timeout", func() bool { return count(n2.log, routing.CancelOffer, "") > 0 })
	for i := range 3 {
		for j := range 4 {
			n3.must(routing.Input{Kind: routing.InputCallerHangup, CallID: fmt.Sprintf("c%d%d", i, j)})
		}
	}
	agree(t, n1, n2, n3)
	recs := n1.records()
	for i := range 3 {
		for j := range 4 {
			if id := fmt.Sprintf("c%d%d", i, j); count(recs, routing.Finished, id) != 1 {
				t.Errorf("call %s finished %d times, want once", id, count(recs, routing.Finished, id))
			}
		}
	}
	if count(recs, routing.Offer, "") < 3 || count(recs, routing.Finished, "") != 12 {
		t.Fatalf("too few decisions to prove anything: %d offers, %d finished", count(recs, routing.Offer, ""), count(recs, routing.Finished, ""))
	}
	nodes, err := n1.acd.Nodes(context.Background())
	if err != nil || len(nodes) != 3 || nodes[0].NodeID != "n1" || nodes[2].NodeID != "n3" {
		t.Fatalf("Nodes() = %+v, %v; want n1, n2, n3", nodes, err)
	}
	lead, err := n2.acd.Leader(context.Background())
	if err != nil || leaderOf(t, n1, n2, n3).id != lead {
		t.Fatalf("Leader() = %q, %v; IsLeader disagrees", lead, err)
	}
}

// TestSubmitErrors: Submit gives back the engine's refusal, the same
// refusal every replica saw; malformed input never reaches the log.
func TestSubmitErrors(t *testing.T) {
	etcd := startEtcd(t, 3)
	n1, n2 := newReplica(t, etcd, "n1", testRouting()), newReplica(t, etcd, "n2", testRouting())
	err := n1.submit(routing.Input{Kind: routing.InputSetReady, AgentID: "a1"})
	if !errors.Is(err, routing.ErrLoggedOut) || err.Error() != `agent "a1": agent is logged out` {
		t.Fatalf("set_ready of a logged-out agent: %v", err)
	}
	rev := n1.acd.Applied()
	n2.until("the refused entry", func() bool { return n2.acd.Applied() >= rev })
	if recs := n2.records(); len(recs) != 1 || recs[0].Err != `agent "a1": agent is logged out` || recs[0].Node != "n1" {
		t.Fatalf("node n2 saw %+v, want n1's set_ready refused", recs)
	}
	for _, tc := range []struct {
		in   routing.Input
		want string
	}{
		{routing.Input{Kind: routing.InputSetReady}, "cluster: bad input: set_ready: needs agent_id"},
		{routing.Input{Kind: "jump"}, `cluster: bad input: unknown kind "jump"`},
		{routing.Input{Kind: NodeLost}, "cluster: bad input: node_lost is written by the cluster itself"},
	} {
		if err := n1.submit(tc.in); !errors.Is(err, routing.ErrBadInput) || err.Error() != tc.want {
			t.Errorf("Submit(%+v) = %v, want %q", tc.in, err, tc.want)
		}
	}
	if n1.acd.Applied() != rev {
		t.Fatalf("refused input reached the log: applied %d, was %d", n1.acd.Applied(), rev)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := n1.acd.Submit(ctx, routing.Input{Kind: routing.InputLogin, AgentID: "a1"}); !errors.Is(err, context.Canceled) || errors.Is(err, ErrNoQuorum) {
		t.Fatalf("Submit with a cancelled context: %v, want context.Canceled (not ErrNoQuorum)", err)
	}
	for _, cfg := range []Config{{NodeID: "a/b"}, {NodeID: "n", LeaseTTL: time.Millisecond}} {
		_, err := New(context.Background(), cfg)
		if err == nil || !strings.HasPrefix(err.Error(), "cluster: config: ") {
			t.Errorf("New(%+v): %v, want a config error", cfg, err)
		}
	}
}

// TestLeaderFailover: the leader dies while a ring timer runs; another node
// takes over and the timer fires exactly once.
func TestLeaderFailover(t *testing.T) {
	etcd := startEtcd(t, 3)
	rs := []*replica{newReplica(t, etcd, "n1", testRouting()), newReplica(t, etcd, "n2", testRouting()), newReplica(t, etcd, "n3", testRouting())}
	old := leaderOf(t, rs...)
	var alive []*replica
	for _, r := range rs {
		if r != old {
			alive = append(alive, r)
		}
	}
	from := alive[0]
	login(from, "a1", true)
	arrive(from, "c1", "tax") // rings a1 for 1 s
	died := time.Now()
	old.kill()
	next := leaderOf(t, alive...)
	from.until("the ring timeout", func() bool { return count(from.log, routing.CancelOffer, "c1") > 0 })
	t.Logf("leader %s died; %s leads; ring timeout applied %v after the death", old.id, next.id, time.Since(died).Round(time.Millisecond))
	// Later entries cannot bring the timer back: a duplicate advance is a no-op.
	from.must(routing.Input{Kind: routing.InputAdvance})
	from.must(routing.Input{Kind: routing.InputCallerHangup, CallID: "c1"})
	agree(t, alive...)
	recs := from.records()
	if n := count(recs, routing.CancelOffer, "c1"); n != 1 {
		t.Fatalf("ring timeout fired %d times, want once", n)
	}
	if s := from.snapshot(); !strings.Contains(s, "State:not_ready Reason:rona") {
		t.Fatalf("a1 should be not_ready (rona) after the one miss:\n%s", s)
	}
}

// TestNodeLost: a node dies holding calls in every state and an agent;
// every survivor ends them the same way.
func TestNodeLost(t *testing.T) {
	etcd := startEtcd(t, 3)
	cfg := testRouting()
	cfg.Queues[1].RingTimeout = time.Hour // a3 keeps ringing until n2 is found gone
	n1, n2, n3 := newReplica(t, etcd, "n1", cfg), newReplica(t, etcd, "n2", cfg), newReplica(t, etcd, "n3", cfg)
	login(n2, "a1", true) // homed on n2
	login(n1, "a3", true) // homed on n1
	arrive(n2, "connected", "tax")
	n2.must(routing.Input{Kind: routing.InputAnswered, CallID: "connected", AgentID: "a1"})
	arrive(n2, "ringing", "civil") // rings a3
	arrive(n2, "queued", "tax")    // a1 is busy
	arrive(n1, "survivor", "tax")  // n1's call waits too
	n2.kill()
	for _, r := range []*replica{n1, n3} {
		r.until("node_lost for n2", func() bool {
			_, live := r.acd.Engine().Call("connected")
			return !live && r.agentState("a1") == agents.LoggedOut
		})
	}
	agree(t, n1, n3)
	recs := n1.records()
	var lost *record
	for i := range recs {
		if recs[i].Kind == NodeLost && recs[i].Lost == "n2" {
			lost = &recs[i]
		}
	}
	if lost == nil {
		t.Fatal("no node_lost entry for n2")
	}
	outcomes := map[string]string{}
	for _, a := range lost.Acts {
		if a.Kind == routing.Finished {
			outcomes[a.CallID] = a.Outcome
		}
	}
	want := map[string]string{"connected": routing.OutcomeAnswered, "ringing": routing.OutcomeAbandoned, "queued": routing.OutcomeAbandoned}
	if fmt.Sprint(outcomes) != fmt.Sprint(want) {
		t.Fatalf("node_lost ended %v, want %v", outcomes, want)
	}
	n1.mu.Lock()
	defer n1.mu.Unlock()
	if c, live := n1.acd.Engine().Call("survivor"); !live || n1.acd.CallOwner("survivor") != "n1" || c.State != "queued" {
		t.Fatalf("n1's own call: %+v live %v owner %q; want it kept waiting (a1 gone, a3 has no tax skill)", c, live, n1.acd.CallOwner("survivor"))
	}
	if n1.agentState("a3") != agents.Ready || n1.acd.AgentHome("a3") != "n1" {
		t.Fatalf("a3 (homed on n1) is %s", n1.agentState("a3"))
	}
}

// TestQuorumLoss: with 2 of 3 members down Submit fails fast with
// ErrNoQuorum; once they are back the replicas carry on by themselves.
func TestQuorumLoss(t *testing.T) {
	etcd := startEtcd(t, 3)
	n1, n2 := newReplica(t, etcd, "n1", testRouting()), newReplica(t, etcd, "n2", testRouting())
	login(n1, "a1", false)
	etcd.Stop(1)
	etcd.Stop(2)
	start := time.Now()
	err := n1.acd.Submit(context.Background(), routing.Input{Kind: routing.InputSetReady, AgentID: "a1"})
	if !errors.Is(err, ErrNoQuorum) {
		t.Fatalf("Submit without quorum: %v, want ErrNoQuorum", err)
	}
	t.Logf("Submit without quorum failed after %v: %v", time.Since(start).Round(time.Millisecond), err)
	etcd.Restart(1, 2)
	// The members serve again; the first Submits may still meet a member
	// electing its leader, so try a few times (a client's back-off).
	var ok bool
	for range 30 {
		if err = n2.submit(routing.Input{Kind: routing.InputLogin, AgentID: "a2"}); err == nil {
			ok = true
			break
		}
		if !errors.Is(err, ErrNoQuorum) {
			t.Fatalf("Submit while quorum returns: %v", err)
		}
		<-time.After(200 * time.Millisecond)
	}
	if !ok {
		t.Fatalf("no recovery after restart: %v", err)
	}
	n1.must(routing.Input{Kind: routing.InputSetReady, AgentID: "a1"})
	agree(t, n1, n2)
	n2.mu.Lock()
	defer n2.mu.Unlock()
	if n2.agentState("a1") != agents.Ready || n2.agentState("a2") != agents.NotReady {
		t.Fatalf("after recovery n2 sees a1 %s, a2 %s", n2.agentState("a1"), n2.agentState("a2"))
	}
}

// TestRestartSameID: a node that crashes and comes back under its id
// before its lease runs out replays the log and
// ends its previous run's calls itself.
func TestRestartSameID(t *testing.T) {
	etcd := startEtcd(t, 3)
	n1, n2 := newReplica(t, etcd, "n1", testRouting()), newReplica(t, etcd, "n2", testRouting())
	login(n2, "a1", false)
	arrive(n2, "old", "tax")
	n2.kill()
	again := newReplica(t, etcd, "n2", testRouting())
	recs := again.records()
	if len(recs) < 3 || recs[0].Kind != routing.InputLogin {
		t.Fatalf("the restarted node replayed %+v", recs)
	}
	again.mu.Lock()
	_, live := again.acd.Engine().Call("old")
	again.mu.Unlock()
	if live {
		t.Fatal("the previous run's call is still in the engine after New returned")
	}
	agree(t, n1, again)
	var lost bool
	for _, rec := range n1.records() {
		// Written by n2 itself on restart, or by the leader if the old
		// lease ran out first (the crash takes a moment to complete here).
		lost = lost || (rec.Kind == NodeLost && rec.Lost == "n2" && count([]record{rec}, routing.Finished, "old") == 1)
	}
	if !lost || count(n1.records(), routing.Finished, "old") != 1 {
		t.Fatal("the previous run's call was not ended once by a node_lost for n2")
	}
}

// TestCloseWithEtcdGone: a node shut down after its etcd (make cluster-demo's
// Ctrl-C stops both at once) still exits; a follower's campaign used to
// resign forever on the client's context.
func TestCloseWithEtcdGone(t *testing.T) {
	etcd := startEtcd(t, 3)
	n1, n2 := newReplica(t, etcd, "n1", testRouting()), newReplica(t, etcd, "n2", testRouting())
	login(n1, "a1", false)
	for i := range 3 {
		etcd.Stop(i)
	}
	closed := make(chan struct{})
	go func() {
		n1.acd.Close()
		n2.acd.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(time.Minute): // a hang guard, not a figure
		t.Fatal("Close did not return with every etcd member stopped")
	}
}
