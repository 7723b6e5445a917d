package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/cluster"
	"github.com/frontdoor-project/frontdoor/cluster/etcdtest"
	"github.com/frontdoor-project/frontdoor/config"
	"github.com/frontdoor-project/frontdoor/routing"
)

// Three frontdoor nodes on 127.0.0.2-4 share one center through a real
// three-member etcd: a call queued on one node is answered by an agent whose
// phone registered on another, in center-wide order; kill -9 of the leader,
// then of a follower, cuts off only their calls (CDR cut_off, written by a
// survivor) while waiting callers keep their place and are served; losing
// etcd's quorum refuses new calls with 503 and Retry-After, carried calls go
// on, and new calls work again once etcd is back.
func TestClusterSurvivesLosingAnyNode(t *testing.T) {
	ctx := timeout(t, 210*time.Second)
	etcd := etcdtest.Start(t, 3)
	bin := buildBinary(t)
	nodes := startClusterNodes(t, ctx, bin, etcd, "127.0.0.2", "127.0.0.3", "127.0.0.4")
	a, b, c := nodes[0], nodes[1], nodes[2]
	if l := waitLeader(t, ctx, nodes); l != a {
		t.Fatalf("leader %s, want the first node started", l.name)
	}
	wantClusterStatus(t, clusterStatus(t, bin, c), "etcd members (3):", "ACD leader: node-a", "nodes (3):", "node-b  sip "+b.sip)

	// A call queued on node A is answered by agent 1001, registered on node C;
	// the longest waiting caller (on A) goes before the one who called B later.
	agent1001 := newPhone(t, "1001")
	agent1001.AutoAnswer = 2000
	if code, err := agent1001.Register(ctx, c.sip, "pw1001", 3600); err != nil || code != 200 {
		t.Fatalf("register 1001 on node C: %d %v", code, err)
	}
	waitAgentState(t, ctx, a.http, "1001", "not_ready") // node A sees node C's agent
	x := dialCluster(t, ctx, "01071110001", 1000, a, "126", "queued", b)
	y := dialCluster(t, ctx, "01071110002", 1100, b, "126", "queued", c)
	var queues []struct {
		Agency  string `json:"agency"`
		Waiting int    `json:"waiting"`
	}
	apiGet(t, c.http, "/api/v1/queues", &queues)
	if queues[0].Agency != "tax" || queues[0].Waiting != 2 {
		t.Fatalf("node C's view of the queues: %+v, want 2 waiting for tax", queues)
	}
	events := sseEvents(t, ctx, b.http, "test-admin-token") // node B holds neither x nor 1001
	apiPut(t, b.http, "/api/v1/agents/1001/state", `{"state":"ready"}`)
	answered(t, ctx, agent1001, x)
	waitEvent(t, ctx, events, "call", x.id, `"node":"node-a"`)
	waitEvent(t, ctx, events, "agent", `"id":"1001"`, `"state":"busy"`)
	x.out.Hangup(ctx)
	answered(t, ctx, agent1001, y)
	y.out.Hangup(ctx)
	waitCDROutcome(t, ctx, c, x.id, "answered")
	waitCDROutcome(t, ctx, a, y.id, "answered")
	// The center's queue series come from the leader alone (sums over nodes count them once).
	if m := scrapeURL(b.http); strings.Contains(m, "frontdoor_queue_waiting{") || !strings.Contains(m, `frontdoor_cluster_leader{node="node-b"} 0`) {
		t.Fatalf("follower B's /metrics: want no queue series and leader 0")
	}
	if m := scrapeURL(a.http); !strings.Contains(m, `frontdoor_queue_waiting{agency="tax"} 0`) || !strings.Contains(m, `frontdoor_cluster_leader{node="node-a"} 1`) {
		t.Fatalf("leader A's /metrics: want the queue series and leader 1")
	}

	// Under load, kill -9 the leader (A): its two calls end and are cut off;
	// the callers waiting on B and C are served by the agents it freed.
	agent1003 := clusterAgent(t, ctx, "1003", 2000, b, c)
	agent1002 := clusterAgent(t, ctx, "1002", 2500, c, b)
	k1 := dialCluster(t, ctx, "01071110003", 1000, a, "126", "connected", b)
	k2 := dialCluster(t, ctx, "01071110004", 1000, a, "126", "connected", b)
	carried, _ := offersTo(t, ctx, agent1001, agent1003)
	servedBoth(t, ctx, carried, k1, k2)
	k3 := dialCluster(t, ctx, "01071110005", 1200, b, "125", "connected", c)
	in3 := answered(t, ctx, agent1002, k3)
	w1 := dialCluster(t, ctx, "01071110006", 1300, b, "126", "queued", c)
	w2 := dialCluster(t, ctx, "01071110007", 1400, c, "126", "queued", b)
	killed := time.Now()
	a.kill()
	offers, firstAt := offersTo(t, ctx, agent1001, agent1003)
	t.Logf("FIGURE leader kill -9 -> next offer to an agent: %v", firstAt.Sub(killed).Round(time.Millisecond))
	servedBoth(t, ctx, offers, w1, w2) // both waiting callers kept their place and are served
	hearBoth(t, ctx, in3, k3, 2500)    // node B's call went on through the kill
	waitCDROutcome(t, ctx, b, k1.id, "cut_off")
	waitCDROutcome(t, ctx, c, k2.id, "cut_off")
	leader := waitLeader(t, ctx, []*clusterNodeProc{b, c})
	follower := map[*clusterNodeProc]*clusterNodeProc{b: c, c: b}[leader]
	t.Logf("new leader %s after %v", leader.name, time.Since(killed).Round(time.Millisecond))
	if status := clusterStatus(t, bin, b); !strings.Contains(status, "ACD leader: "+leader.name) || !strings.Contains(status, "nodes (2):") {
		t.Fatalf("cluster status after the leader's death:\n%s", status)
	}
	for _, call := range []*clusterCaller{w1, w2, k3} {
		call.out.Hangup(ctx)
	}
	for _, call := range []*clusterCaller{w1, w2, k3} {
		waitCDROutcome(t, ctx, leader, call.id, "answered")
	}

	// kill -9 a follower: its call is cut off; the caller waiting on the
	// leader is served by the leader's own agent once that agent is free.
	onLeader, onFollower := agent1003, agent1001 // 1003 is homed on B, 1001 on C
	if leader == c {
		onLeader, onFollower = agent1001, agent1003
	}
	waitAgentState(t, ctx, leader.http, onFollower.User, "ready")
	apiPut(t, leader.http, "/api/v1/agents/"+onFollower.User+"/state", `{"state":"not_ready","reason":"break"}`)
	waitAgentState(t, ctx, leader.http, onLeader.User, "ready")
	k4 := dialCluster(t, ctx, "01071110008", 1000, follower, "126", "connected", leader)
	answered(t, ctx, onLeader, k4)
	w3 := dialCluster(t, ctx, "01071110009", 1500, leader, "126", "queued", leader)
	killed = time.Now()
	follower.kill()
	in5 := answered(t, ctx, onLeader, w3)
	t.Logf("FIGURE follower kill -9 -> next offer to an agent: %v", time.Since(killed).Round(time.Millisecond))
	waitCDROutcome(t, ctx, leader, k4.id, "cut_off")
	waitAgentState(t, ctx, leader.http, onFollower.User, "logged_out") // its phone was on the dead node

	// etcd loses quorum: new calls get 503 with Retry-After, w3 goes on.
	etcd.Kill(0)
	etcd.Kill(1)
	lost := time.Now()
	for {
		code, retry := inviteStatus(t, ctx, "01071110010", leader)
		if code == 503 && retry != "" {
			t.Logf("FIGURE quorum lost -> new calls refused (503, Retry-After %s): %v", retry, time.Since(lost).Round(time.Millisecond))
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("without quorum a new call got %d (Retry-After %q), want 503 with Retry-After", code, retry)
		case <-time.After(200 * time.Millisecond):
		}
	}
	hearBoth(t, ctx, in5, w3, 2000)

	// Quorum back: new calls are queued and served again.
	etcd.Restart(0, 1)
	back := time.Now()
	w3.out.Hangup(ctx)
	w4 := dialUntilQueued(t, ctx, "01071110011", leader)
	t.Logf("FIGURE quorum back -> a new call queued: %v", time.Since(back).Round(time.Millisecond))
	answered(t, ctx, onLeader, w4)
	w4.out.Hangup(ctx)
	waitCDROutcome(t, ctx, leader, w3.id, "answered")
	waitCDROutcome(t, ctx, leader, w4.id, "answered")

	// No finished call's CDR was lost, none was written twice.
	cdrs := clusterCDRs(t, leader)
	for _, call := range []*clusterCaller{x, y, w1, w2, k3, w3, w4} {
		if list := cdrs[call.id]; len(list) != 1 || list[0].Outcome != "answered" {
			t.Errorf("finished call %s: CDRs %+v, want one answered", call.id, list)
		}
	}
	for _, call := range []*clusterCaller{k1, k2, k4} {
		if list := cdrs[call.id]; len(list) != 1 || list[0].Outcome != "cut_off" {
			t.Errorf("call %s of a killed node: CDRs %+v, want one cut_off", call.id, list)
		}
	}
}

// wantClusterStatus checks `cluster status` output shows three healthy etcd
// members and each of wants.
func wantClusterStatus(t *testing.T, status string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(status, want) {
			t.Fatalf("cluster status lacks %q:\n%s", want, status)
		}
	}
	if strings.Count(status, " healthy") != 3 {
		t.Fatalf("cluster status: want 3 healthy members:\n%s", status)
	}
}

// clusterStatus runs `frontdoor cluster status` with node's config.
func clusterStatus(t *testing.T, bin string, node *clusterNodeProc) string {
	t.Helper()
	out, err := exec.Command(bin, "cluster", "status", "-config", node.cfg).CombinedOutput()
	if err != nil {
		t.Fatalf("cluster status: %v\n%s", err, out)
	}
	return string(out)
}

// The demo cluster's configs pass check-config, and name the nodes' SIP
// addresses the demo script lists for whatever goes in front of them.
func TestClusterDemoConfigs(t *testing.T) {
	files, _ := filepath.Glob("../../config/cluster-demo/*.yaml")
	if len(files) != 3 {
		t.Fatalf("want 3 demo node configs, got %v", files)
	}
	script, err := os.ReadFile("../../scripts/cluster-demo.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		var out, errb strings.Builder
		if code := runCheckConfig([]string{f}, &out, &errb); code != 0 || out.String() != "ok\n" {
			t.Fatalf("check-config %s: %d %s", f, code, out.String())
		}
		cfg, err := config.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(script), cfg.Cluster.Advertise.SIP) {
			t.Errorf("%s: %s is not in the script's FRONTDOOR_NODES_SIP", f, cfg.Cluster.Advertise.SIP)
		}
	}
}

// An arrival of this node's that lands in the log after the node gave up on
// the call (its Submit timed out while etcd stalled, the caller heard busy,
// and the hang-up it then sent was committed first: one node's Puts run
// concurrently) names a call nobody holds. The engine would offer it to
// agents for ever, nobody ringing them; the node that owns it ends it
// instead, and the agent is rung by no one.
func TestClusterLateArrivalOfAGoneCallIsEnded(t *testing.T) {
	ctx := timeout(t, 90*time.Second)
	etcd := etcdtest.Start(t, 1)
	a := startClusterNodes(t, ctx, buildBinary(t), etcd, "127.0.0.2")[0]
	agent := agentPhoneOn(t, ctx, a, a)
	apiPut(t, a.http, "/api/v1/agents/1001/state", `{"state":"ready"}`)
	waitAgentState(t, ctx, a.http, "1001", "ready")

	// The late record, as node A's appender would have put it.
	late, err := json.Marshal([]cluster.Entry{{Node: a.name, Input: routing.Input{Kind: routing.InputArrive, At: time.Now(),
		Call: &routing.Call{ID: "gone-call", Queue: "tax", Attrs: map[string]string{"caller": "01012345678"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := etcd.Client(t).Put(ctx, "/fdtest/acd/log/"+a.name+"/late-1", string(late)); err != nil {
		t.Fatal(err)
	}
	waitCallGone(t, ctx, "gone-call", a)
	waitAgentState(t, ctx, a.http, "1001", "ready")
	if n := agent.Pending(); n != 0 {
		t.Fatalf("the agent got %d offers of a call nobody holds", n)
	}
}
